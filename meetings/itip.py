"""Calendar answers: the iTIP REPLY (RFC 5546) a calendar sends when an invitee accepts, declines…

Each invitation, update or cancellation names a per-invitation address of Concerto as
ORGANIZER: settings.CALENDAR_ORGANIZER_EMAIL plus-addressed with the invitation and a MAC of it
(`agenda+<pk>.<mac>@domain`, see `organizer_address`). When an invitee presses Accept, Tentative
or Decline in Outlook, Gmail or Apple Calendar, the REPLY is sent to that address and comes back
to Concerto: through the email provider's inbound webhook (meetings.inbound) or from a mailbox
(manage.py fetch_calendar_replies).

Why a secret address: the sender of an email (envelope sender, Return-Path, From) is whatever
the sender writes, and meeting UIDs are guessable, so "the sender is the attendee" proves
nothing; anyone could decline for anyone. The per-invitation address is written only in that
invitee's own calendar file, so a reply sent to it comes from someone who holds that file.

A reply is recorded only when everything matches: METHOD:REPLY with one VEVENT, the UID of one
of our meetings (not cancelled), a SEQUENCE no older than the one that invitee was sent and no
newer than the meeting's own (a version never sent), one ATTENDEE who is an active invitee, a
sender who is that attendee, and an email addressed to that invitation's organizer address.
Anything else is refused and changes nothing. Every reply, recorded or refused, is logged in
CalendarReply with the reason.
"""

import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from icalendar import Calendar

from meetings import rsvp
from meetings.links import email_address, invitation_id_from_organizer_address
from meetings.models import CalendarReply, Invitation, Meeting

logger = logging.getLogger(__name__)

Rsvp = Invitation.Rsvp
Outcome = CalendarReply.Outcome

# Far more than any calendar reply; a larger "reply" is not one.
MAX_ICS_BYTES = 256 * 1024
PARTSTAT_ANSWERS = {"ACCEPTED": Rsvp.ACCEPTED, "TENTATIVE": Rsvp.TENTATIVE, "DECLINED": Rsvp.DECLINED}
UID_PATTERN = re.compile(r"^meeting-(\d{1,18})@(.+)$", re.IGNORECASE)

NOT_ADDRESSED = "not addressed to this invitation's organizer address"
UNPROCESSABLE = "could not be processed"
# CalendarReply.sequence is an IntegerField: 32 bits in PostgreSQL, and SQLite overflows past 64.
# A SEQUENCE outside this range was never sent by us; it must not reach the database.
MIN_SEQUENCE, MAX_SEQUENCE = 0, 2**31 - 1
# The database being unreachable is not the message's fault: it is processed again later.
UNAVAILABLE = (OperationalError, InterfaceError)


class Refused(Exception):
    """A reply that changes nothing; its message is the reason logged."""


def log_text(value: object, length: int) -> str:
    """Printable text of at most `length` characters: what the log keeps of untrusted input."""
    return "".join(ch if ch.isprintable() else " " for ch in str(value or ""))[:length]


def process_calendar_reply(*, sender: str, recipients: Iterable[str], ics_bytes: bytes) -> CalendarReply:
    """Record the answer of one iTIP REPLY, or refuse it; returns the CalendarReply logged.

    `sender` is who sent the email (its envelope sender, else its From address); `recipients`
    are the addresses it was sent to (the provider's envelope recipient, To, Delivered-To…).
    """
    log = CalendarReply(sender=log_text(email_address(sender), 254) or log_text(sender, 254))
    try:
        recipients = [recipients] if isinstance(recipients, str) else [str(r) for r in recipients]
        _process(log, ics_bytes, recipients)
    except Refused as refusal:
        log.outcome = Outcome.REFUSED
        log.reason = log_text(refusal, 255)
        logger.warning(
            "Calendar reply from %s refused: %s (UID %s, attendee %s)",
            log.sender,
            log.reason,
            log.uid,
            log.attendee,
        )
    except UNAVAILABLE:
        raise
    # Input from anyone on the internet that the checks above did not foresee: it changes
    # nothing (record_rsvp is one transaction), is logged as refused, and the next one is read.
    except Exception:
        log.outcome = Outcome.REFUSED
        log.reason = UNPROCESSABLE
        logger.exception("Calendar reply from %s could not be processed.", log.sender)
    else:
        log.outcome = Outcome.RECORDED
        logger.info("Calendar reply recorded: %s is %s for %s", log.attendee, log.partstat, log.uid)
    _fit(log)
    log.save()
    return log


def _fit(log: CalendarReply) -> None:
    """Make every value of the log fit its column, whatever path set it: the save cannot fail on them."""
    if log.sequence is not None and not MIN_SEQUENCE <= log.sequence <= MAX_SEQUENCE:
        log.sequence = None
    for name in ("sender", "uid", "attendee", "partstat", "reason"):
        length = CalendarReply._meta.get_field(name).max_length
        setattr(log, name, log_text(getattr(log, name), length))


