"""The agenda builder: numbered items added, edited, removed and reordered without dragging."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from meetings import circulation, services
from meetings.models import AgendaItem, Document, Meeting
from tests.meetings.factories import make_document, make_items, make_meeting, speaks

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(chair):
    """The chair reads English in these tests, which read the page's messages."""
    return speaks(chair, "en")


def titles(meeting: Meeting) -> list[str]:
    return list(meeting.agenda_items.order_by("position").values_list("title_en", flat=True))


def positions(meeting: Meeting) -> list[int]:
    return list(meeting.agenda_items.order_by("position").values_list("position", flat=True))


def circulate(meeting, by, capture):
    services.sync_invitations(meeting=meeting)
    with capture(execute=True):
        circulation.circulate_agenda(meeting=meeting, by=by)
    meeting.refresh_from_db()
    return meeting.sequence


# --- Services -------------------------------------------------------------------------------


def test_items_are_numbered_in_the_order_they_are_added(group, chair):
    meeting = make_meeting(group, chair)
    for title in ("Welcome", "Action plan", "Any other business"):
        services.add_agenda_item(meeting=meeting, by=chair, title_en=title, duration_minutes=10)
    assert titles(meeting) == ["Welcome", "Action plan", "Any other business"]
    assert positions(meeting) == [1, 2, 3]


def test_moving_swaps_with_the_neighbour_and_stops_at_the_ends(group, chair):
    meeting = make_meeting(group, chair)
    first, second, third = make_items(meeting, 3)

    services.move_agenda_item(item=third, direction="up")
    assert titles(meeting) == ["Item 1", "Item 3", "Item 2"]
    services.move_agenda_item(item=first, direction="down")
    assert titles(meeting) == ["Item 3", "Item 1", "Item 2"]
    services.move_agenda_item(item=third, direction="up")  # already first
    services.move_agenda_item(item=second, direction="down")  # already last
    assert titles(meeting) == ["Item 3", "Item 1", "Item 2"]
    assert positions(meeting) == [1, 2, 3]


def test_removing_renumbers_and_keeps_the_items_documents_for_the_meeting(group, chair):
    meeting = make_meeting(group, chair)
    _first, second, _third = make_items(meeting, 3)
    document = make_document(meeting, item=second)

    services.remove_agenda_item(item=second, by=chair)

    assert titles(meeting) == ["Item 1", "Item 3"]
    assert positions(meeting) == [1, 2]
    document.refresh_from_db()
    assert document.agenda_item is None and document.meeting == meeting


def test_editing_an_item_changes_it(group, chair, focal_point):
    meeting = make_meeting(group, chair)
    [item] = make_items(meeting, 1)
    services.update_agenda_item(
        item=item, by=chair, title_nl="Actieplan", kind=AgendaItem.Kind.DECISION, presenter=focal_point
    )
    item.refresh_from_db()
    assert (item.title_nl, item.kind, item.presenter) == ("Actieplan", AgendaItem.Kind.DECISION, focal_point)


@pytest.mark.parametrize(
    "fields",
    [
        {"title_en": "", "duration_minutes": 10},
        {"title_en": "Item", "duration_minutes": 0},
        {"title_en": "Item", "duration_minutes": 601},
        {"title_en": "Item", "kind": "gossip"},
    ],
)
def test_bad_item_is_refused(group, chair, fields):
    meeting = make_meeting(group, chair)
    with pytest.raises(ValidationError):
        services.add_agenda_item(meeting=meeting, by=chair, **fields)
    assert meeting.agenda_items.count() == 0


def test_moving_in_a_direction_other_than_up_or_down_is_refused(group, chair):
    meeting = make_meeting(group, chair)
    item, _other = make_items(meeting, 2)
    with pytest.raises(ValidationError):
        services.move_agenda_item(item=item, direction="sideways")


def test_cancelled_meetings_agenda_cannot_change(group, chair):
    meeting = make_meeting(group, chair, status=Meeting.Status.CANCELLED)
    [item] = make_items(meeting, 1)
    with pytest.raises(ValidationError):
        services.add_agenda_item(meeting=meeting, by=chair, title_en="Late item")
    with pytest.raises(ValidationError):
        services.remove_agenda_item(item=item)
    assert meeting.agenda_items.count() == 1


