"""Circulating meetings: the agenda with its calendar invitation, updates, cancellations, reminders.

Services take keyword-only arguments and run in one transaction; what they send goes through
meetings.sending, in that transaction (see there why no invitee is missed or sent twice).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from core.translated import translated_names
from meetings import emails, sending, services
from meetings.invitees import REACHABLE, UNANSWERED, invitation_language, mark_substitute_rights
from meetings.models import Invitation, Meeting
from members.models import Member
from members.outbox import Kind as OutboxKind
from members.tasks import enqueue_in_transaction

Status = Meeting.Status
Rsvp = Invitation.Rsvp

# Unanswered reminders wait at least this long after the invitation went out.
REMINDER_GRACE = timedelta(days=1)
# "The day before": the accepted reminder goes out once the meeting is this close.
ACCEPTED_REMINDER_BEFORE = timedelta(days=1)


# --- Circulation --------------------------------------------------------------------------


def _check_can_be_sent(meeting: Meeting) -> None:
    if meeting.status == Status.CANCELLED:
        raise ValidationError(_("This meeting is cancelled: its agenda cannot be circulated."))
    if meeting.status == Status.HELD or meeting.ends_at <= timezone.now():
        raise ValidationError(_("This meeting has already taken place."))


def _plan(meeting: Meeting) -> tuple[list[Invitation], dict, bool]:
    """(who gets an email, what changed, whether the revision must be raised first)."""
    invitations = sending.invitations_to_send(meeting, meeting.invitations.filter(REACHABLE, removed_at__isnull=True))
    changes = sending.changes_since_circulation(meeting) if meeting.circulated_at else {}
    pending = sending.pending(meeting, invitations)
    # A change that did not raise the revision (an edited agenda item, a new document) still
    # reaches everyone: circulating again raises it, so calendars apply the update.
    bump = bool(changes) and not any(i.sent_sequence is not None for i in pending)
    if bump:
        pending = invitations
    return pending, changes, bump


def circulation_preview(*, meeting: Meeting) -> dict:
    """What circulating now would send.

    {"recipients": int, "newcomers": int, "update": bool, "changes": {...}, "languages":
    [{"language", "name", "count", "subject", "text", "html"}, …]}: per language among the
    current invitees who get it, the email a sample recipient of that language would receive
    (a member rather than a guest), with a placeholder name and example answer links that are
    no valid token: whoever sees the preview cannot answer for anyone. `recipients` counts the
    `newcomers` too: people the group and administration settings invite who are not invited
    yet (circulating invites them first).
    """
    meeting = sending.with_email_data(meeting)
    recipients, changes, _bump = _plan(meeting)
    newcomers = services.invitations_to_add(meeting)
    names = dict(settings.LANGUAGES)
    by_language: dict[str, list[Invitation]] = {}
    for invitation in recipients:
        by_language.setdefault(invitation_language(invitation), []).append(invitation)
    languages = []
    for code, _name in settings.LANGUAGES:
        group = by_language.get(code)
        if not group:
            continue
        sample = min(group, key=lambda i: (i.member_id is None, i.pk))
        email = emails.invitation_email(
            sample, update=sample.sent_sequence is not None, changes=changes, preview=True
        )
        languages.append(
            {
                "language": code,
                "name": str(names[code]),
                "count": len(group),
                "subject": email.subject,
                "text": email.text,
                "html": email.html,
            }
        )
    return {
        "recipients": len(recipients) + newcomers,
        "newcomers": newcomers,
        "update": meeting.circulated_at is not None,
        "changes": changes,
        "languages": languages,
    }


@transaction.atomic
def circulate_agenda(*, meeting: Meeting, by: Member | None, note: str = "") -> int:
    """Send the agenda with its calendar invitation to every invitee without the current version.

    The invitations are first brought in line with the group and administration settings, so
    that people who joined the group since are invited too (and those who left get a
    cancellation). The first circulation invites everyone and schedules the meeting; later ones
    send the update (same UID, higher SEQUENCE) to those who had an older version, and
    invitations to those who had none. `note` is the organiser's word on what changed.

    This records the decision (the revision, circulated_at and the version sent, the status)
    and queues one task, prepare_circulation (below), which writes the emails in
    chunks (send_circulation_chunk); the outbox page of the sending (sending.circulation_batch)
    shows them being prepared, then sent. Returns the number of invitees who will get one.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_can_be_sent(locked)
    # The newcomers get their invitation below, with everyone else: one email each; those who
    # left the group get their cancellation now.
    _added, removed = services.match_invitations(meeting=locked, by=by)
    sending.tell_invitees(meeting=locked, added=[], removed=removed, by=by)
    meeting = sending.with_email_data(locked)
    if not meeting.agenda:
        raise ValidationError(_("Add at least one agenda item before circulating the agenda."))
    invitations = meeting.invitations.filter(REACHABLE, removed_at__isnull=True)
    previous_version = meeting.circulated_version if meeting.circulated_at else None
    changes = sending.changes_since(meeting, previous_version)
    waiting = invitations.filter(sending.without_current_version(meeting))
    # A change that did not raise the revision (an edited agenda item, a new document) still
    # reaches everyone: circulating again raises it, so calendars apply the update.
    # (The same rule as _plan, which the preview uses, counted in the database.)
    bump = bool(changes) and not waiting.filter(sent_sequence__isnull=False).exists()
    recipients = invitations.count() if bump else waiting.count()
    if meeting.circulated_at is None and not recipients:
        raise ValidationError(_("Nobody is invited to this meeting yet."))
    kind = "update" if meeting.circulated_at else "invitation"
    if bump:
        meeting.sequence += 1

    meeting.circulated_at = timezone.now()
    meeting.circulated_version = sending.version_of(meeting)
    if meeting.status == Status.DRAFT:
        meeting.status = Status.SCHEDULED
    meeting.save(update_fields=["sequence", "circulated_at", "circulated_version", "status", "updated_at"])
    if recipients:
        # In this transaction: with the database queue the task commits with the decision.
        enqueue_in_transaction(
            prepare_circulation,
            meeting.pk,
            sequence=meeting.sequence,
            note=note,
            previous_version=previous_version,
            outbox_batch=sending.circulation_batch(meeting),
            outbox_title=sending.batch_title(meeting, kind, by),
            outbox_kind=OutboxKind.MEETING_INVITATION.value,
            outbox_count=recipients,
            outbox_created_by=by.pk if by else None,
        )
    return recipients


