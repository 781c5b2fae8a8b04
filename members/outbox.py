"""The outbox: every email Concerto sends is one row here, per message and recipient.

Rows are written in the sender's transaction and delivered after commit by
members.tasks.deliver_message, so a rolled-back action sends nothing, a crash never
loses a queued message, and a delivered row is never sent again.
"""

import binascii
import functools
import re
import secrets
import uuid
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a message is about. Optional kinds can be turned off by the member."""

    ACCOUNT = "account", _("Account and sign-in")
    JOIN_INVITATION = "join_invitation", _("Invitation to join a group")
    MEETING_INVITATION = "meeting_invitation", _("Meeting invitations and updates")
    MEETING_REMINDER = "meeting_reminder", _("Meeting reminders")
    MINUTES = "minutes", _("Minutes")
    REPORTING_REQUEST = "reporting_request", _("Requests to report on commitments")
    COMMITMENT_REMINDER = "commitment_reminder", _("Commitment reminders")
    NEWS = "news", _("News from the platform")


# Emails a member cannot turn off: they carry access, invitations or formal documents.
MANDATORY_KINDS = frozenset(
    {Kind.ACCOUNT, Kind.JOIN_INVITATION, Kind.MEETING_INVITATION, Kind.MINUTES, Kind.REPORTING_REQUEST}
)
OPTIONAL_KINDS = [kind for kind in Kind if kind not in MANDATORY_KINDS]


def new_message_id() -> str:
    """A new Message-ID for a row (set by save(); rows written with bulk_create need it set first)."""
    return f"<{uuid.uuid4().hex}@{settings.SITE_DOMAIN}>"


class OutboundMessageQuerySet(models.QuerySet):
    def in_batch(self, batch: str) -> "OutboundMessageQuerySet":
        return self.filter(batch=batch)

    def status_counts(self) -> dict[str, int]:
        """{status: count}, every status present, in one query."""
        counts = dict.fromkeys(OutboundMessage.Status.values, 0)
        for row in self.values("status").annotate(n=models.Count("pk")).order_by():
            counts[row["status"]] = row["n"]
        return counts


class OutboundMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    batch = models.CharField(
        _("batch"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("Groups the messages of one sending."),
    )
    # What the sender sees for the batch ("Invitation: Plenary 12 March"), in their language.
    batch_title = models.CharField(_("sending"), max_length=255, blank=True)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    to_email = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    # [{"filename": ..., "mimetype": ..., "content": str}], text content only (calendar files).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Extra alternative parts, e.g. [{"mimetype": "text/calendar; method=REQUEST", "content": ...}].
    alternatives = models.JSONField(_("alternative parts"), default=list, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=255, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "members.Member",
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        if not self.message_id:
            self.message_id = new_message_id()
        super().save(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status not in {self.Status.QUEUED, self.Status.SENDING}


# --- The row as it goes to an SMTP server -------------------------------------------------------


def wire_message(message: OutboundMessage, mailer) -> tuple[str, list[str], bytes] | None:
    """(envelope sender, recipients, RFC 5322 bytes) of the row: the message members.emails.build_email
    makes of it, written directly instead of through the standard library's email package, which
    costs several times what the SMTP server takes to accept it. None for a row this does not
    cover (extra headers, a non-ASCII address or file name, an address with a display name, a
    non-text alternative): build_email's message is sent instead. `mailer` is Django's SMTP
    mailer, whose address checks apply.
    """
    if message.headers or not (message.to_email.isascii() and message.reply_to.isascii()):
        return None
    if "<" in message.to_email or "<" in message.reply_to:
        return None  # a display name: Django writes the header again, in its own way
    one_line = (message.subject, message.to_email, message.reply_to, message.message_id, message.language)
    if any("\r" in value or "\n" in value for value in one_line):
        return None  # Django's message refuses such a header: the row fails the usual way
    from_header = _from_header(settings.DEFAULT_FROM_EMAIL)
    if from_header is None:
        return None
    sender = _prepped_sender(mailer, settings.DEFAULT_FROM_EMAIL)
    recipient = _prepped_recipient(mailer, message.to_email)
    alternatives = [_text_part(message.body_html, "text/html")] if message.body_html else []
    for part in message.alternatives:
        if not part["mimetype"].startswith("text/"):
            return None
        alternatives.append(_text_part(part["content"], part["mimetype"]))
    # As Django's message: an empty text has no part of its own beside other parts.
    has_text = bool(message.body_text) or not (alternatives or message.attachments)
    parts = [_text_part(message.body_text, "text/plain")] if has_text else []
    if alternatives:
        parts = [_multipart("alternative", [*parts, *alternatives])]
    attachments = []
    for attachment in message.attachments:
        filename = attachment["filename"]
        if not filename.isascii() or '"' in filename or "\\" in filename:
            return None
        disposition = f'Content-Disposition: attachment; filename="{filename}"\r\n'
        if attachment["mimetype"].startswith("text/"):
            attachments.append(_text_part(attachment["content"], attachment["mimetype"], disposition))
        else:
            data = attachment["content"]
            data = data.encode() if isinstance(data, str) else data
            attachments.append(
                f"Content-Type: {attachment['mimetype']}\r\nContent-Transfer-Encoding: base64\r\n".encode()
                + disposition.encode()
                + b"\r\n"
                + _base64_lines(data)
            )
    body = _multipart("mixed", [*parts, *attachments]) if attachments else parts[0]
    headers = [
        ("Subject", _unstructured("Subject", message.subject)),
        ("From", from_header),
        ("To", message.to_email),
        *([("Reply-To", message.reply_to)] if message.reply_to else []),
        ("Date", format_datetime(datetime.now(UTC))),
        ("Message-ID", message.message_id),
        ("Auto-Submitted", "auto-generated"),
        ("Content-Language", message.language),
        ("MIME-Version", "1.0"),
    ]
    head = "".join(f"{header}: {value}\r\n" for header, value in headers).encode()
    return sender, [recipient], head + body


# An address of dot-atoms only (RFC 5322), in ASCII: what the SMTP mailer's prep_address returns of it
# is the address as it is, after a parse that costs half as much as writing the whole message.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


@functools.lru_cache(maxsize=16)
def _from_header(from_email: str) -> str | None:
    """The From header of every row; None for a non-ASCII address (build_email's message is sent)."""
    name, address = parseaddr(from_email)
    if not address.isascii():
        return None
    return formataddr((name, address), charset="utf-8") if name else address


# {(mailer class, From address): its prep_address}: the sender is the same for every row.
_SENDERS: dict[tuple[type, str], str] = {}


def _prepped_sender(mailer, from_email: str) -> str:
    """The mailer's prep_address of the sender, worked out once per mailer class and address
    (an address it refuses raises each time, and is not remembered)."""
    key = (type(mailer), from_email)
    if key not in _SENDERS:
        _SENDERS[key] = mailer.prep_address(from_email)
    return _SENDERS[key]


def _prepped_recipient(mailer, address: str) -> str:
    return address if _PLAIN_ADDRESS.fullmatch(address) else mailer.prep_address(address)


@functools.lru_cache(maxsize=256)  # a chunk's rows mostly share their subject; encoding it is slow
def _unstructured(name: str, value: str) -> str:
    """A header value folded at 78 characters; as RFC 2047 encoded words if it is not ASCII
    (as members.emails.OutboundEmail writes them)."""
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, maxlinelen=78, header_name=name).encode(linesep="\r\n")


