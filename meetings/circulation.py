"""Sending meetings by email: the agenda with its calendar invitation, updates, cancellations, reminders.

Services take keyword-only arguments and run in one transaction. Each email is one outbox row
(members.services.queue_message) written in that transaction, together with the invitation's
`sent_sequence` (the calendar revision the invitee now has): a rollback sends nothing, and a
second run finds everyone up to date, so no invitee is missed or sent a version twice.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from meetings import calendar, emails, rsvp, services
from meetings.models import Invitation, Meeting
from core.i18n import localized
from members.models import Member
from members.outbox import Kind
from members.services import queue_message

Status = Meeting.Status
Rsvp = Invitation.Rsvp

# Unanswered reminders wait at least this long after the invitation went out.
REMINDER_GRACE = timedelta(days=1)
# "The day before": the accepted reminder goes out once the meeting is this close.
ACCEPTED_REMINDER_BEFORE = timedelta(days=1)

# Invitees who can be emailed: guests, and members who are still active.
REACHABLE = Q(member__isnull=True) | Q(member__deactivated_at__isnull=True, member__user__is_active=True)
# Who the "please answer" reminder is for: no answer yet, or an answer given before the meeting
# moved that is still to confirm.
UNANSWERED = Q(rsvp=Rsvp.NONE) | Q(rsvp_to_confirm=True)


def circulation_batch(meeting: Meeting, suffix: str = "") -> str:
    """The outbox batch of one sending, e.g. "meeting-12-r3": the outbox page groups by it."""
    return f"meeting-{meeting.pk}-r{meeting.sequence}" + (f"-{suffix}" if suffix else "")


def reply_address(meeting: Meeting) -> str:
    """Replies go to the organiser, or to the group's contact address."""
    if meeting.organiser_id and meeting.organiser.user.email:
        return meeting.organiser.user.email
    return meeting.group.contact_email


def _with_data(meeting: Meeting) -> Meeting:
    """The meeting again, with everything the emails read (agenda, presenters, documents)."""
    return Meeting.objects.with_detail_data().get(pk=meeting.pk)


def _invitations(meeting: Meeting, rows=None) -> list[Invitation]:
    """Invitations with member and user loaded, each pointing at the already loaded `meeting`,
    whether each may send a substitute (their emails' answer links depend on it), and for
    substitutes whom they stand in for (`replaces`)."""
    rows = meeting.invitations.all() if rows is None else rows
    invitations = list(rows.select_related("member__user").order_by("pk"))
    for invitation in invitations:
        invitation.meeting = meeting
    if invitations:
        rsvp.mark_substitute_rights(meeting, invitations)
        rsvp.mark_replaced(invitations)
    return invitations


def queue_meeting_email(
    email: emails.MeetingEmail, invitation: Invitation, *, batch: str | tuple[str, str], by: Member | None
):
    """Queue one built meeting email for its invitee through the outbox.

    `batch` is the outbox batch, or (batch, "invitation" | "update") to name a sending that mixes
    both. The batch title the sender sees on their outbox pages ("Invitation: Plenary, 12 March
    2027") is written in the sender's language and time zone (the organiser's for automatic emails).
    """
    meeting = invitation.meeting
    batch, sending = batch if isinstance(batch, tuple) else (batch, "")
    if not sending and email.method == calendar.CANCEL:
        sending = "cancellation"
    elif not sending and email.kind == Kind.MEETING_REMINDER:
        sending = "reminder"
    elif not sending:
        sending = "invitation" if invitation.sent_sequence is None else "update"
    sender = by or (meeting.organiser if meeting.organiser_id else None)
    language = sender.language if sender else settings.LANGUAGE_CODE
    try:
        zone = zoneinfo.ZoneInfo(sender.timezone if sender else settings.TIME_ZONE)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with translation.override(language):
        label = {
            "invitation": _("Invitation: %(title)s, %(date)s"),
            "update": _("Update: %(title)s, %(date)s"),
            "cancellation": _("Cancellation: %(title)s, %(date)s"),
            "reminder": _("Reminder: %(title)s, %(date)s"),
        }[sending]
        date = formats.date_format(timezone.localtime(meeting.starts_at, zone), "DATE_FORMAT")
        batch_title = label % {"title": localized(meeting, "title", language), "date": date}
    return queue_message(
        kind=email.kind,
        to_email=email.to_email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        language=email.language,
        member=invitation.member if invitation.member_id else None,
        batch=batch,
        batch_title=batch_title,
        reply_to=reply_address(invitation.meeting),
        attachments=email.attachments,
        alternatives=email.alternatives,
        created_by=by,
    )


