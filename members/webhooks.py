"""Provider tracking events -> delivery status of outbox rows; a hard bounce flags the address.

anymail's views (mounted at /anymail/) check the webhook's basic-auth secret, parse the
provider's format, and send its `tracking` signal; members/apps.py connects the receiver.
"""

import logging

from anymail.signals import AnymailTrackingEvent, EventType
from django.conf import settings

from members import services

logger = logging.getLogger(__name__)


def _webhook_secret_configured() -> bool:
    return bool(getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"))


def handle_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Record one tracking event on its outbox row (matched by provider id, else by outbox id)."""
    if not _webhook_secret_configured():
        # anymail only warns when no secret is set and lets anyone post; we do not listen then.
        logger.warning("Ignored a %s tracking event: ANYMAIL_WEBHOOK_SECRET is not set.", esp_name)
        return
    event_type = event.event_type
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark" and esp_event.get("Type") == "SoftBounce":
        # anymail reports Postmark's soft bounces as "bounced"; they are temporary, not a bad address.
        event_type = EventType.DEFERRED
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    description = " — ".join(part for part in (event.description, event.mta_response) if part)
    matched = services.record_delivery_event(
        message_id=str(event.message_id or ""),
        outbox_id=str(metadata.get("outbox_id") or ""),
        event_type=str(event_type),
        description=description,
        recipient=str(event.recipient or ""),
    )
    if not matched:
        logger.info("%s %s event for message %s changed nothing.", esp_name, event_type, event.message_id)
