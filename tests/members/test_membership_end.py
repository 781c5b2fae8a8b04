"""Access ends when membership ends: in the same transaction, not at the next hourly sync.

members.services.end_membership (and deactivate_member) send members.signals.membership_ended
inside their transaction; meetings.membership withdraws the invitations to the group's coming
meetings. The meeting page, its documents, the invitee list, the calendar file and the answer
link stop working at once; past meetings, answers and attendance stay.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meetings import links
from meetings.models import Attendance, Invitation, Meeting
from members import services
from members.models import Membership
from members.outbox import OutboundMessage
from members.signals import membership_ended
from tests.factories import make_member
from tests.meetings.factories import in_days, invite, make_document, make_meeting, speaks
from tests.meetings.minutes_factories import attended, held_meeting

Role = Membership.Role
pytestmark = pytest.mark.django_db


@pytest.fixture
def head(group):
    return make_member(group, Role.CHAIR, language="en")


@pytest.fixture
def leaver(group):
    """A secretariat: before leaving they see everything, the invitee list included."""
    return speaks(make_member(group, Role.SECRETARIAT, language="en"), "en")


@pytest.fixture
def coming(group, head, leaver):
    meeting = make_meeting(group, head, starts_at=in_days(20))
    invite(meeting, [head, leaver], source=Invitation.Source.GROUP)
    return meeting


def pages(meeting: Meeting, file_pk: int) -> dict[str, str]:
    return {
        "meeting page": reverse("meetings:detail", args=[meeting.pk]),
        "document": reverse("meetings:document-download", args=[file_pk]),
        "invitee list": reverse("meetings:invitees", args=[meeting.pk]),
        "calendar file": reverse("meetings:meeting-ics", args=[meeting.pk]),
    }


def test_ending_the_membership_closes_every_door_at_once(client, group, head, leaver, coming):
    document = make_document(coming)
    file_pk = document.files.get().pk
    invitation = coming.invitations.get(member=leaver)
    token = links.answer_token(invitation)
    answer_url = reverse("meetings:answer", args=[token])

    client.force_login(leaver.user)
    for name, url in pages(coming, file_pk).items():
        assert client.get(url).status_code == 200, name
    assert client.get(answer_url).status_code == 200

    # The chair ends the membership on the group page.
    chair = client.__class__()
    chair.force_login(head.user)
    slug, pk = group.slug, leaver.memberships.get().pk
    response = chair.post(reverse("members:membership-end", args=[slug, pk]))
    assert response.status_code == 302

    for name, url in pages(coming, file_pk).items():
        assert client.get(url).status_code == 404, name
    answered = client.get(answer_url)
    assert answered.status_code == 410
    assert answered.context["problem"] == links.Problem.REMOVED
    assert "You are no longer invited" in answered.content.decode()
    # And their personal calendar feed no longer lists the meeting.
    leaver.refresh_from_db()
    feed = client.get(reverse("meetings:member-feed", args=[leaver.feed_token]))
    assert f"meeting-{coming.pk}@".encode() not in feed.content
    assert b"Plenary on the CSR action plan" not in feed.content


def test_withdrawn_in_the_same_transaction(group, head, leaver, coming, django_capture_on_commit_callbacks):
    """Nothing waits for commit (nor for the hourly command): the withdrawal is part of the end."""
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        services.end_membership(membership=leaver.memberships.get(), by=head)
        assert coming.invitations.get(member=leaver).removed_at is not None
        assert not Meeting.objects.visible_to(leaver).filter(pk=coming.pk).exists()
    # The others stay invited.
    assert coming.invitations.get(member=head).removed_at is None


def test_a_failing_withdrawal_undoes_the_end(group, head, leaver, coming):
    def broken(sender, **kwargs):
        raise RuntimeError("no")

    membership_ended.connect(broken, dispatch_uid="test.broken")
    try:
        with pytest.raises(RuntimeError):
            services.end_membership(membership=leaver.memberships.get(), by=head)
    finally:
        membership_ended.disconnect(dispatch_uid="test.broken")
    assert leaver.memberships.get().end is None


def test_a_circulated_meeting_sends_the_leaver_a_cancellation(group, head, leaver, coming):
    Meeting.objects.filter(pk=coming.pk).update(circulated_at=timezone.now())
    Invitation.objects.filter(meeting=coming).update(sent_sequence=0)
    services.end_membership(membership=leaver.memberships.get(), by=head)
    assert OutboundMessage.objects.filter(member=leaver).exists()
    assert not OutboundMessage.objects.filter(member=head).exists()


def test_past_meetings_and_attendance_stay(group, head, leaver, coming):
    past = held_meeting(group, head)
    attended(past, leaver)
    services.end_membership(membership=leaver.memberships.get(), by=head)
    past_invitation = past.invitations.get(member=leaver)
    assert past_invitation.removed_at is None
    assert Attendance.objects.filter(invitation=past_invitation).exists()
    assert coming.invitations.get(member=leaver).removed_at is not None


def test_personal_invitations_stay(group, head, leaver):
    """A manager who invited the person by name meant it: only what the membership gave goes."""
    meeting = make_meeting(group, head, starts_at=in_days(20))
    invite(meeting, [leaver], source=Invitation.Source.PERSONAL)
    services.end_membership(membership=leaver.memberships.get(), by=head)
    assert meeting.invitations.get(member=leaver).removed_at is None


def test_other_groups_are_untouched(group, other_group, head, leaver, coming):
    make_member(other_group, Role.CHAIR)
    Membership.objects.create(member=leaver, group=other_group, role=Role.MEMBER)
    elsewhere = make_meeting(other_group, starts_at=in_days(10))
    invite(elsewhere, [leaver], source=Invitation.Source.GROUP)
    services.end_membership(membership=leaver.memberships.get(group=group), by=head)
    assert elsewhere.invitations.get(member=leaver).removed_at is None
    assert coming.invitations.get(member=leaver).removed_at is not None


def test_deactivating_withdraws_at_once_and_sends_nothing(group, head, leaver, coming):
    Meeting.objects.filter(pk=coming.pk).update(circulated_at=timezone.now())
    services.deactivate_member(member=leaver)
    assert coming.invitations.get(member=leaver).removed_at is not None
    assert not OutboundMessage.objects.filter(member=leaver, status=OutboundMessage.Status.QUEUED).exists()


def test_anonymising_needs_deactivation_first(group, head, leaver, coming):
    """The admin site's other way out: it refuses a member still active, so access ended before."""
    with pytest.raises(ValidationError):
        services.anonymise_member(member=leaver)
    services.deactivate_member(member=leaver)
    services.anonymise_member(member=leaver)
    assert coming.invitations.get(member=leaver).removed_at is not None