def _record_sent(invitations: list[Invitation], sequence: int | None) -> None:
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(sent_sequence=sequence)
    for invitation in invitations:
        invitation.sent_sequence = sequence


# --- What changed since the last circulation ----------------------------------------------


def version_of(meeting: Meeting) -> dict:
    """What invitees were told: time, place, title, description, agenda and documents (JSON-ready).

    `meeting` must come from with_detail_data() (agenda and general documents loaded).
    """
    agenda = getattr(meeting, "agenda", [])
    documents = [
        [document.pk, document.title, sorted(file.pk for file in document.files.all())]
        for document in [
            *getattr(meeting, "general_documents", []),
            *(d for i in agenda for d in i.documents.all()),
        ]
    ]
    return {
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "format": meeting.format,
        "location": meeting.location,
        "online_url": meeting.online_url,
        "title": [meeting.title_nl, meeting.title_fr, meeting.title_de, meeting.title_en],
        "description": [
            meeting.description_nl,
            meeting.description_fr,
            meeting.description_de,
            meeting.description_en,
        ],
        "agenda": [
            [
                item.pk,
                item.title_nl,
                item.title_fr,
                item.title_de,
                item.title_en,
                item.kind,
                item.duration_minutes,
                item.presenter_id,
                item.presenter_administration_id,
            ]
            for item in agenda
        ],
        "documents": sorted(documents),
    }


def changes_since_circulation(meeting: Meeting) -> dict:
    """{what: previous value} for each part changed since the agenda was last circulated.

    Keys: "time" ({"starts_at", "ends_at"} as datetimes), "format", "location", "online_url",
    "title", "description", "agenda", "documents". Empty before the first circulation.
    """
    before = meeting.circulated_version or {}
    if not before:
        return {}
    now = version_of(meeting)
    changes: dict = {}
    if (before.get("starts_at"), before.get("ends_at")) != (now["starts_at"], now["ends_at"]):
        changes["time"] = {
            "starts_at": parse_datetime(before["starts_at"]) if before.get("starts_at") else None,
            "ends_at": parse_datetime(before["ends_at"]) if before.get("ends_at") else None,
        }
    for key in ("format", "location", "online_url", "title", "description", "agenda", "documents"):
        if key == "description" and key not in before:
            continue  # circulated before the description was part of the version: unknown, not changed
        # JSON turns tuples into lists: compare the JSON shapes.
        if before.get(key) != _json_shape(now[key]):
            changes[key] = before.get(key)
    return changes


def _json_shape(value):
    if isinstance(value, list | tuple):
        return [_json_shape(v) for v in value]
    return value


# --- Circulation --------------------------------------------------------------------------


def _check_can_be_sent(meeting: Meeting) -> None:
    if meeting.status == Status.CANCELLED:
        raise ValidationError(_("This meeting is cancelled: its agenda cannot be circulated."))
    if meeting.status == Status.HELD or meeting.ends_at <= timezone.now():
        raise ValidationError(_("This meeting has already taken place."))


def _pending(meeting: Meeting, invitations: list[Invitation]) -> list[Invitation]:
    """Invitees who do not have the current version yet."""
    return [i for i in invitations if i.sent_sequence is None or i.sent_sequence < meeting.sequence]


