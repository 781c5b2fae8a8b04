"""Rendering emails in the recipient's language and time zone, and turning outbox rows into mail."""

import re
from email import policy as email_policy
from email.header import Header

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.timezones import zone_or_default
from members.outbox import OutboundMessage

# Line breaks and runs of spaces; not the non-breaking space French puts before ":" and "?".
_ONE_LINE = re.compile(r"[ \t\r\n\f\v]+")


def render_email(template_prefix: str, context: dict, *, language: str, tz: str = "") -> tuple[str, str, str]:
    """Render <prefix>_subject.txt, _message.txt and _message.html. Returns (subject, text, html).

    `tz` is the recipient's time zone; empty or unknown (a saved name tzdata no longer has) is the site's.
    """
    zone = zone_or_default(tz)
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language), timezone.override(zone):
        subject = _ONE_LINE.sub(" ", render_to_string(f"{template_prefix}_subject.txt", context)).strip(" ")
        text = render_to_string(f"{template_prefix}_message.txt", context).strip() + "\n"
        html = render_to_string(f"{template_prefix}_message.html", context)
    return subject, text, html


# Headers with a structure of their own (addresses, ids, MIME parameters): Django encodes them.
STRUCTURED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "sender", "date", "message-id", "in-reply-to", "references"}
    | {"mime-version", "content-type", "content-disposition", "content-transfer-encoding"}
)


class OutboundEmail(EmailMultiAlternatives):
    """An email whose non-ASCII headers survive being folded.

    The standard library's folding of long headers (Python 3.13) can start a line with an empty
    encoded word (`=?utf-8?q??=`) when a non-ASCII character such as a dash falls near the line
    end; mail clients then show a damaged subject. Such values are encoded here instead, as RFC
    2047 encoded words folded on whitespace, and stored as they are.
    """

    def message(self, *, policy=email_policy.default):
        msg = super().message(policy=policy)
        names = {"Subject", *self.extra_headers}
        for name in [name for name in names if name.lower() not in STRUCTURED_HEADERS and name in msg]:
            values = [str(value) for value in msg.get_all(name)]
            if all(value.isascii() for value in values):
                continue
            del msg[name]
            for value in values:
                encoded = Header(value, "utf-8", maxlinelen=78, header_name=name).encode(linesep="\n")
                msg.set_raw(name, encoded)
        return msg


def build_email(message: OutboundMessage) -> EmailMultiAlternatives:
    """The email for one outbox row: one recipient, text and HTML parts, its stable Message-ID."""
    headers = {
        "Auto-Submitted": "auto-generated",
        "Content-Language": message.language,
        **{name: value for name, value in message.headers.items() if name.lower() != "message-id"},
        # The row's own, never a caller's: webhooks, retries and replies rely on it.
        "Message-ID": message.message_id,
    }
    email = OutboundEmail(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for part in message.alternatives:
        email.attach_alternative(part["content"], part["mimetype"])
    for attachment in message.attachments:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    # Providers that echo metadata in their webhooks let us match events without their id.
    email.metadata = {"outbox_id": str(message.pk)}
    return email