def _text_part(content: str, mimetype: str, extra_headers: str = "") -> bytes:
    """A text part in UTF-8: as it is (7bit) when ASCII in short lines, else quoted-printable.

    Line ends become CRLF, and the text ends with one, as the email package writes text parts.
    """
    lines = content.encode().splitlines()
    data = b"\r\n".join(lines) + b"\r\n"
    if data.isascii() and max((len(line) for line in lines), default=0) <= 78:
        encoding, payload = "7bit", data
    else:
        encoding, payload = "quoted-printable", binascii.b2a_qp(data, istext=True)
    head = f'Content-Type: {mimetype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n'
    return (head + extra_headers + "\r\n").encode() + payload


def _base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, each ended with CRLF."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"".join(encoded[i : i + 76] + b"\r\n" for i in range(0, len(encoded), 76))


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    """A multipart/<subtype> entity of the parts, with a boundary none of them contains."""
    boundary = f"==============={secrets.token_hex(12)}=="
    while any(boundary.encode() in part for part in parts):
        boundary = f"==============={secrets.token_hex(12)}=="
    head = f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"\r\n\r\n'.encode()
    delimiter = f"--{boundary}\r\n".encode()
    # Each part ends with a line end; the one added after it belongs to the next delimiter (RFC 2046).
    body = b"".join(delimiter + part + b"\r\n" for part in parts)
    return head + body + f"--{boundary}--\r\n".encode()
