"""Who may do what with meetings: managers write, the group and invitees read, others see nothing."""

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Invitation, Meeting
from members.models import Membership
from tests.factories import make_member
from tests.meetings.factories import invite, make_document, make_items, make_meeting

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def meeting(group, chair):
    meeting = make_meeting(group, chair)
    make_items(meeting, 2)
    return meeting


def write_requests(meeting, group) -> list[tuple[str, str, dict]]:
    """(method, url, data) of every page and action that changes a meeting."""
    first, second = meeting.agenda_items.order_by("position")
    guest = Invitation.objects.create(meeting=meeting, email="guest@example.org", source="guest")
    return [
        ("get", reverse("meetings:create", args=[group.slug]), {}),
        ("post", reverse("meetings:create", args=[group.slug]), {"title_en": "X"}),
        ("get", reverse("meetings:series-create", args=[group.slug]), {}),
        ("get", reverse("meetings:edit", args=[meeting.pk]), {}),
        ("post", reverse("meetings:edit", args=[meeting.pk]), {"title_en": "Changed"}),
        ("get", reverse("meetings:agenda", args=[meeting.pk]), {}),
        (
            "post",
            reverse("meetings:agenda", args=[meeting.pk]),
            {"title_en": "New", "kind": "information", "duration_minutes": "5"},
        ),
        ("get", reverse("meetings:agenda-item-edit", args=[meeting.pk, first.pk]), {}),
        ("post", reverse("meetings:agenda-item-move", args=[meeting.pk, second.pk]), {"direction": "up"}),
        ("post", reverse("meetings:agenda-item-remove", args=[meeting.pk, first.pk]), {}),
        ("get", reverse("meetings:document-upload", args=[meeting.pk]), {}),
        ("get", reverse("meetings:invitees", args=[meeting.pk]), {}),
        (
            "post",
            reverse("meetings:invitee-add", args=[meeting.pk]),
            {"email": "new@example.org", "language": "en"},
        ),
        ("post", reverse("meetings:invitee-remove", args=[meeting.pk, guest.pk]), {}),
        ("get", reverse("meetings:circulate", args=[meeting.pk]), {}),
        ("post", reverse("meetings:circulate", args=[meeting.pk]), {}),
        ("get", reverse("meetings:cancel", args=[meeting.pk]), {}),
        ("post", reverse("meetings:cancel", args=[meeting.pk]), {}),
    ]


def snapshot(meeting):
    meeting.refresh_from_db()
    items = list(
        AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", "title_en")
    )
    invitations = list(meeting.invitations.order_by("pk").values_list("pk", "removed_at"))
    return (
        meeting.title_en,
        meeting.status,
        meeting.circulated_at,
        Meeting.objects.count(),
        items,
        invitations,
    )


@pytest.mark.parametrize("persona", ["focal_point", "observer"])
def test_readers_cannot_change_a_meeting(client, request, meeting, group, persona):
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    requests = write_requests(meeting, group)
    before = snapshot(meeting)

    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)

    assert snapshot(meeting) == before


@pytest.mark.parametrize("persona", ["focal_point", "observer"])
def test_readers_see_the_meeting_and_download_its_documents(client, request, meeting, persona):
    member = request.getfixturevalue(persona)
    file = make_document(meeting).files.get()
    client.force_login(member.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert page.status_code == 200
    assert reverse("meetings:edit", args=[meeting.pk]) not in page.content.decode()  # no manager links
    assert client.get(reverse("meetings:document-download", args=[file.pk])).status_code == 200


def test_outsider_finds_nothing(client, meeting, group, outsider):
    file = make_document(meeting).files.get()
    client.force_login(outsider.user)
    requests = write_requests(meeting, group)
    before = snapshot(meeting)

    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:document-download", args=[file.pk])).status_code == 404
    assert (
        reverse("meetings:detail", args=[meeting.pk])
        not in client.get(reverse("meetings:list")).content.decode()
    )

    assert snapshot(meeting) == before


@pytest.mark.parametrize("persona", ["chair", "secretariat"])
def test_managers_open_every_preparation_page(client, request, meeting, group, persona):
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    for method, url, _data in write_requests(meeting, group):
        if method == "get":
            assert client.get(url).status_code == 200, url
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert reverse("meetings:agenda", args=[meeting.pk]) in page


def test_vice_chair_manages_and_substitute_reads(client, meeting, group):
    vice_chair = make_member(group, Role.VICE_CHAIR)
    substitute = make_member(group, Role.SUBSTITUTE)
    client.force_login(vice_chair.user)
    assert client.get(reverse("meetings:agenda", args=[meeting.pk])).status_code == 200
    client.force_login(substitute.user)
    assert client.get(reverse("meetings:agenda", args=[meeting.pk])).status_code == 403


def test_manager_of_another_group_invited_personally_reads_but_cannot_manage(client, meeting, outsider):
    invite(meeting, [outsider], source=Invitation.Source.PERSONAL)
    client.force_login(outsider.user)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    assert client.get(reverse("meetings:agenda", args=[meeting.pk])).status_code == 403


def test_former_member_loses_access(client, meeting, focal_point):
    from django.utils import timezone

    Membership.objects.filter(member=focal_point).update(end=timezone.localdate())
    client.force_login(focal_point.user)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404


def test_anonymous_visitor_is_asked_to_sign_in(client, meeting):
    for url in (reverse("meetings:list"), reverse("meetings:detail", args=[meeting.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_forged_ids_are_not_found(client, group, chair):
    client.force_login(chair.user)
    assert client.get(reverse("meetings:detail", args=[999999])).status_code == 404
    assert client.get(reverse("meetings:agenda", args=[999999])).status_code == 404
    assert client.get(reverse("meetings:create", args=["no-such-group"])).status_code == 404
    meeting = make_meeting(group, chair)
    other = make_meeting(group, chair)
    stranger = Invitation.objects.create(meeting=other, email="x@example.org", source="guest")
    response = client.post(reverse("meetings:invitee-remove", args=[meeting.pk, stranger.pk]))
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.removed_at is None