def _parse(ics_bytes: bytes) -> Calendar:
    if not ics_bytes:
        raise Refused("empty calendar")
    if len(ics_bytes) > MAX_ICS_BYTES:
        raise Refused("calendar too large")
    try:
        calendar = Calendar.from_ical(ics_bytes)
    # The file comes from anyone on the internet: whatever the parser trips on, it is malformed.
    except Exception as exc:
        raise Refused(f"malformed iCalendar: {exc}") from exc
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise Refused("malformed iCalendar: no VCALENDAR")
    return calendar


def _integer(value: object) -> int | None:
    text = str(value).strip()
    # int() of thousands of digits is slow, then refused by Python: no SEQUENCE is that long.
    if len(text) > 40:
        return None
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _process(log: CalendarReply, ics_bytes: bytes, recipients: Iterable[str]) -> None:
    calendar = _parse(ics_bytes)
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method != "REPLY":
        raise Refused(f"not a REPLY (METHOD:{method or 'none'})")
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        raise Refused(f"a REPLY must hold one VEVENT (found {len(events)})")
    event = events[0]

    log.uid = log_text(event.get("UID", ""), 255).strip()
    sequence = _integer(event.get("SEQUENCE", 0))
    if sequence is None:
        raise Refused("malformed SEQUENCE")
    if not MIN_SEQUENCE <= sequence <= MAX_SEQUENCE:
        # Checked before it is kept: the column could not hold it, and no meeting is there.
        raise Refused(f"SEQUENCE out of range: {log_text(sequence, 40)}")
    log.sequence = sequence
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else ([attendees] if attendees is not None else [])
    if len(attendees) != 1:
        raise Refused(f"a REPLY must name one ATTENDEE (found {len(attendees)})")
    attendee = attendees[0]
    log.attendee = log_text(email_address(attendee), 254)
    params = getattr(attendee, "params", {}) or {}
    log.partstat = log_text(params.get("PARTSTAT", ""), 20).strip().upper()
    if not log.attendee:
        raise Refused("ATTENDEE without an email address")

    match = UID_PATTERN.match(log.uid)
    if match is None or match.group(2).lower() != settings.SITE_DOMAIN.lower():
        raise Refused("unknown UID")
    meeting = Meeting.objects.select_related("group").filter(pk=int(match.group(1))).first()
    if meeting is None:
        raise Refused("unknown meeting")
    if meeting.is_cancelled:
        raise Refused("the meeting is cancelled")
    if sequence > meeting.sequence:
        raise Refused(f"SEQUENCE {sequence} was never sent: the meeting is at {meeting.sequence}")

    sender = log.sender.lower()
    if not sender or sender != log.attendee:
        raise Refused("the sender is not the attendee")
    invitation = (
        Invitation.objects.filter(meeting=meeting, removed_at__isnull=True)
        .filter(
            Q(member__user__email__iexact=log.attendee) | Q(member__isnull=True, email__iexact=log.attendee)
        )
        .select_related("member__user")
        .first()
    )
    if invitation is None:
        raise Refused("the attendee is not invited to this meeting")
    log.invitation = invitation
    # The one check a forger cannot pass: only this invitee's calendar file holds the address.
    addressed_to = {invitation_id_from_organizer_address(address) for address in recipients}
    if invitation.pk not in addressed_to:
        raise Refused(NOT_ADDRESSED)
    if invitation.member_id and not invitation.member.is_active:
        raise Refused("the attendee's account is deactivated")
    if invitation.sent_sequence is None:
        raise Refused("no invitation was sent to this attendee")
    if sequence < invitation.sent_sequence:
        raise Refused(f"outdated SEQUENCE {sequence}: the attendee was sent {invitation.sent_sequence}")

    if log.partstat == "DELEGATED":
        # A calendar's delegation names someone we cannot check; the email's link does it properly.
        raise Refused("delegation through a calendar is not supported: use the link in the email")
    answer = PARTSTAT_ANSWERS.get(log.partstat)
    if answer is None:
        raise Refused(f"unsupported PARTSTAT {log.partstat or 'none'}")
    comment = event.get("COMMENT", "")
    comment = " ".join(str(part) for part in comment) if isinstance(comment, list) else str(comment or "")
    by = invitation.member if invitation.member_id else None
    try:
        rsvp.record_rsvp(
            invitation=invitation,
            answer=answer,
            by=by,
            channel=rsvp.Channel.CALENDAR,
            comment=log_text(comment, rsvp.MAX_COMMENT).strip(),
            attendance_mode=None,  # a calendar does not say; keep the invitee's choice
            # An answer to a version older than the meeting's (moved since) does not confirm
            # the answer for the new time.
            for_current_version=sequence >= meeting.sequence,
        )
    except ValidationError as error:
        raise Refused(" ".join(error.messages)) from error
