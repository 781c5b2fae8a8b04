"""`manage.py sync_invitations`: people who join a group are invited to its upcoming meetings."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from meetings import circulation
from meetings.models import Invitation, Meeting
from members.models import Membership
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import in_days, make_items, make_meeting

pytestmark = pytest.mark.django_db
Status = Meeting.Status


@pytest.fixture
def upcoming(group, chair, focal_point):
    """A scheduled meeting of the whole group, its agenda circulated to chair and focal point."""
    meeting = make_meeting(group, chair, starts_at=in_days(10))
    make_items(meeting, 1)
    circulation.circulate_agenda(meeting=meeting, by=chair)
    OutboundMessage.objects.all().delete()
    return meeting


def test_newcomer_is_invited_and_sent_the_current_version(upcoming, group):
    newcomer = make_member(group, language="fr")

    call_command("sync_invitations")
    call_command("sync_invitations")  # a second run changes nothing more

    invitation = upcoming.invitations.get(member=newcomer)
    assert (invitation.source, invitation.removed_at) == (Invitation.Source.GROUP, None)
    assert invitation.sent_sequence == Meeting.objects.get(pk=upcoming.pk).sequence
    row = OutboundMessage.objects.get()
    assert (row.to_email, row.language) == (newcomer.user.email, "fr")
    assert "METHOD:REQUEST" in row.alternatives[0]["content"]


def test_member_who_left_gets_a_cancellation(upcoming, focal_point):
    Membership.objects.filter(member=focal_point).update(end=timezone.localdate())

    call_command("sync_invitations")

    assert upcoming.invitations.get(member=focal_point).removed_at is not None
    row = OutboundMessage.objects.get()
    assert row.to_email == focal_point.user.email
    assert "METHOD:CANCEL" in row.alternatives[0]["content"]


def test_drafts_and_meetings_that_started_cancelled_or_were_held_are_left_alone(group, chair):
    meetings = [
        make_meeting(group, chair, status=Status.DRAFT),
        make_meeting(group, chair, status=Status.CANCELLED),
        make_meeting(group, chair, status=Status.HELD, starts_at=timezone.now() - timedelta(days=2)),
        make_meeting(group, chair, starts_at=timezone.now() - timedelta(minutes=30)),  # under way
    ]

    call_command("sync_invitations")

    assert not Invitation.objects.filter(meeting__in=meetings).exists()


def test_meeting_whose_email_fails_is_reported_and_the_others_are_synced(upcoming, group, chair, monkeypatch):
    other = make_meeting(group, chair, starts_at=in_days(20))
    make_items(other, 1)
    circulation.circulate_agenda(meeting=other, by=chair)
    newcomer = make_member(group)
    real = circulation.emails.invitation_email

    def fails_for_upcoming(invitation, **kwargs):
        if invitation.meeting.pk == upcoming.pk:
            raise RuntimeError("a template error")
        return real(invitation, **kwargs)

    monkeypatch.setattr(circulation.emails, "invitation_email", fails_for_upcoming)

    with pytest.raises(CommandError, match="1 meeting"):
        call_command("sync_invitations")

    assert not upcoming.invitations.filter(member=newcomer).exists()  # nothing half done
    assert other.invitations.get(member=newcomer).sent_sequence is not None
