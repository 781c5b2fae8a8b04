"""Background work of the members app. Tasks take ids and are safe to run twice."""

import logging
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.db.models import Case, F, Q, Value, When
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from members.emails import build_email
from members.outbox import Kind, OutboundMessage

logger = logging.getLogger(__name__)

# Stored in place of an account email's body once it no longer needs sending.
REDACTED = "[removed after sending: it held a sign-in code or a password-reset link]"
MAX_ATTEMPTS = 6
Status = OutboundMessage.Status

# Provider answers that mean "our configuration or their load", not "this recipient": retried.
TRANSIENT_HTTP_STATUSES = frozenset({401, 403, 408, 429})

# Stored in English in last_error, translated where the outbox shows it.
FAILED_APPLICATION_ERROR = gettext_noop(
    "Could not be sent because of an error in Concerto itself, not in the address or the email service. "
    "The details are in the server log."
)


def is_delivery_problem(error: Exception) -> bool:
    """An error of the provider, the network or the message's content, as opposed to one in our code.

    Only these are worth retrying (or are the recipient's problem); anything else is a bug that
    another attempt would only repeat.
    """
    from anymail.exceptions import AnymailError

    # smtplib.SMTPException, ConnectionError and TimeoutError are all OSErrors. A ValueError is
    # an address or header Django itself refuses to put in a message (see is_permanent).
    return isinstance(error, OSError | AnymailError | ValueError)


def backoff(attempts: int) -> timedelta:
    """1, 4, 16, 64 minutes… between attempts: the provider gets time to recover."""
    return timedelta(minutes=4 ** max(attempts - 1, 0))


