"""Provider webhooks: which URLs are mounted, and tracking events -> delivery status of outbox rows.

Only the configured provider's (settings.EMAIL_PROVIDER) tracking and inbound views of anymail
answer (`provider_urlpatterns`); every other provider's address is a 404. anymail's views check
the webhook's basic-auth secret, parse the provider's format, and send their `tracking` or
`inbound` signal; members/apps.py connects `handle_tracking_event`. Whatever is posted to them,
they answer 2xx or 4xx, never 500 (see `_never_500`).
"""

import functools
import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailError
from anymail.signals import AnymailTrackingEvent, EventType
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern, re_path

from members import services

logger = logging.getLogger(__name__)

# The URL prefix of anymail's views for each EMAIL_PROVIDER. Scaleway has no webhook view in
# anymail; "sendinblue/" is the old name of Brevo's, kept by anymail for compatibility only.
WEBHOOK_PREFIXES = {
    "amazon_ses": ("amazon_ses/",),
    "brevo": ("brevo/",),
    "mailersend": ("mailersend/",),
    "mailgun": ("mailgun/",),
    "mailjet": ("mailjet/",),
    "mailtrap": ("mailtrap/",),
    "mandrill": ("mandrill/",),
    "postal": ("postal/",),
    "postmark": ("postmark/",),
    "resend": ("resend/",),
    "sendgrid": ("sendgrid/",),
    "sparkpost": ("sparkpost/",),
    "unisender_go": ("unisender_go/",),
}


def _route(pattern: URLPattern) -> str:
    """The pattern's path without regex anchors: "postmark/tracking/", "mailgun/inbound(_mime)?/"."""
    return str(pattern.pattern).lstrip("^").rstrip("$")


def provider_of(pattern: URLPattern) -> str:
    """The EMAIL_PROVIDER an anymail URL pattern belongs to, or "" (an alias nobody configures)."""
    route = _route(pattern)
    return next((name for name, prefixes in WEBHOOK_PREFIXES.items() if route.startswith(prefixes)), "")


def _never_500(view, provider: str):
    """`view`, answered only when `provider` is the configured one (else 404), and never with a 500.

    anymail lets a body it cannot parse raise whatever the parser raised (KeyError, ValueError…),
    and a provider's missing signing key raise at each request: each would be a 500. A body from
    the internet that we cannot read is a bad request (400). A database that is down is a 503,
    so that the provider tries again later.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(settings, "EMAIL_PROVIDER", "") != provider:
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except (SuspiciousOperation, Http404):
            raise  # anymail's AnymailWebhookValidationFailure among them: Django answers 400
        except DatabaseError:
            logger.exception("The %s webhook could not reach the database.", provider)
            return HttpResponse("Try again later.", status=503, content_type="text/plain")
        except (AnymailError, ImproperlyConfigured):
            # Among them a signing key the provider needs and settings do not give.
            logger.exception("The %s webhook is not usable as configured.", provider)
            return HttpResponseBadRequest("Webhook not usable.", content_type="text/plain")
        # The body comes from anyone on the internet: whatever the provider's parser trips on,
        # it is a malformed request, not our error.
        except Exception:
            logger.warning("Refused a malformed %s webhook request.", provider, exc_info=True)
            return HttpResponseBadRequest("Malformed webhook request.", content_type="text/plain")

    guarded.csrf_exempt = True  # anymail's own views are; they authenticate by their secret
    return guarded


def provider_urlpatterns() -> list[URLPattern]:
    """anymail's tracking and inbound URLs, under its names; each answers for its provider only."""
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        provider = provider_of(pattern)
        if provider:
            view = _never_500(pattern.callback, provider)
            patterns.append(re_path(pattern.pattern.regex.pattern, view, name=pattern.name))
    return patterns


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
