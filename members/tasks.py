"""Background work of the members app. Tasks take ids and are safe to run twice."""

import logging
from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from members.emails import build_email
from members.outbox import OutboundMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
Status = OutboundMessage.Status


def backoff(attempts: int) -> timedelta:
    """1, 4, 16, 64 minutes… between attempts: the provider gets time to recover."""
    return timedelta(minutes=4 ** max(attempts - 1, 0))


def is_permanent(error: Exception) -> bool:
    """A rejection that no retry will fix: refused recipient, invalid request, bad credentials."""
    import smtplib

    from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused

    if isinstance(error, AnymailRecipientsRefused | AnymailInvalidAddress | smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is not None and 400 <= status < 500 and status != 429
    return False


@task
def deliver_message(message_id: int) -> str:
    """Send one outbox row if it is still queued and due. Returns the row's new status."""
    now = timezone.now()
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Status.QUEUED:
            return message.status if message else "missing"
        if message.next_attempt_at and message.next_attempt_at > now:
            return message.status
        # Claimed before sending: a second worker, or this task run twice, skips the row.
        message.status = Status.SENDING
        message.attempts += 1
        message.status_changed_at = now
        message.save(update_fields=["status", "attempts", "status_changed_at"])

    email = build_email(message)
    try:
        email.send()
    except Exception as error:
        logger.warning("Sending outbox message %s failed: %s", message.pk, error)
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
            message.status = Status.FAILED
            message.next_attempt_at = None
        else:
            message.status = Status.QUEUED
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
        message.status_changed_at = timezone.now()
        message.save(update_fields=["status", "last_error", "next_attempt_at", "status_changed_at"])
        if message.status == Status.QUEUED:
            schedule_delivery(message.pk, message.next_attempt_at)
        return message.status

    status = getattr(email, "anymail_status", None)
    message.provider_message_id = (getattr(status, "message_id", None) or "")[:255]
    message.status = Status.SENT
    message.sent_at = message.status_changed_at = timezone.now()
    message.next_attempt_at = None
    message.save(
        update_fields=["status", "sent_at", "status_changed_at", "provider_message_id", "next_attempt_at"]
    )
    return message.status


def schedule_delivery(message_id: int, when=None) -> None:
    """Enqueue deliver_message, later if `when` is given and the backend can defer."""
    from django.tasks import default_task_backend

    if when is not None and default_task_backend.supports_defer:
        deliver_message.using(run_after=when).enqueue(message_id)
    elif when is None:
        deliver_message.enqueue(message_id)
    # Otherwise (a backend that cannot defer) the periodic flush picks the row up when due.


@task
def flush_outbox() -> int:
    """Deliver every queued message that is due (the periodic safety net). Returns how many were tried."""
    from members.services import requeue_stale_messages

    requeue_stale_messages()
    due = (
        OutboundMessage.objects.filter(status=Status.QUEUED)
        .exclude(next_attempt_at__gt=timezone.now())
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    ids = list(due)
    for message_id in ids:
        deliver_message.call(message_id)
    return len(ids)