def test_each_agenda_change_after_circulation_raises_the_revision_once(
    group, chair, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    first, second = make_items(meeting, 2)
    before = circulate(meeting, chair, django_capture_on_commit_callbacks)

    services.add_agenda_item(meeting=meeting, by=chair, title_en="New item")
    services.update_agenda_item(item=first, by=chair, title_en="Renamed", duration_minutes=20)
    services.move_agenda_item(item=second, direction="up")
    services.remove_agenda_item(item=first)
    meeting.refresh_from_db()
    assert meeting.sequence == before + 4


def test_agenda_changes_that_change_nothing_keep_the_revision(
    group, chair, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    first, _second = make_items(meeting, 2)
    before = circulate(meeting, chair, django_capture_on_commit_callbacks)

    services.move_agenda_item(item=first, direction="up")  # already first
    services.update_agenda_item(item=first, by=chair, title_en=first.title_en)  # same title
    meeting.refresh_from_db()
    assert meeting.sequence == before


def test_agenda_changes_before_circulation_keep_the_first_revision(group, chair):
    meeting = make_meeting(group, chair)
    [item] = make_items(meeting, 1)
    services.add_agenda_item(meeting=meeting, by=chair, title_en="Another")
    services.move_agenda_item(item=item, direction="down")
    meeting.refresh_from_db()
    assert meeting.sequence == 0


# --- Pages ------------------------------------------------------------------------------------


def item_data(**overrides) -> dict:
    data = {"title_en": "Action plan", "kind": AgendaItem.Kind.DISCUSSION, "duration_minutes": "30"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_chair_adds_an_item_on_the_agenda_page_in_their_language(client, group, chair, language):
    chair.user.language = language
    chair.user.save(update_fields=["language"])
    meeting = make_meeting(group, chair)
    client.force_login(chair.user)
    url = reverse("meetings:agenda", args=[meeting.pk])

    response = client.post(url, item_data(title_en="Action plan", title_fr="Plan d'action"))

    item = meeting.agenda_items.get()
    assert response.status_code == 302
    assert response.url == f"{url}#item-{item.pk}"
    page = client.get(url).content.decode()
    assert re.search(r'<html lang="([^"]+)"', page).group(1) == language
    # French readers see the French title; others the English one (no Dutch title was given),
    # marked as English on a Dutch page.
    fallback = '<span lang="en">Action plan</span>'
    expected = {"fr": "Plan d&#x27;action", "en": "Action plan"}.get(language, fallback)
    assert f'<span class="item-title">{expected}</span>' in page


def test_agenda_page_offers_move_and_remove_as_buttons_in_forms(client, group, chair):
    meeting = make_meeting(group, chair)
    first, second, third = make_items(meeting, 3)
    client.force_login(chair.user)

    page = client.get(reverse("meetings:agenda", args=[meeting.pk])).content.decode()

    move = reverse("meetings:agenda-item-move", args=[meeting.pk, second.pk])
    assert page.count(f'action="{move}"') == 2  # up and down
    assert page.count(f'action="{reverse("meetings:agenda-item-move", args=[meeting.pk, first.pk])}"') == 1
    assert page.count(f'action="{reverse("meetings:agenda-item-move", args=[meeting.pk, third.pk])}"') == 1
    assert "draggable" not in page
    for item in (first, second, third):
        assert f'action="{reverse("meetings:agenda-item-remove", args=[meeting.pk, item.pk])}"' in page


def test_chair_moves_an_item_up_with_a_button(client, group, chair):
    meeting = make_meeting(group, chair)
    _first, second = make_items(meeting, 2)
    client.force_login(chair.user)

    response = client.post(
        reverse("meetings:agenda-item-move", args=[meeting.pk, second.pk]), {"direction": "up"}
    )

    assert response.status_code == 302
    assert response.url.endswith(f"#item-{second.pk}")
    assert titles(meeting) == ["Item 2", "Item 1"]
    assert "“Item 2” is now item 1." in client.get(response.url).content.decode()


def test_moving_with_a_forged_direction_changes_nothing(client, group, chair):
    meeting = make_meeting(group, chair)
    _first, second = make_items(meeting, 2)
    client.force_login(chair.user)
    response = client.post(
        reverse("meetings:agenda-item-move", args=[meeting.pk, second.pk]), {"direction": "top"}, follow=True
    )
    assert "An item moves up or down." in response.content.decode()
    assert titles(meeting) == ["Item 1", "Item 2"]


def test_chair_edits_and_removes_an_item(client, group, chair):
    meeting = make_meeting(group, chair)
    first, _second = make_items(meeting, 2)
    client.force_login(chair.user)

    edit = reverse("meetings:agenda-item-edit", args=[meeting.pk, first.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, item_data(title_en="Welcome and introduction", duration_minutes="5"))
    first.refresh_from_db()
    assert (first.title_en, first.duration_minutes) == ("Welcome and introduction", 5)

    remove = reverse("meetings:agenda-item-remove", args=[meeting.pk, first.pk])
    assert client.get(remove).status_code == 405  # only a POST removes
    client.post(remove)
    assert titles(meeting) == ["Item 2"]
    assert positions(meeting) == [1]


def test_item_form_errors_are_shown_and_nothing_is_added(client, group, chair):
    meeting = make_meeting(group, chair)
    client.force_login(chair.user)

    response = client.post(
        reverse("meetings:agenda", args=[meeting.pk]), item_data(title_en="", duration_minutes="0")
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Give the item a title in at least one language." in text
    assert 'aria-describedby="id_duration_minutes_error"' in text
    assert meeting.agenda_items.count() == 0


def test_item_of_another_meeting_is_not_found(client, group, chair):
    meeting, other = make_meeting(group, chair), make_meeting(group, chair)
    [foreign] = make_items(other, 1)
    mine = make_items(meeting, 1)
    client.force_login(chair.user)

    for name, method in [
        ("meetings:agenda-item-edit", "get"),
        ("meetings:agenda-item-move", "post"),
        ("meetings:agenda-item-remove", "post"),
    ]:
        response = getattr(client, method)(reverse(name, args=[meeting.pk, foreign.pk]), {"direction": "up"})
        assert response.status_code == 404
    assert AgendaItem.objects.filter(pk=foreign.pk).exists()
    assert meeting.agenda_items.get() == mine[0]


def test_presenter_must_be_a_member_of_the_group_or_an_invitee(client, group, chair, outsider):
    meeting = make_meeting(group, chair)
    client.force_login(chair.user)
    response = client.post(
        reverse("meetings:agenda", args=[meeting.pk]), item_data(presenter=str(outsider.pk))
    )
    assert response.status_code == 200
    assert meeting.agenda_items.count() == 0
    assert Document.objects.count() == 0
