"""Sending meetings by email: each built email (meetings.emails) queued through the outbox.

Each email is one outbox row (members.services.queue_message) written in the caller's
transaction, together with the invitation's `sent_sequence` (the calendar revision the invitee
now has): a rollback sends nothing, and a second run finds everyone up to date, so no invitee
is missed or sent a version twice. The services (meetings.services, .circulation, .rsvp,
.answers) decide what to send; this module only sends it.
"""


from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.i18n import localized
from core.timezones import zone_or_default
from core.translated import translated_names
from meetings import calendar, emails
from meetings.invitees import REACHABLE, mark_replaced, mark_substitute_rights, reply_address
from meetings.models import Document, Invitation, Meeting
from members.models import Member
from members.outbox import Kind
from members.services import queue_message, queue_messages

Status = Meeting.Status

def circulation_batch(meeting: Meeting, suffix: str = "") -> str:
    """The outbox batch of one sending, e.g. "meeting-12-r3": the outbox page groups by it."""
    return f"meeting-{meeting.pk}-r{meeting.sequence}" + (f"-{suffix}" if suffix else "")


def with_email_data(meeting: Meeting) -> Meeting:
    """The meeting again, with everything the emails and version_of() read: its group, organiser
    and series, `agenda` (items, presenters, documents and their files) and `general_documents`.

    Not its invitations: each sending reads only the invitations it sends to (invitations_to_send),
    and a circulation's chunks would otherwise each read all of them again.
    """
    general = Document.objects.filter(agenda_item__isnull=True).prefetch_related("files")
    rows = Meeting.objects.with_agenda_data().prefetch_related(
        Prefetch("documents", queryset=general, to_attr="general_documents")
    )
    return rows.get(pk=meeting.pk)


def invitations_to_send(meeting: Meeting, rows=None) -> list[Invitation]:
    """Invitations with member and user loaded, each pointing at the already loaded `meeting`,
    whether each may send a substitute (their emails' answer links depend on it), and for
    substitutes whom they stand in for (`replaces`)."""
    rows = meeting.invitations.all() if rows is None else rows
    invitations = list(rows.select_related("member__user").order_by("pk"))
    for invitation in invitations:
        invitation.meeting = meeting
    if invitations:
        mark_substitute_rights(meeting, invitations)
        mark_replaced(invitations)
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
    return queue_message(
        **_outbox_fields(email, invitation),
        batch=batch,
        batch_title=batch_title(meeting, sending, by),
        created_by=by,
    )


def queue_meeting_emails(
    built: list[emails.MeetingEmail], invitations: list[Invitation], *, batch: str, title: str, by: Member | None
) -> int:
    """Queue built emails, one per invitation in the same order, in bulk (members.services.queue_messages).

    `title` is the batch's name on the sender's outbox pages (batch_title). Returns the rows written.
    """
    rows = queue_messages(
        [
            {**_outbox_fields(email, invitation), "batch": batch, "batch_title": title, "created_by": by}
            for email, invitation in zip(built, invitations, strict=True)
        ]
    )
    return len(rows)


def _outbox_fields(email: emails.MeetingEmail, invitation: Invitation) -> dict:
    """queue_message's arguments for one built email, but for its batch and sender."""
    return {
        "kind": email.kind,
        "to_email": email.to_email,
        "subject": email.subject,
        "body_text": email.text,
        "body_html": email.html,
        "language": email.language,
        "member": invitation.member if invitation.member_id else None,
        "reply_to": reply_address(invitation.meeting),
        "attachments": email.attachments,
        "alternatives": email.alternatives,
    }


def batch_title(meeting: Meeting, sending: str, by: Member | None) -> str:
    """The sending's name on the sender's outbox pages, e.g. "Invitation: Plenary, 12 March 2027".

    `sending` is "invitation", "update", "cancellation" or "reminder"; the title is written in
    the sender's language and time zone (the organiser's for automatic emails).
    """
    sender = by or (meeting.organiser if meeting.organiser_id else None)
    language = sender.language if sender else settings.LANGUAGE_CODE
    zone = zone_or_default(sender.timezone if sender else "")
    with translation.override(language):
        label = {
            "invitation": _("Invitation: %(title)s, %(date)s"),
            "update": _("Update: %(title)s, %(date)s"),
            "cancellation": _("Cancellation: %(title)s, %(date)s"),
            "reminder": _("Reminder: %(title)s, %(date)s"),
        }[sending]
        date = formats.date_format(timezone.localtime(meeting.starts_at, zone), "DATE_FORMAT")
        return label % {"title": localized(meeting, "title", language), "date": date}