def is_permanent(error: Exception) -> bool:
    """A rejection that no retry will fix: a refused recipient, an invalid message or request.

    Bad credentials are not permanent: once the operator fixes them, the retries go through.
    """
    from anymail.exceptions import (
        AnymailAPIError,
        AnymailInvalidAddress,
        AnymailRecipientsRefused,
        AnymailSerializationError,
        AnymailUnsupportedFeature,
    )

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # {address: (code, reply)}: "451 try later" is a refusal too, but a temporary one.
        codes = [code for code, _reply in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    permanent_anymail = (
        AnymailRecipientsRefused
        | AnymailInvalidAddress
        | AnymailUnsupportedFeature
        | AnymailSerializationError
    )
    # ValueError: an address or header Django itself refuses to put in a message.
    if isinstance(error, permanent_anymail | ValueError):
        return True
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is not None and 400 <= status < 500 and status not in TRANSIENT_HTTP_STATUSES
    return False


@task
def deliver_message(message_id: int) -> str:
    """Send one outbox row if it is still queued and due. Returns the row's new status."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    # Claimed with one conditional UPDATE (compare-and-set), committed before sending: a second
    # worker, the periodic flush, or this task run twice finds the row taken and skips it. A
    # SELECT … FOR UPDATE would not do on SQLite, where it is a no-op.
    claimed = OutboundMessage.objects.filter(due, pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, status_changed_at=now
    )
    if not claimed:
        current = OutboundMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
        return current or "missing"
    message = OutboundMessage.objects.get(pk=message_id)

    try:
        # Building is inside the try too: a row that cannot be built fails, it is not left "sending".
        email = build_email(message)
        with renewed_claim(message.pk):
            email.send()
    except Exception as error:
        return _record_failure(message, error)

    # anymail backends say which id the provider gave the message (a set when recipients got
    # different ids, which cannot happen with our one recipient per message).
    provider_id = getattr(getattr(email, "anymail_status", None), "message_id", None)
    provider_id = "" if provider_id is None or isinstance(provider_id, set) else str(provider_id)
    now = timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(
        # A tracking event may have arrived already (matched through the outbox id in the
        # metadata): "delivered" or "bounced" is newer news than "sent", so it stays.
        status=Case(
            When(status__in=[Status.SENDING, Status.QUEUED], then=Value(Status.SENT)), default=F("status")
        ),
        status_changed_at=Case(
            When(status__in=[Status.SENDING, Status.QUEUED], then=Value(now)), default=F("status_changed_at")
        ),
        sent_at=now,
        next_attempt_at=None,
        # An earlier attempt's error is history once the message went out.
        last_error="",
        provider_message_id=provider_id[:255],
        **_redacted(message),
    )
    return Status.SENT


def _redacted(message: OutboundMessage) -> dict:
    """Account emails carry sign-in codes and password-reset links: once sent or failed for good,
    their bodies are not kept, so nobody who can read the outbox (staff, a backup) can use them."""
    if message.kind != Kind.ACCOUNT:
        return {}
    return {"body_text": REDACTED, "body_html": "", "alternatives": [], "attachments": []}


def _record_failure(message: OutboundMessage, error: Exception) -> str:
    """Back to the queue with a delay, or failed for good. Returns the row's new status.

    A delivery problem is retried with backoff unless permanent; an error in our own code fails
    the row at once and is logged with its traceback, for the operator to fix.
    """
    now = timezone.now()
    if not is_delivery_problem(error):
        logger.exception(
            "Outbox message %s could not be sent: an error in the application", message.pk, exc_info=error
        )
        status, next_attempt_at, reason = Status.FAILED, None, FAILED_APPLICATION_ERROR
    else:
        logger.warning("Sending outbox message %s failed: %s", message.pk, error)
        reason = f"{type(error).__name__}: {error}"
        if is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
            status, next_attempt_at = Status.FAILED, None
        else:
            status, next_attempt_at = Status.QUEUED, now + backoff(message.attempts)
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status,
        next_attempt_at=next_attempt_at,
        last_error=reason[:2000],
        status_changed_at=now,
        **(_redacted(message) if status == Status.FAILED else {}),
    )
    if updated and status == Status.QUEUED:
        schedule_delivery(message.pk, next_attempt_at)
    return status


def schedule_delivery(message_id: int, when: datetime | None = None) -> None:
    """Enqueue deliver_message, later if `when` is given and the backend can defer."""
    if when is None:
        deliver_message.enqueue(message_id)
    elif deliver_message.get_backend().supports_defer:
        deliver_message.using(run_after=when).enqueue(message_id)
    # Otherwise (a backend that cannot defer) the periodic flush picks the row up when due.


@task
def flush_outbox() -> int:
    """Deliver every queued message that is due (the periodic safety net). Returns how many were tried.

    Rows a crashed worker left "sending" are put back first, so nobody is skipped.
    """
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


OUTBOX_STALE_AFTER = timedelta(minutes=15)


REQUEUED_INTERRUPTED = gettext_noop("Queued again after an interrupted attempt.")


FAILED_INTERRUPTED = gettext_noop("Every attempt was interrupted; no further attempt will be made.")


def requeue_stale_messages(older_than: timedelta = OUTBOX_STALE_AFTER) -> int:
    """Put back rows a crashed worker left in "sending". Returns how many.

    The row keeps its Message-ID, so in the rare case the crash came after the provider
    accepted the message, receiving mail systems see the same message, not a new one.
    A row that was interrupted on every one of its attempts fails instead of looping forever.
    """
    return len(_requeue_stale(older_than))


def _requeue_stale(older_than: timedelta) -> list[int]:
    """requeue_stale_messages(), returning the ids of the rows put back in the queue."""
    now = timezone.now()
    stale = OutboundMessage.objects.filter(status=Status.SENDING, status_changed_at__lte=now - older_than)
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED,
        next_attempt_at=None,
        last_error=FAILED_INTERRUPTED,
        status_changed_at=now,
    )
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return []
    # The same conditions again: a row whose worker renewed its claim meanwhile stays with it.
    stale.filter(pk__in=ids).update(
        status=Status.QUEUED,
        next_attempt_at=None,
        last_error=REQUEUED_INTERRUPTED,
        status_changed_at=now,
    )
    return list(
        OutboundMessage.objects.filter(pk__in=ids, status=Status.QUEUED, status_changed_at=now).values_list(
            "pk", flat=True
        )
    )


# A worker sending a row holds it for SENDING_LEASE from its claim, and renews the claim
# (status_changed_at) every SENDING_RENEW_EVERY while the provider has not answered. A row still
# "sending" whose claim is older than the lease belongs to a worker that no longer runs (killed,
# out of memory, its machine gone): a restarted worker puts it back at once (recover_deliveries),
# rather than after the quarter of an hour the periodic flush waits.
SENDING_LEASE = timedelta(seconds=60)
SENDING_RENEW_EVERY = timedelta(seconds=15)
# A send is bounded by the provider's timeouts (30 s for SMTP); past this the claim is no longer
# renewed, so a send stuck for good still ends up back in the queue.
SENDING_RENEW_AT_MOST = timedelta(minutes=10)
# How often a running worker looks for what a stopped one left (see run_worker).
RECOVERY_EVERY = timedelta(seconds=15)

WORKER_STOPPED = gettext_noop(
    "The worker running this task stopped before it finished (killed or crashed); "
    "its message was put back in the queue."
)


@contextmanager
def renewed_claim(message_id: int) -> Iterator[None]:
    """Keep renewing this worker's claim on a "sending" row while the block runs.

    A thread does it, since the block waits on the provider; the thread dies with the process,
    so a killed worker's claim runs out SENDING_LEASE after its last renewal.
    """
    done = threading.Event()
    renewer = threading.Thread(
        target=_renew_claim, args=(message_id, done), name=f"outbox-claim-{message_id}", daemon=True
    )
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()


def _renew_claim(message_id: int, done: threading.Event) -> None:
    started = timezone.now()
    used_database = False
    try:
        while not done.wait(SENDING_RENEW_EVERY.total_seconds()):
            if timezone.now() - started > SENDING_RENEW_AT_MOST:
                return
            used_database = True
            try:
                OutboundMessage.objects.filter(pk=message_id, status=Status.SENDING).update(
                    status_changed_at=timezone.now()
                )
            except DatabaseError as error:
                # One missed renewal is no harm: the lease outlasts several.
                logger.warning("Could not renew the claim on outbox message %s: %s", message_id, error)
    finally:
        if used_database:
            connection.close()  # this thread's own connection


def recover_deliveries(lease: timedelta = SENDING_LEASE) -> list[int]:
    """Put back and schedule what a worker that stopped left behind. Returns the message ids scheduled.

    Two traces of such a worker: rows "sending" whose claim ran out (killed while the provider
    was answering), and deliver_message tasks marked running for longer than the lease whose
    row is not being sent (killed just before or after sending). Those tasks are marked failed
    (they would show as running for ever) and their rows, if still queued, get a new task.
    Exactly once still holds: whoever delivers first claims the row with a conditional UPDATE,
    and a row already sent is never claimed again.
    """
    scheduled = set(_requeue_stale(lease))
    cutoff = timezone.now() - lease
    abandoned = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, task_path=deliver_message.module_path, started_at__lte=cutoff
    ).values_list("pk", "args_kwargs")
    tasks_by_message: dict[int, list] = {}
    for pk, args_kwargs in abandoned:
        message_id = _message_id_of(args_kwargs)
        if message_id is not None:
            tasks_by_message.setdefault(message_id, []).append(pk)
    if tasks_by_message:
        # A row "sending" under a live claim is in the hands of a running worker: its task stays.
        held = set(
            OutboundMessage.objects.filter(
                pk__in=tasks_by_message, status=Status.SENDING, status_changed_at__gt=cutoff
            ).values_list("pk", flat=True)
        )
        dead = [pk for message_id, pks in tasks_by_message.items() if message_id not in held for pk in pks]
        DBTaskResult.objects.filter(pk__in=dead, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path="",
            traceback=WORKER_STOPPED,
            return_value=None,
        )
        scheduled |= set(tasks_by_message) - held
    due = OutboundMessage.objects.filter(pk__in=scheduled, status=Status.QUEUED).values_list(
        "pk", "next_attempt_at"
    )
    now = timezone.now()
    ids = []
    for message_id, next_attempt_at in due.order_by("pk"):
        schedule_delivery(message_id, next_attempt_at if next_attempt_at and next_attempt_at > now else None)
        ids.append(message_id)
    if ids:
        logger.warning("Delivering again %s message(s) a stopped worker left: %s", len(ids), ids)
    return ids


def _message_id_of(args_kwargs: object) -> int | None:
    """The message id a deliver_message task was given, or None for a row that does not say."""
    if not isinstance(args_kwargs, dict):
        return None
    args, kwargs = args_kwargs.get("args") or [], args_kwargs.get("kwargs") or {}
    value = args[0] if args else kwargs.get("message_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
