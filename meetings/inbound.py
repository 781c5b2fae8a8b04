"""Emails that come back to Concerto's calendar address: the calendar answers of invitees.

Two ways in, one code path (`process_message`):
- an email provider's inbound webhook: anymail's view at /anymail/<provider>/inbound/ checks the
  basic-auth secret (ANYMAIL_WEBHOOK_SECRET), parses the provider's format and sends its
  `inbound` signal; MeetingsConfig.ready() connects `handle_inbound_event` to it;
- a mailbox read over IMAP (manage.py fetch_calendar_replies), which hands each raw message to
  `process_raw_message`.

Each text/calendar part or .ics attachment goes to meetings.itip.process_calendar_reply, with
who sent the email and every address it was sent to: the reply is recorded only if one of them
is the secret per-invitation ORGANIZER address of the invitation it answers (see meetings.links.organizer_address:
sender addresses are forgeable, that address is only in the invitee's own calendar file).
"""

import logging
from email.utils import getaddresses

from anymail.inbound import AnymailInboundMessage
from django.conf import settings

from meetings import itip
from meetings.links import email_address
from meetings.models import CalendarReply

logger = logging.getLogger(__name__)
# Why a message that the email package could not read was refused (CalendarReply.reason).
UNREADABLE = "unreadable email"

CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar"}


def calendar_parts(message: AnymailInboundMessage) -> list[bytes]:
    """The distinct calendar files of a message: text/calendar parts and .ics attachments, in order."""
    found: list[bytes] = []
    seen: set[bytes] = set()
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() not in CALENDAR_TYPES and not filename.endswith(".ics"):
            continue
        payload = part.get_payload(decode=True) or b""
        # Calendars often send the same REPLY twice, as the invitation part and as a file,
        # sometimes with other line endings: one answer, not two.
        key = b"\n".join(line.rstrip() for line in payload.strip().splitlines())
        if payload and key not in seen:
            seen.add(key)
            found.append(payload)
    return found


def sender_of(message: AnymailInboundMessage) -> str:
    """Who sent it: the envelope sender (from the provider, or the Return-Path a mailbox adds), else From."""
    candidates = [getattr(message, "envelope_sender", None) or "", message.get("Return-Path", "") or ""]
    for candidate in candidates:
        address = email_address(candidate)
        if address:
            return address
    sender = message.from_email
    return sender.addr_spec if sender is not None else ""


# Where a message says whom it was for. The provider's envelope recipient comes first; a mailbox
# has only headers: Delivered-To and X-Original-To (added by the receiving server), To, Cc, and
# the Bcc some providers add when the address was in none of them. Any of them may be forged,
# which is harmless: what counts is that the address holds a valid MAC (meetings.links).
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc", "Bcc")
MAX_RECIPIENTS = 100


def recipients_of(message: AnymailInboundMessage) -> list[str]:
    """The distinct addresses the message was sent to: envelope recipient, then the headers above."""
    values = [getattr(message, "envelope_recipient", None) or ""]
    for header in RECIPIENT_HEADERS:
        values.extend(str(value) for value in message.get_all(header) or [])
    found: list[str] = []
    for _name, value in getaddresses(values):
        address = email_address(value)
        if address and address not in found:
            found.append(address)
    # A REPLY is addressed to one organizer; a message to hundreds is not a calendar answer.
    return found[:MAX_RECIPIENTS]


def process_message(message: AnymailInboundMessage) -> list[CalendarReply]:
    """Process the calendar answers of one received email; returns what was logged (maybe nothing).

    It never fails on the message's content: what cannot be read is logged as refused. Only a
    database that cannot be reached raises (the message is then processed again later).
    """
    try:
        parts = calendar_parts(message)
        sender = sender_of(message)
        recipients = recipients_of(message)
    except itip.UNAVAILABLE:
        raise
    # Headers and parts come from anyone on the internet; the email package raises on some.
    except Exception:
        logger.warning("An email to the calendar address could not be read.", exc_info=True)
        return [refuse_unreadable("", UNREADABLE)]
    if not parts:
        logger.info("Email from %s to the calendar address holds no calendar answer; ignored.", sender)
        return []
    if getattr(message, "spam_detected", None):
        return [refuse_unreadable(sender, "the provider marked it as spam")]
    replies = []
    for ics in parts:
        reply = itip.process_calendar_reply(sender=sender, recipients=recipients, ics_bytes=ics)
        replies.append(reply)
        if reply.outcome == CalendarReply.Outcome.RECORDED:
            break  # one answer per email: further copies would only repeat it
    return replies


def process_raw_message(raw: bytes) -> list[CalendarReply]:
    """Process one RFC 822 message as a mailbox holds it (what fetch_calendar_replies does)."""
    try:
        message = AnymailInboundMessage.parse_raw_mime_bytes(bytes(raw))
    except Exception:
        # Bytes from anyone on the internet that the email package cannot read as a message.
        return [refuse_unreadable("", UNREADABLE)]
    return process_message(message)


def refuse_unreadable(sender: object, reason: str = itip.UNPROCESSABLE) -> CalendarReply:
    """Log, as refused, a message that could not be processed; it changes nothing else."""
    reply = CalendarReply.objects.create(
        sender=itip.log_text(email_address(sender), 254), outcome=CalendarReply.Outcome.REFUSED, reason=reason
    )
    logger.warning("An email to the calendar address was refused: %s.", reason)
    return reply


def handle_inbound_event(sender, event, esp_name: str, **kwargs) -> None:
    """anymail's `inbound` signal: process the message, if the webhook is authenticated."""
    if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
        # Without a secret anymail only warns and lets anyone post: we do not listen then.
        logger.warning("Ignored a %s inbound message: ANYMAIL_WEBHOOK_SECRET is not set.", esp_name)
        return
    message = getattr(event, "message", None)
    if not isinstance(message, AnymailInboundMessage):
        return
    process_message(message)
