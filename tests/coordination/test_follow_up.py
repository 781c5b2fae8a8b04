"""Follow-up: the "Follow-up of commitments" item on the owner group's next agenda (four languages,
what changed since the last meeting, a link to the round comparison), and the overdue list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination import rounds, services
from coordination.follow_up import add_follow_up_item
from meetings.models import AgendaItem, Meeting
from members.models import Administration, Membership
from tests.coordination.factories import make_commitment, make_many, make_plan
from tests.factories import AdministrationFactory, make_member
from tests.meetings.factories import in_days, make_meeting

pytestmark = pytest.mark.django_db
Role = Membership.Role
TODAY = timezone.localdate()


@pytest.fixture
def flanders():
    return AdministrationFactory(acronym="DKB", level=Administration.Level.REGIONAL, entity="flemish")


@pytest.fixture
def follow_up(group, chair, flanders):
    """A plan whose round is open; the group met ten days ago and meets again in a week."""
    _plan, edition = make_plan(group)
    point = make_member(None, administration=flanders, language="nl")
    moved = make_commitment(
        edition,
        lead=flanders,
        focal_points={flanders: [point]},
        reference="2.4",
        title_en="Due diligence",
        title_nl="Gepaste zorgvuldigheid",
        title_fr="Devoir de vigilance",
    )
    still = make_commitment(
        edition, lead=flanders, reference="2.5", title_en="Still", due_date=TODAY - timedelta(days=5)
    )
    make_meeting(group, chair, starts_at=in_days(-10), status=Meeting.Status.HELD)
    services.record_progress(
        part=moved.parts.get(),
        by=point,
        status="in_progress",
        progress=10,
        at=timezone.now() - timedelta(days=20),
    )
    round_ = rounds.open_round(edition=edition, deadline=TODAY + timedelta(days=5), by=chair)
    services.record_progress(part=moved.parts.get(), by=point, progress=60)
    services.record_progress(part=still.parts.get(), by=chair, no_change=True)
    upcoming = make_meeting(group, chair, starts_at=in_days(7), status=Meeting.Status.DRAFT)
    return {"round": round_, "meeting": upcoming, "moved": moved, "still": still}


def test_chair_adds_the_follow_up_to_the_next_agenda_in_four_languages(client, chair, follow_up):
    round_, meeting = follow_up["round"], follow_up["meeting"]
    client.force_login(chair.user)
    page = client.get(reverse("rounds:compare", args=[round_.pk])).text
    assert reverse("rounds:follow-up", args=[round_.pk]) in page

    response = client.post(reverse("rounds:follow-up", args=[round_.pk]))

    assert response.status_code == 302 and response["Location"] == reverse(
        "meetings:agenda", args=[meeting.pk]
    )
    item = AgendaItem.objects.get(meeting=meeting)
    assert item.title_en.startswith("Follow-up of commitments")
    assert all(getattr(item, f"title_{code}") for code in ("nl", "fr", "de", "en"))
    assert all(getattr(item, f"description_{code}") for code in ("nl", "fr", "de", "en"))
    description = item.description_en
    assert "2.4 Due diligence" in description and "10 % → In progress 60 %" in description
    assert "2.5" not in description.split("What moved:")[1].split("[")[0]  # "no change" did not move
    assert "1 part past its due date." in description
    assert "2 of 2 parts reported" in description
    comparison = reverse("rounds:compare", args=[round_.pk])
    assert f"]({'http'}" in description and comparison in description
    # Each language's text names the commitments in that language.
    assert "Gepaste zorgvuldigheid" in item.description_nl
    assert "Devoir de vigilance" in item.description_fr


def test_without_an_upcoming_meeting_nothing_is_added(client, chair, follow_up):
    Meeting.objects.filter(pk=follow_up["meeting"].pk).update(status=Meeting.Status.CANCELLED)
    client.force_login(chair.user)
    response = client.post(reverse("rounds:follow-up", args=[follow_up["round"].pk]), follow=True)
    assert "De groep heeft geen komende vergadering" in response.text  # the chair reads Dutch
    assert not AgendaItem.objects.exists()


def test_members_cannot_add_the_follow_up(client, focal_point, outsider, follow_up):
    url = reverse("rounds:follow-up", args=[follow_up["round"].pk])
    client.force_login(focal_point.user)
    assert client.post(url).status_code == 403
    client.force_login(outsider.user)
    assert client.post(url).status_code == 404
    assert not AgendaItem.objects.exists()


# --- Overdue list ----------------------------------------------------------------------------------


def test_the_overdue_list_shows_open_parts_past_due_that_the_reader_may_see(
    client, group, other_group, focal_point, flanders
):
    _plan, edition = make_plan(group)
    late = make_commitment(edition, lead=flanders, title_en="Late one", due_date=TODAY - timedelta(days=3))
    make_commitment(edition, lead=flanders, title_en="Future one", due_date=TODAY + timedelta(days=3))
    done = make_commitment(edition, lead=flanders, title_en="Done one", due_date=TODAY - timedelta(days=3))
    done.parts.update(status="done", progress=100)
    _other_plan, other_edition = make_plan(other_group)
    make_commitment(other_edition, lead=flanders, title_en="Elsewhere", due_date=TODAY - timedelta(days=3))
    client.force_login(focal_point.user)

    page = client.get(reverse("rounds:overdue")).text

    assert "Late one" in page and "3 days late" in page
    assert reverse("coordination:commitment-detail", args=[late.pk]) in page
    for hidden in ("Future one", "Done one", "Elsewhere"):
        assert hidden not in page


def test_the_overdue_list_needs_a_sign_in(client):
    response = client.get(reverse("rounds:overdue"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize("count", [5, 200])
def test_overdue_list_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    _plan, edition = make_plan(group)
    administrations = [AdministrationFactory() for _ in range(5)]
    make_many(edition, count // 5, administrations)
    edition.commitments.update(due_date=TODAY - timedelta(days=1))
    for one in edition.commitments.all()[:3]:
        one.parts.first().focal_points.add(make_member(None, administration=administrations[0]))
    client.force_login(chair.user)
    # session, user, member, count, page rows, focal points
    with django_assert_max_num_queries(6):
        response = client.get(reverse("rounds:overdue"))
    assert response.status_code == 200 and "1 dag te laat" in response.text


def test_a_group_that_never_met_gets_what_changed_since_the_round_opened(chair, follow_up):
    Meeting.objects.filter(status=Meeting.Status.HELD).delete()

    item = add_follow_up_item(round=follow_up["round"], by=chair)

    assert "since the reporting round opened on" in item.description_en
    assert "- 1 part past its due date." in item.description_en  # a Markdown list