def _plan(meeting: Meeting) -> tuple[list[Invitation], dict, bool]:
    """(who gets an email, what changed, whether the revision must be raised first)."""
    invitations = _invitations(meeting, meeting.invitations.filter(REACHABLE, removed_at__isnull=True))
    changes = changes_since_circulation(meeting) if meeting.circulated_at else {}
    pending = _pending(meeting, invitations)
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
    meeting = _with_data(meeting)
    recipients, changes, _bump = _plan(meeting)
    newcomers = services.invitations_to_add(meeting)
    names = dict(settings.LANGUAGES)
    by_language: dict[str, list[Invitation]] = {}
    for invitation in recipients:
        by_language.setdefault(calendar.invitation_language(invitation), []).append(invitation)
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
    invitations to those who had none. `note` is the organiser's word on what changed. Returns
    the count queued.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_can_be_sent(locked)
    # The newcomers get their invitation below, with everyone else: one email each.
    services.sync_invitations(meeting=locked, by=by, send_to_added=False)
    meeting = _with_data(locked)
    if not meeting.agenda:
        raise ValidationError(_("Add at least one agenda item before circulating the agenda."))
    recipients, changes, bump = _plan(meeting)
    if meeting.circulated_at is None and not recipients:
        raise ValidationError(_("Nobody is invited to this meeting yet."))
    if bump:
        meeting.sequence += 1

    batch = circulation_batch(meeting)
    for invitation in recipients:
        is_update = invitation.sent_sequence is not None
        email = emails.invitation_email(invitation, update=is_update, changes=changes, note=note)
        queue_meeting_email(
            email, invitation, batch=(batch, "update" if meeting.circulated_at else "invitation"), by=by
        )
    _record_sent(recipients, meeting.sequence)

    meeting.circulated_at = timezone.now()
    meeting.circulated_version = version_of(meeting)
    if meeting.status == Status.DRAFT:
        meeting.status = Status.SCHEDULED
    meeting.save(update_fields=["sequence", "circulated_at", "circulated_version", "status", "updated_at"])
    return len(recipients)


@transaction.atomic
def send_to_new_invitees(*, meeting: Meeting, invitations, by: Member | None) -> int:
    """Send the current version to invitees added after circulation. Returns the count queued.

    Does nothing before the first circulation (they will get it then), nor for a cancelled
    meeting, nor for invitees who already have the current version.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.circulated_at is None or locked.status in {Status.CANCELLED, Status.HELD}:
        return 0
    meeting = _with_data(locked)
    rows = meeting.invitations.filter(REACHABLE, pk__in=[i.pk for i in invitations], removed_at__isnull=True)
    recipients = _pending(meeting, _invitations(meeting, rows))
    batch = circulation_batch(meeting)
    for invitation in recipients:
        queue_meeting_email(emails.invitation_email(invitation, update=False), invitation, batch=batch, by=by)
    _record_sent(recipients, meeting.sequence)
    return len(recipients)


@transaction.atomic
def send_cancellations(*, meeting: Meeting, invitations, by: Member | None) -> int:
    """Send METHOD:CANCEL to removed invitees who had been sent the meeting. Returns the count.

    Their `sent_sequence` goes back to None: if they are invited again, they get a new invitation.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting = _with_data(locked)
    rows = meeting.invitations.filter(
        REACHABLE, pk__in=[i.pk for i in invitations], removed_at__isnull=False, sent_sequence__isnull=False
    )
    recipients = _invitations(meeting, rows)
    batch = circulation_batch(meeting, "removed")
    for invitation in recipients:
        queue_meeting_email(emails.cancellation_email(invitation), invitation, batch=batch, by=by)
    _record_sent(recipients, None)
    return len(recipients)


NOTE_FIELDS = tuple(f"cancellation_note_{code}" for code, _name in settings.LANGUAGES)


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
    meeting = _with_data(locked)
    rows = meeting.invitations.filter(REACHABLE, sent_sequence__isnull=False)
    recipients = _invitations(meeting, rows)
    batch = f"meeting-{meeting.pk}-cancelled"
    for invitation in recipients:
        queue_meeting_email(emails.cancellation_email(invitation), invitation, batch=batch, by=by)
    _record_sent(recipients, meeting.sequence)
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
        rsvp.mark_substitute_rights(meeting, [i for i, _kind in due if i.meeting_id == meeting_id])
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
            queue_meeting_email(
                email, invitation, batch=f"meeting-{invitation.meeting_id}-reminder-{kind}", by=None
            )
        sent += 1
    return sent