# Invitees whose emails one run of prepare_circulation writes.
CIRCULATION_CHUNK = 200


@transaction.atomic
def send_circulation_chunk(
    *,
    meeting_id: int,
    sequence: int,
    note: str = "",
    previous_version: dict | None = None,
    batch: str,
    title: str,
    created_by: int | None,
    size: int | None = None,
) -> tuple[int, bool]:
    """Queue the circulation emails of the next `size` invitees without revision `sequence`.

    In one transaction, with the meeting locked: the emails (emails.invitation_emails), their
    outbox rows (in bulk) and the invitations' `sent_sequence`, so that a crash loses nothing
    and a second run sends nobody twice. Stops, sending nothing, once the meeting moved to
    another revision (the next circulation sends that one), was cancelled or has taken place.
    Returns (emails queued, whether invitees remain). `size` defaults to CIRCULATION_CHUNK.
    """
    size = size or CIRCULATION_CHUNK
    locked = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
    if (
        locked is None
        or locked.sequence != sequence
        or locked.circulated_at is None
        or locked.status in {Status.CANCELLED, Status.HELD}
        or locked.ends_at <= timezone.now()
    ):
        return 0, False
    meeting = sending.with_email_data(locked)
    waiting = meeting.invitations.filter(
        sending.without_current_version(meeting), REACHABLE, removed_at__isnull=True
    )
    # Invitees of one language together: a chunk renders each kind of email it holds once, and
    # holds fewer kinds (a guest's language is the invitation's own; here only the order).
    language = Coalesce("member__user__language", "language")
    ids = list(waiting.order_by(language, "pk").values_list("pk", flat=True)[: size + 1])
    recipients = sending.invitations_to_send(meeting, waiting.filter(pk__in=ids[:size]))
    if not recipients:
        return 0, False
    changes = sending.changes_since(meeting, previous_version)
    built = emails.invitation_emails(recipients, changes=changes, note=note)
    by = Member.objects.filter(pk=created_by).first() if created_by else None
    sending.queue_meeting_emails(built, recipients, batch=batch, title=title, by=by)
    sending.record_sent(recipients, meeting.sequence)
    return len(recipients), len(ids) > size


