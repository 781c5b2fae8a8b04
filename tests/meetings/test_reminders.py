"""Meeting reminders: due ones go out once, however often or concurrently the scheduler runs."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from meetings import circulation, tasks
from meetings.models import Invitation, Meeting
from members.outbox import Kind, OutboundMessage
from members.services import deactivate_member, end_membership
from tests.factories import make_member
from tests.meetings.helpers import circulated, make_meeting

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Status = Meeting.Status


@pytest.fixture
def people(group):
    """Invitees by their answer."""
    return {
        answer: make_member(group, language="fr") for answer in ("none", "accepted", "declined", "tentative")
    }


def meeting_in(group, chair, people, delay: timedelta, **fields) -> Meeting:
    """A circulated meeting starting after `delay`, invitations sent ten days ago and answered."""
    meeting = make_meeting(
        group, chair, members=list(people.values()), items=2, starts_at=timezone.now() + delay, **fields
    )
    circulated(meeting)
    meeting.invitations.update(created_at=timezone.now() - timedelta(days=10))
    for answer, member in people.items():
        meeting.invitations.filter(member=member).update(rsvp=answer)
    return meeting


def reminded(kind: str = "") -> set[str]:
    rows = OutboundMessage.objects.filter(kind=Kind.MEETING_REMINDER)
    if kind:
        rows = rows.filter(batch__endswith=kind)
    return set(rows.values_list("to_email", flat=True))


def test_unanswered_invitees_are_reminded_once_even_when_run_twice(group, chair, people):
    meeting_in(group, chair, people, timedelta(days=5), remind_unanswered_days=7)

    first = tasks.send_due_reminders.call()
    second = tasks.send_due_reminders.call()

    assert (first, second) == (1, 0)
    assert reminded() == {people["none"].user.email}
    row = OutboundMessage.objects.get()
    assert row.language == "fr"
    assert row.batch.endswith("-reminder-unanswered")
    assert "Plénière sur le plan d'action RSE" in row.subject
    assert row.alternatives == [] and row.attachments == []


def test_reminder_claimed_by_one_run_is_not_sent_by_a_concurrent_one(group, chair, people, monkeypatch):
    meeting_in(group, chair, people, timedelta(days=5), remind_unanswered_days=7)
    # Both runs read the due reminders before either sent anything.
    due = circulation.due_reminders(timezone.now())
    monkeypatch.setattr(circulation, "due_reminders", lambda now: due)

    assert circulation.send_due_reminders() == 1
    assert circulation.send_due_reminders() == 0
    assert OutboundMessage.objects.count() == 1


def test_those_who_answered_are_not_asked_again(group, chair, people):
    meeting = meeting_in(group, chair, people, timedelta(days=3), remind_unanswered_days=7)

    tasks.send_due_reminders.call()

    assert people["declined"].user.email not in reminded()
    assert people["tentative"].user.email not in reminded()
    assert reminded("unanswered") == {people["none"].user.email}
    assert meeting.invitations.get(member=people["none"]).unanswered_reminder_sent_at is not None


def test_no_unanswered_reminder_before_the_chosen_number_of_days(group, chair, people):
    meeting_in(group, chair, people, timedelta(days=8), remind_unanswered_days=7)

    assert tasks.send_due_reminders.call() == 0
    assert tasks.send_due_reminders.call(now=(timezone.now() + timedelta(days=1, hours=1)).isoformat()) == 1


def test_no_unanswered_reminder_when_the_meeting_turns_it_off(group, chair, people):
    meeting_in(group, chair, people, timedelta(days=2), remind_unanswered_days=None)

    assert tasks.send_due_reminders.call() == 0


def test_those_who_accepted_are_reminded_the_day_before(group, chair, people):
    meeting = meeting_in(group, chair, people, timedelta(days=3), remind_unanswered_days=None)
    assert tasks.send_due_reminders.call() == 0  # three days before: not yet

    later = (meeting.starts_at - timedelta(hours=20)).isoformat()
    assert tasks.send_due_reminders.call(now=later) == 1
    assert tasks.send_due_reminders.call(now=later) == 0

    assert reminded("accepted") == {people["accepted"].user.email}
    row = OutboundMessage.objects.get()
    assert "Plénière sur le plan d'action RSE" in row.subject
    assert "Point 1 en français" in row.body_text  # the agenda, in their language


def test_nobody_is_asked_to_answer_once_answering_has_closed(group, chair, people):
    deadline = timezone.now() + timedelta(days=1)
    meeting = meeting_in(
        group, chair, people, timedelta(days=5), remind_unanswered_days=7, rsvp_deadline=deadline
    )

    after = (deadline + timedelta(minutes=1)).isoformat()
    assert tasks.send_due_reminders.call(now=after) == 0
    assert not OutboundMessage.objects.exists()
    # Those who accepted are still reminded the day before: they need no answer.
    day_before = (meeting.starts_at - timedelta(hours=20)).isoformat()
    assert tasks.send_due_reminders.call(now=day_before) == 1
    assert reminded() == {people["accepted"].user.email}


def test_unanswered_are_reminded_while_answering_is_open(group, chair, people):
    meeting_in(
        group,
        chair,
        people,
        timedelta(days=5),
        remind_unanswered_days=7,
        rsvp_deadline=timezone.now() + timedelta(days=1),
    )

    assert tasks.send_due_reminders.call() == 1
    assert reminded("unanswered") == {people["none"].user.email}


def test_cancelled_and_draft_meetings_send_no_reminders(group, chair, people):
    cancelled = meeting_in(group, chair, people, timedelta(hours=20), remind_unanswered_days=7)
    Meeting.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED)
    draft = make_meeting(
        group, chair, members=list(people.values()), starts_at=timezone.now() + timedelta(hours=20)
    )
    draft.invitations.update(created_at=timezone.now() - timedelta(days=10), sent_sequence=0)

    assert tasks.send_due_reminders.call() == 0
    assert not OutboundMessage.objects.exists()


def test_removed_and_deactivated_invitees_get_no_reminder(group, chair, people):
    meeting_in(group, chair, people, timedelta(hours=20), remind_unanswered_days=7)
    end_membership(membership=people["none"].memberships.get(group=group), by=chair)
    deactivate_member(member=people["accepted"])

    assert tasks.send_due_reminders.call() == 0


def test_reminders_wait_a_day_after_a_late_invitation(group, chair, people):
    meeting = meeting_in(group, chair, people, timedelta(days=3), remind_unanswered_days=7)
    meeting.invitations.update(created_at=timezone.now() - timedelta(hours=2))

    assert tasks.send_due_reminders.call() == 0


def test_past_meetings_send_no_reminders(group, chair, people):
    meeting_in(group, chair, people, timedelta(hours=-1), remind_unanswered_days=7)

    assert tasks.send_due_reminders.call() == 0


def test_management_command_queues_due_reminders(group, chair, people):
    meeting_in(group, chair, people, timedelta(days=5), remind_unanswered_days=7)

    call_command("send_meeting_reminders")
    call_command("send_meeting_reminders")

    assert reminded() == {people["none"].user.email}


def test_task_refuses_a_malformed_moment():
    with pytest.raises(ValueError, match="ISO 8601"):
        tasks.send_due_reminders.call(now="next tuesday")
