"""Rendering emails in the recipient's language and time zone, and turning outbox rows into mail."""

import zoneinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from members.outbox import OutboundMessage


def render_email(template_prefix: str, context: dict, *, language: str, tz: str = "") -> tuple[str, str, str]:
    """Render <prefix>_subject.txt, _message.txt and _message.html. Returns (subject, text, html)."""
    zone = zoneinfo.ZoneInfo(tz or settings.TIME_ZONE)
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language), timezone.override(zone):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        text = render_to_string(f"{template_prefix}_message.txt", context).strip() + "\n"
        html = render_to_string(f"{template_prefix}_message.html", context)
    return subject, text, html


def build_email(message: OutboundMessage) -> EmailMultiAlternatives:
    """The email for one outbox row: one recipient, text and HTML parts, its stable Message-ID."""
    headers = {
        "Auto-Submitted": "auto-generated",
        "Content-Language": message.language,
        **{name: value for name, value in message.headers.items() if name.lower() != "message-id"},
        # The row's own, never a caller's: webhooks, retries and replies rely on it.
        "Message-ID": message.message_id,
    }
    email = EmailMultiAlternatives(
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