def record_sent(invitations: list[Invitation], sequence: int | None) -> None:
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(sent_sequence=sequence)
    for invitation in invitations:
        invitation.sent_sequence = sequence


def version_of(meeting: Meeting) -> dict:
    """What invitees were told: time, place, title, description, agenda and documents (JSON-ready).

    `meeting` must come from with_email_data() or with_detail_data() (agenda and general documents loaded).
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
        # Each text in every language, in settings order (nl, fr, de, en): stored versions compare so.
        "title": [getattr(meeting, name) for name in translated_names("title")],
        "description": [getattr(meeting, name) for name in translated_names("description")],
        "agenda": [
            [
                item.pk,
                *(getattr(item, name) for name in translated_names("title")),
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
    return changes_since(meeting, meeting.circulated_version)


def changes_since(meeting: Meeting, before: dict | None) -> dict:
    """changes_since_circulation() against `before`, a version_of() the meeting; {} for none."""
    before = before or {}
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


def pending(meeting: Meeting, invitations: list[Invitation]) -> list[Invitation]:
    """Invitees who do not have the current version yet."""
    return [i for i in invitations if i.sent_sequence is None or i.sent_sequence < meeting.sequence]


def without_current_version(meeting: Meeting) -> Q:
    """Invitations whose invitee does not have the meeting's current version (`pending` in SQL)."""
    return Q(sent_sequence__isnull=True) | Q(sent_sequence__lt=meeting.sequence)


@transaction.atomic
def send_to_new_invitees(*, meeting: Meeting, invitations, by: Member | None) -> int:
    """Send the current version to invitees added after circulation. Returns the count queued.

    Does nothing before the first circulation (they will get it then), nor for a cancelled
    meeting, nor for invitees who already have the current version.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.circulated_at is None or locked.status in {Status.CANCELLED, Status.HELD}:
        return 0
    meeting = with_email_data(locked)
    rows = meeting.invitations.filter(REACHABLE, pk__in=[i.pk for i in invitations], removed_at__isnull=True)
    recipients = pending(meeting, invitations_to_send(meeting, rows))
    batch = circulation_batch(meeting)
    for invitation in recipients:
        queue_meeting_email(emails.invitation_email(invitation, update=False), invitation, batch=batch, by=by)
    record_sent(recipients, meeting.sequence)
    return len(recipients)


@transaction.atomic
def send_cancellations(*, meeting: Meeting, invitations, by: Member | None) -> int:
    """Send METHOD:CANCEL to removed invitees who had been sent the meeting. Returns the count.

    Their `sent_sequence` goes back to None: if they are invited again, they get a new invitation.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting = with_email_data(locked)
    rows = meeting.invitations.filter(
        REACHABLE, pk__in=[i.pk for i in invitations], removed_at__isnull=False, sent_sequence__isnull=False
    )
    recipients = invitations_to_send(meeting, rows)
    batch = circulation_batch(meeting, "removed")
    for invitation in recipients:
        queue_meeting_email(emails.cancellation_email(invitation), invitation, batch=batch, by=by)
    record_sent(recipients, None)
    return len(recipients)


def tell_invitees(
    *, meeting: Meeting, added: list[Invitation], removed: list[Invitation], by: Member | None
) -> None:
    """Once circulated: the current version to the added, a cancellation to the removed.

    Queued in the caller's transaction, as circulate_agenda does: the outbox rows commit with
    the change (members.services.queue_message delivers after commit), so an email that fails
    to render undoes the change instead of silently never existing.
    """
    if meeting.circulated_at is None or meeting.is_cancelled:
        return
    if added:
        send_to_new_invitees(meeting=meeting, invitations=added, by=by)
    if removed:
        send_cancellations(meeting=meeting, invitations=removed, by=by)
