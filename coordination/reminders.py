"""The periodic reminders on commitments; each goes once, however often the job runs.

- Reporting rounds: `remind_days_before` days before an open round's deadline, one email to each
  focal point with parts not reported yet in the round (never when the round was opened on or
  after that day: the opening email has just gone).
- Due dates: COMMITMENT_DUE_REMINDER_DAYS days before a part's due date and once it has passed,
  to the part's focal points while the part is not done or dropped. One email per focal point
  lists all their parts that are due.

"Once" is the database's guarantee, not a read: each reminder is claimed by inserting its
ReminderLog row (unique per round, member and kind; per part, kind and due date) in the same
transaction as its outbox row. A second run, or a concurrent one that read the same list, fails
the insert and sends nothing; a run that fails before commit leaves nothing claimed.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_noop

from coordination.models import CLOSED_STATUSES, CommitmentPart, ReminderLog, ReportingRound
from coordination.rounds import (
    claim_reminder,
    focal_points_with_parts,
    part_links,
    recipient_language,
    send_round_emails,
    sender_title,
)
from members.emails import render_email
from members.models import Member
from members.outbox import Kind
from members.services import queue_message

# Days before a due date that its focal points are reminded, unless settings.COMMITMENT_DUE_REMINDER_DAYS says otherwise.
DEFAULT_DUE_REMINDER_DAYS = 14
# A due date that passed longer ago than this is not reminded any more: a plan imported with years
# of old due dates must not fill inboxes on the first run.
OVERDUE_WINDOW = timedelta(days=30)
DUE_TITLE = gettext_noop("Commitment due dates, %(date)s")


def due_reminder_days() -> int:
    return int(getattr(settings, "COMMITMENT_DUE_REMINDER_DAYS", DEFAULT_DUE_REMINDER_DAYS))


# --- Reporting rounds ---------------------------------------------------------------------------


def rounds_to_remind(today: date) -> list[ReportingRound]:
    """Open rounds whose reminder day has come and whose deadline has not passed."""
    rounds = (
        ReportingRound.objects.open()
        .filter(remind_days_before__isnull=False, deadline__gte=today, reminder_sent_at__isnull=True)
        .select_related("edition__plan")
        .order_by("pk")
    )
    due = []
    for round_ in rounds:
        remind_on = round_.deadline - timedelta(days=round_.remind_days_before)
        if remind_on <= today and timezone.localdate(round_.opened_at) < remind_on:
            due.append(round_)
    return due


def send_round_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminders of every round whose reminder day has come. Returns the count queued."""
    now = now or timezone.now()
    sent = 0
    for round_ in rounds_to_remind(timezone.localdate(now)):
        with transaction.atomic():
            sent += send_round_emails(round_, kind=ReminderLog.Kind.ROUND_REMINDER)
            ReportingRound.objects.filter(pk=round_.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
    return sent


# --- Due dates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    part: CommitmentPart
    kind: str
    due_date: date


def due_reminders(today: date) -> list[DueReminder]:
    """Open parts with focal points whose due date is within the reminder days (due soon) or passed
    within OVERDUE_WINDOW (overdue), and not reminded yet for that kind and due date."""
    soon_until = today + timedelta(days=due_reminder_days())
    overdue_since = today - OVERDUE_WINDOW
    parts = (
        CommitmentPart.objects.exclude(status__in=CLOSED_STATUSES)
        .filter(
            focal_points__isnull=False,
            commitment__due_date__isnull=False,
            commitment__due_date__gte=overdue_since,
            commitment__due_date__lte=soon_until,
        )
        .distinct()
        .select_related("commitment", "administration")
        .prefetch_related("focal_points__user")
        .order_by("pk")
    )
    # Only keeps the list short: the claim in send_due_date_reminders decides.
    sent = {
        (part_id, kind, due)
        for part_id, kind, due in ReminderLog.objects.filter(
            round__isnull=True, due_date__gte=overdue_since, due_date__lte=soon_until
        ).values_list("part_id", "kind", "due_date")
    }
    reminders = []
    for part in parts:
        due = part.commitment.due_date
        kind = ReminderLog.Kind.OVERDUE if due < today else ReminderLog.Kind.DUE_SOON
        if (part.pk, kind, due) not in sent:
            part.focal_point_list = list(part.focal_points.all())
            reminders.append(DueReminder(part, kind, due))
    return reminders


def send_due_date_reminders(
    *, now: datetime | None = None, reminders: list[DueReminder] | None = None
) -> int:
    """Queue the due-date reminders that are due: one email per focal point listing their parts.
    Returns the number of emails queued. `reminders` (a list read earlier) is for tests of races."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if reminders is None:
        reminders = due_reminders(today)
    sent = 0
    with transaction.atomic():
        claimed = [
            reminder
            for reminder in reminders
            if claim_reminder(kind=reminder.kind, part=reminder.part, due_date=reminder.due_date, sent_at=now)
        ]
        kinds = {reminder.part.pk: reminder.kind for reminder in claimed}
        for member, parts in focal_points_with_parts([reminder.part for reminder in claimed]):
            _queue_due_email(member, parts, kinds, today=today)
            sent += 1
    return sent


def _queue_due_email(
    member: Member, parts: list[CommitmentPart], kinds: dict[int, str], *, today: date
) -> None:
    overdue = [part for part in parts if kinds[part.pk] == ReminderLog.Kind.OVERDUE]
    due_soon = [part for part in parts if kinds[part.pk] == ReminderLog.Kind.DUE_SOON]
    context = {
        "member": member,
        "overdue": part_links(overdue),
        "due_soon": part_links(due_soon),
        "days": due_reminder_days(),
    }
    subject, text, html = render_email(
        "coordination/email/due_reminder", context, language=recipient_language(member), tz=member.timezone
    )
    queue_message(
        kind=Kind.COMMITMENT_REMINDER,
        to_email=member.user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        language=recipient_language(member),
        member=member,
        batch=f"commitments-due-{today.isoformat()}",
        batch_title=sender_title(
            DUE_TITLE, {"date": lambda: formats.date_format(today, "DATE_FORMAT")}, None
        ),
    )


def send_commitment_reminders(*, now: datetime | None = None) -> tuple[int, int]:
    """Both kinds: (round reminders queued, due-date reminder emails queued)."""
    now = now or timezone.now()
    return send_round_reminders(now=now), send_due_date_reminders(now=now)