NOTE_FIELDS = tuple(translated_names("cancellation_note"))


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, by: Member | None, **notes: str) -> int:
    """Cancel the meeting: a higher SEQUENCE and METHOD:CANCEL to everyone who was sent it.

    `notes` are the message to the invitees in each language (cancellation_note_nl, _fr, _de,
    _en), stored on the meeting; each invitee gets it in their language, or the usual fallback.
    Returns the number of cancellation emails queued.
    """
    unknown = sorted(set(notes) - set(NOTE_FIELDS))
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(unknown)}")
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status == Status.CANCELLED:
        raise ValidationError(_("This meeting is already cancelled."))
    if locked.status == Status.HELD or locked.ends_at <= timezone.now():
        raise ValidationError(_("This meeting has already taken place."))
    locked.status = Status.CANCELLED
    locked.sequence += 1
    for field in NOTE_FIELDS:
        setattr(locked, field, (notes.get(field) or "").strip())
    locked.save(update_fields=["status", "sequence", *NOTE_FIELDS, "updated_at"])
    meeting = sending.with_email_data(locked)
    rows = meeting.invitations.filter(REACHABLE, sent_sequence__isnull=False)
    recipients = sending.invitations_to_send(meeting, rows)
    batch = f"meeting-{meeting.pk}-cancelled"
    for invitation in recipients:
        sending.queue_meeting_email(emails.cancellation_email(invitation), invitation, batch=batch, by=by)
    sending.record_sent(recipients, meeting.sequence)
    return len(recipients)


# --- Reminders ----------------------------------------------------------------------------


def _claim(invitation: Invitation, field: str, now: datetime, still: Q) -> bool:
    """Mark the reminder as sent, unless another run already did (a conditional UPDATE)."""
    return bool(
        Invitation.objects.filter(
            still, pk=invitation.pk, removed_at__isnull=True, **{f"{field}__isnull": True}
        ).update(**{field: now})
    )


def due_reminders(now: datetime) -> list[tuple[Invitation, str]]:
    """(invitation, "unanswered" | "accepted") for every reminder due at `now`.

    "unanswered" also asks those whose answer is to confirm since the meeting moved, once
    they were sent the moved meeting; they get no "accepted" reminder until they confirm.
    """
    # The "N days before" window differs per meeting: found among the few upcoming meetings
    # here rather than with date arithmetic in SQL, which differs between databases.
    # Nobody is asked to answer once answering has closed (the meeting's RSVP deadline).
    windows = Meeting.objects.filter(
        Q(rsvp_deadline__isnull=True) | Q(rsvp_deadline__gt=now),
        status=Status.SCHEDULED,
        starts_at__gt=now,
        remind_unanswered_days__isnull=False,
        circulated_at__lte=now - REMINDER_GRACE,
    ).values_list("pk", "starts_at", "remind_unanswered_days")
    open_for_unanswered = [pk for pk, start, days in windows if start - timedelta(days=days) <= now]
    upcoming = Invitation.objects.filter(
        REACHABLE,
        removed_at__isnull=True,
        sent_sequence__isnull=False,
        meeting__status=Status.SCHEDULED,
        meeting__starts_at__gt=now,
    )
    unanswered = upcoming.filter(
        Q(rsvp=Rsvp.NONE) | Q(rsvp_to_confirm=True, sent_sequence=F("meeting__sequence")),
        meeting__in=open_for_unanswered,
        unanswered_reminder_sent_at__isnull=True,
        created_at__lte=now - REMINDER_GRACE,
    )
    accepted = upcoming.filter(
        rsvp=Rsvp.ACCEPTED,
        rsvp_to_confirm=False,
        accepted_reminder_sent_at__isnull=True,
        meeting__remind_accepted_day_before=True,
        meeting__starts_at__lte=now + ACCEPTED_REMINDER_BEFORE,
    )
    due = [(invitation, "unanswered") for invitation in unanswered.select_related("member__user")]
    due += [(invitation, "accepted") for invitation in accepted.select_related("member__user")]
    if not due:
        return []
    meeting_ids = {invitation.meeting_id for invitation, _kind in due}
    meetings = {m.pk: m for m in Meeting.objects.with_detail_data().filter(pk__in=meeting_ids)}
    for invitation, _kind in due:
        invitation.meeting = meetings[invitation.meeting_id]
    for meeting_id, meeting in meetings.items():
        mark_substitute_rights(meeting, [i for i, _kind in due if i.meeting_id == meeting_id])
    return due


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Queue every reminder that is due; each is sent once, however often this runs. Returns the count.

    N days before the meeting (its remind_unanswered_days) to invitees who have not answered
    (or whose answer is to confirm since the meeting moved), until its RSVP deadline; the day before to those who accepted. Never for drafts, cancelled
    meetings or removed invitees.
    """
    now = now or timezone.now()
    sent = 0
    for invitation, kind in due_reminders(now):
        field = f"{kind}_reminder_sent_at"
        still = UNANSWERED if kind == "unanswered" else Q(rsvp=Rsvp.ACCEPTED, rsvp_to_confirm=False)
        # One transaction per reminder: the claim and the outbox row commit together.
        with transaction.atomic():
            if not _claim(invitation, field, now, still):
                continue
            email = emails.reminder_email(invitation, kind)
            sending.queue_meeting_email(
                email, invitation, batch=f"meeting-{invitation.meeting_id}-reminder-{kind}", by=None
            )
        sent += 1
    return sent


@task
def prepare_circulation(
    meeting_id: int,
    *,
    sequence: int,
    note: str = "",
    previous_version: dict | None = None,
    outbox_batch: str,
    outbox_title: str,
    outbox_kind: str,
    outbox_count: int,
    outbox_created_by: int | None = None,
) -> int:
    """Write the emails of one chunk of a circulation (circulation.send_circulation_chunk), then
    queue this task again while invitees remain. Returns the emails written.

    Queued once by circulation.circulate_agenda. Safe to run twice: a chunk's rows and the
    invitations' `sent_sequence` commit together, so a run finds only whom no run reached yet.
    The outbox_* arguments name the sending for the outbox pages while it is being prepared,
    and let the worker's recovery run it again if its worker stops (members.tasks.PREPARING_KWARGS).
    """
    arguments = {
        "sequence": sequence,
        "note": note,
        "previous_version": previous_version,
        "outbox_batch": outbox_batch,
        "outbox_title": outbox_title,
        "outbox_kind": outbox_kind,
        "outbox_count": outbox_count,
        "outbox_created_by": outbox_created_by,
    }
    # The chunk and the next run commit together: a crash in between loses neither.
    with transaction.atomic():
        written, more = send_circulation_chunk(
            meeting_id=meeting_id,
            sequence=sequence,
            note=note,
            previous_version=previous_version,
            batch=outbox_batch,
            title=outbox_title,
            created_by=outbox_created_by,
        )
        if more:
            enqueue_in_transaction(prepare_circulation, meeting_id, **arguments)
    return written
