"""Background work of the members app. Tasks take ids and are safe to run twice."""

import logging
import smtplib
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial

from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.sql import UpdateQuery
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from members.emails import build_email
from members.outbox import Kind, OutboundMessage, wire_message

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
    message = _claim(message_id)
    if message is None:
        current = OutboundMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
        return current or "missing"
    # Building is inside _send too: a row that cannot be built fails, it is not left "sending".
    return _send(message, lambda email: email.send())


# Rows per deliver_messages task: each chunk goes out over one connection to the provider.
DELIVERY_CHUNK = 100


@task
def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    """Send the rows among `message_ids` that are still queued and due, in order, over one connection.

    Each row is claimed with a conditional UPDATE and marked sent or failed, so running this
    twice (or beside deliver_message and the periodic flush) sends each row once, and a row that
    fails (refused, provider error) takes its own retry or failure without stopping the others.
    Returns {status: count} of what happened to the rows, "skipped" for those another worker had
    or that were not due.
    """
    mailer = mailers.default
    if isinstance(mailer, SmtpBackend) and connection.features.can_return_rows_from_update:
        chunk = SmtpChunk(mailer)
        messages = _claim_all(message_ids)
        skipped = len(message_ids) - len(messages)
        try:
            chunk.send_all(messages)
        finally:
            chunk.close()
    else:
        rows = OutboundMessage.objects.in_bulk(message_ids)  # their contents do not change once queued
        chunk = MailerChunk(mailer)
        skipped = 0
        try:
            for message_id in message_ids:
                message = _claim(message_id, rows.get(message_id))
                if message is None:
                    skipped += 1
                else:
                    chunk.send(message)
        finally:
            chunk.close()
    outcome = {"skipped": skipped} if skipped else {}
    for status in chunk.statuses:
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


# Connections a chunk goes out over at once (SmtpChunk), each taking the next row: while one
# waits for the server's answer, the other's message is on its way, so the server does not wait
# for us between messages (2,000 rows in chunks of 100 to a server on loopback: 4.8 s -> 4.1 s,
# means of four runs). Two, not more: providers limit a client's concurrent connections (some to
# three), and each worker holds this many.
SMTP_CONNECTIONS = 2

# How long a row the SMTP server accepted may wait before it is marked sent (SmtpChunk): the
# longest a crash could leave it to be sent again. A chunk sent within it takes one UPDATE.
RECORD_EVERY = 1.0

# Refusals after which smtplib has reset the session (RSET): the connection serves the next row.
ANSWERED_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class MailerChunk:
    """Claimed rows sent one after the other through one mailer (Django's `mailers.default`),
    opened at the first and kept open for the next; after an error other than a refusal the
    server answered, it is closed and opened again for the next row, since a connection that
    failed half-way may be unusable.
    `statuses` holds each row's new status."""

    def __init__(self, mailer) -> None:
        self.mailer = mailer
        self.opened = False
        self.statuses: list[str] = []

    def send(self, message: OutboundMessage) -> None:
        self.statuses.append(_send(message, self._send_email))

    def _send_email(self, email) -> None:
        self._open()
        try:
            self.mailer.send_messages([email])
        except BaseException as error:
            if not isinstance(error, ANSWERED_REFUSALS):
                self._hang_up()
            raise

    def _open(self) -> None:
        if not self.opened:
            self.mailer.open()
            self.opened = True

    def close(self) -> None:
        """End the chunk: close the connection."""
        self._hang_up()

    def _hang_up(self) -> None:
        self.opened = False
        _close_connection(self.mailer)


class Abandoned(Exception):
    """A claimed row left unsent: the claims stopped being renewed (see ClaimRenewal)."""


class SmtpChunk(MailerChunk):
    """Django's SMTP mailer, faster, for rows claimed together (_claim_all).

    Each row goes out as the bytes outbox.wire_message writes (the same message as build_email's,
    without the cost of the email package); a row the wire format does not cover is built and
    sent the usual way, on the same connection. SMTP_CONNECTIONS sender threads, each with its
    own connection (the default mailer's), take the rows in turn, while this thread records the
    outcomes: whatever the server answered, in one UPDATE once every row is answered or every
    RECORD_EVERY, whichever comes first. So the connections never wait for the database, a
    chunk's rows are marked sent in a statement or two, and a row the server accepted is marked
    sent at most RECORD_EVERY later (what a crash in between leaves is sent again, with the same
    Message-ID). `mailer` (of the same configuration) checks the addresses.
    """

    def __init__(self, mailer) -> None:
        super().__init__(mailer)
        self.sender = ThreadPoolExecutor(max_workers=SMTP_CONNECTIONS, thread_name_prefix="outbox-smtp")
        self.own = threading.local()  # each sender thread's mailer: a connection is not shared
        self.connections: list = []

    def send_all(self, messages: list[OutboundMessage]) -> None:
        """Send the claimed rows in order and record each one's outcome."""
        if not messages:
            return
        with renewed_claims([message.pk for message in messages]) as claims:
            envelopes = []
            for message in messages:
                try:
                    envelopes.append((message, wire_message(message, self.mailer)))
                except Exception as error:
                    self.statuses.append(_record_failure(message, error))
            # Handed over once all are written: a thread writing messages while the sender thread
            # talks to the server would make it wait for the interpreter at every answer.
            waiting: deque[tuple[OutboundMessage, Future]] = deque(
                (message, self.sender.submit(self._deliver, message, envelope, claims))
                for message, envelope in envelopes
            )
            recorded_at = time.monotonic()
            while waiting:
                # This thread sleeps meanwhile: the sender thread has the interpreter to itself.
                timeout = max(recorded_at + RECORD_EVERY - time.monotonic(), 0)
                futures_wait([waiting[-1][1]], timeout=timeout)
                self._record(waiting, claims)
                recorded_at = time.monotonic()

    def _deliver(self, message: OutboundMessage, envelope: tuple | None, claims: "ClaimRenewal") -> None:
        # On a sender thread, which alone uses its mailer's connection.
        if claims.given_up:
            raise Abandoned
        mailer = getattr(self.own, "mailer", None)
        if mailer is None:
            mailer = self.own.mailer = mailers.default
            self.connections.append(mailer)
        try:
            if mailer.connection is None:
                mailer.open()
            if envelope is None:
                mailer.send_messages([build_email(message)])
            else:
                mailer.connection.sendmail(*envelope)
        except BaseException as error:
            if not isinstance(error, ANSWERED_REFUSALS):
                _close_connection(mailer)  # it may be unusable now: the next row opens another
            raise

    def _record(self, waiting: deque, claims: "ClaimRenewal") -> None:
        """Record the outcomes of the rows at the head of `waiting` that are answered: those sent
        in one UPDATE, each failure on its own."""
        sent = []
        while waiting and waiting[0][1].done():
            message, future = waiting.popleft()
            error = future.exception()
            if error is None:
                sent.append(message)
            elif isinstance(error, Abandoned):
                pass  # still "sending" under a claim no longer renewed: the recovery puts it back
            elif isinstance(error, Exception):
                self.statuses.append(_record_failure(message, error))
            else:
                raise error
        if sent:
            self.statuses.extend(_record_all_sent(sent))
            claims.progress()

    def close(self) -> None:
        # Rows not yet handed to the server are dropped: still "sending", they go back to the
        # queue once their claim runs out.
        self.sender.shutdown(wait=True, cancel_futures=True)
        for mailer in self.connections:
            _close_connection(mailer)
        super().close()


def _close_connection(mailer) -> None:
    """Close the mailer's connection; one that broke may fail to say goodbye, no matter."""
    try:
        mailer.close()
    except Exception as error:
        logger.info("Closing the mail connection failed: %s", error)


def _claim_all(message_ids: list[int]) -> list[OutboundMessage]:
    """Claim, in one conditional UPDATE, the rows among `message_ids` still queued and due; returns
    them in the order of `message_ids` (each once), as they are once claimed.

    The same compare-and-set as _claim, for many rows at once: RETURNING says which rows this
    statement changed, so of two workers claiming the same rows each gets a different share. It
    returns every column too: the claimed rows need no second read, and rows another worker has
    are not read at all.
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    rows = OutboundMessage.objects.filter(due, pk__in=message_ids, status=Status.QUEUED)
    query = rows.query.chain(UpdateQuery)
    query.add_update_values({"status": Status.SENDING, "attempts": F("attempts") + 1, "status_changed_at": now})
    fields = OutboundMessage._meta.concrete_fields
    returned = query.get_compiler(rows.db).execute_returning_sql(fields)
    names = [field.attname for field in fields]
    claimed = {message.pk: message for message in (OutboundMessage.from_db(rows.db, names, row) for row in returned)}
    return [claimed[message_id] for message_id in dict.fromkeys(message_ids) if message_id in claimed]


def _claim(message_id: int, loaded: OutboundMessage | None = None) -> OutboundMessage | None:
    """Claim the row for this worker if it is still queued and due; None when it is not.

    Claimed with one conditional UPDATE (compare-and-set), committed before sending: a second
    worker, the periodic flush, or this task run twice finds the row taken and skips it. A
    SELECT … FOR UPDATE would not do on SQLite, where it is a no-op. `loaded` is the row as
    read before the claim (its content does not change); it is read again otherwise.
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = OutboundMessage.objects.filter(due, pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, status_changed_at=now
    )
    if not claimed:
        return None
    if loaded is None:
        return OutboundMessage.objects.get(pk=message_id)
    loaded.status, loaded.attempts, loaded.status_changed_at = Status.SENDING, loaded.attempts + 1, now
    return loaded


def _send(message: OutboundMessage, send) -> str:
    """Build and send a claimed row with `send(email)`, then record the outcome. Returns the new status."""
    try:
        email = build_email(message)
        with renewed_claims([message.pk]):
            send(email)
    except Exception as error:
        return _record_failure(message, error)

    # anymail backends say which id the provider gave the message (a set when recipients got
    # different ids, which cannot happen with our one recipient per message).
    provider_id = getattr(getattr(email, "anymail_status", None), "message_id", None)
    provider_id = "" if provider_id is None or isinstance(provider_id, set) else str(provider_id)
    return _record_sent(message, provider_id)


def _record_sent(message: OutboundMessage, provider_id: str = "") -> str:
    """Mark a claimed row sent. Returns the new status."""
    return _record_all_sent([message], provider_id)[0]


def _record_all_sent(messages: list[OutboundMessage], provider_id: str = "") -> list[str]:
    """Mark claimed rows sent, in one UPDATE (two with account emails). Returns their new statuses."""
    now = timezone.now()
    accounts = [message.pk for message in messages if message.kind == Kind.ACCOUNT]
    others = [message.pk for message in messages if message.kind != Kind.ACCOUNT]
    for ids, redacted in ((others, {}), (accounts, REDACTED_FIELDS)):
        if not ids:
            continue
        OutboundMessage.objects.filter(pk__in=ids).update(
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
            **redacted,
        )
    return [Status.SENT] * len(messages)


# What an account email keeps of its content once sent or failed for good (see _redacted).
REDACTED_FIELDS = {"body_text": REDACTED, "body_html": "", "alternatives": [], "attachments": []}


def _redacted(message: OutboundMessage) -> dict:
    """Account emails carry sign-in codes and password-reset links: once sent or failed for good,
    their bodies are not kept, so nobody who can read the outbox (staff, a backup) can use them."""
    return REDACTED_FIELDS if message.kind == Kind.ACCOUNT else {}


def _record_failure(message: OutboundMessage, error: Exception) -> str:
    """Back to the queue with a delay, or failed for good. Returns the row's new status.

    A delivery problem is retried with backoff unless permanent; an error in our own code fails
    the row at once and is logged with its traceback, for the operator to fix.
    """
    now = timezone.now()
    # The count as stored: a row read before its claim (deliver_messages) may be an attempt behind.
    stored = OutboundMessage.objects.filter(pk=message.pk).values_list("attempts", flat=True).first()
    message.attempts = message.attempts if stored is None else stored
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


def schedule_deliveries(message_ids: list[int]) -> None:
    """Enqueue deliver_messages for these rows, one task per DELIVERY_CHUNK of them."""
    for start in range(0, len(message_ids), DELIVERY_CHUNK):
        deliver_messages.enqueue(list(message_ids[start : start + DELIVERY_CHUNK]))


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
    for start in range(0, len(ids), DELIVERY_CHUNK):
        deliver_messages.call(ids[start : start + DELIVERY_CHUNK])
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
DELIVERY_TASKS = (deliver_message.module_path, deliver_messages.module_path)


class ClaimRenewal:
    """This worker's claim on its "sending" rows, renewed by one thread (see renewed_claims)."""

    def __init__(self, message_ids: list[int]) -> None:
        self.message_ids = message_ids
        self.done = threading.Event()
        # Set once renewing stopped for want of progress: the rows not sent yet must stay unsent.
        self.given_up = False
        self.last_progress = time.monotonic()

    def progress(self) -> None:
        """A row was finished: the provider is answering."""
        self.last_progress = time.monotonic()

    def run(self) -> None:
        used_database = False
        try:
            while not self.done.wait(SENDING_RENEW_EVERY.total_seconds()):
                if time.monotonic() - self.last_progress > SENDING_RENEW_AT_MOST.total_seconds():
                    self.given_up = True
                    return
                used_database = True
                try:
                    OutboundMessage.objects.filter(pk__in=self.message_ids, status=Status.SENDING).update(
                        status_changed_at=timezone.now()
                    )
                except DatabaseError as error:
                    # One missed renewal is no harm: the lease outlasts several.
                    logger.warning("Could not renew the claim on outbox messages %s: %s", self.message_ids, error)
        finally:
            if used_database:
                connection.close()  # this thread's own connection


@contextmanager
def renewed_claims(message_ids: list[int]) -> Iterator[ClaimRenewal]:
    """Keep renewing this worker's claim on its "sending" rows while the block runs.

    A thread does it, since the block waits on the provider; the thread dies with the process,
    so a killed worker's claims run out SENDING_LEASE after their last renewal. Rows no longer
    "sending" (sent, failed) are left alone. Once no row was finished for SENDING_RENEW_AT_MOST,
    renewal stops and `given_up` is set: a send stuck for good ends up back in the queue, and
    the rows after it are not sent by this worker.
    """
    claims = ClaimRenewal(list(message_ids))
    renewer = threading.Thread(
        target=claims.run, name=f"outbox-claim-{claims.message_ids[0] if claims.message_ids else ''}", daemon=True
    )
    renewer.start()
    try:
        yield claims
    finally:
        claims.done.set()
        renewer.join()


def recover_deliveries(lease: timedelta = SENDING_LEASE) -> list[int]:
    """Put back and schedule what a worker that stopped left behind. Returns the message ids scheduled.

    Two traces of such a worker: rows "sending" whose claim ran out (killed while the provider
    was answering), and delivery tasks (deliver_message, deliver_messages) marked running for
    longer than the lease none of whose rows is being sent (killed just before or after
    sending). Those tasks are marked failed (they would show as running for ever) and their
    rows, if still queued, get a new task. Exactly once still holds: whoever delivers first
    claims the row with a conditional UPDATE, and a row already sent is never claimed again.
    A stopped worker's task that was writing a sending's rows (see PREPARING_KWARGS) is marked
    failed and enqueued again (recover_preparations).
    """
    recover_preparations(lease)
    scheduled = set(_requeue_stale(lease))
    cutoff = timezone.now() - lease
    abandoned = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, task_path__in=DELIVERY_TASKS, started_at__lte=cutoff
    ).values_list("pk", "args_kwargs")
    messages_of_task = {pk: _message_ids_of(args_kwargs) for pk, args_kwargs in abandoned}
    if messages_of_task:
        # A row "sending" under a live claim is in the hands of a running worker: its task stays.
        held = set(
            OutboundMessage.objects.filter(
                pk__in={i for ids in messages_of_task.values() for i in ids},
                status=Status.SENDING,
                status_changed_at__gt=cutoff,
            ).values_list("pk", flat=True)
        )
        dead = {pk: ids for pk, ids in messages_of_task.items() if not held.intersection(ids)}
        _mark_stopped(list(dead))
        scheduled |= {i for ids in dead.values() for i in ids}
    due = OutboundMessage.objects.filter(pk__in=scheduled, status=Status.QUEUED).values_list(
        "pk", "next_attempt_at"
    )
    now = timezone.now()
    ids, at_once = [], []
    for message_id, next_attempt_at in due.order_by("pk"):
        if next_attempt_at and next_attempt_at > now:
            schedule_delivery(message_id, next_attempt_at)  # it keeps its backoff
        else:
            at_once.append(message_id)
        ids.append(message_id)
    schedule_deliveries(at_once)
    if ids:
        logger.warning("Delivering again %s message(s) a stopped worker left: %s", len(ids), ids)
    return ids


def _mark_stopped(task_ids: list) -> None:
    """Mark these running tasks failed: their worker stopped (they would show as running for ever)."""
    DBTaskResult.objects.filter(pk__in=task_ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="",
        traceback=WORKER_STOPPED,
        return_value=None,
    )


def _message_ids_of(args_kwargs: object) -> list[int]:
    """The message ids a delivery task was given (one, or a list); [] for a row that does not say."""
    if not isinstance(args_kwargs, dict):
        return []
    args, kwargs = args_kwargs.get("args") or [], args_kwargs.get("kwargs") or {}
    value = args[0] if args else kwargs.get("message_id", kwargs.get("message_ids"))
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


# --- Sendings written in the background --------------------------------------------------

# A task of another app that writes the rows of one sending in the background (the meetings
# app's circulation) takes these keyword arguments: the batch it writes, its title in the
# sender's language, the kind of its emails, how many there will be, and the id of the member
# sending it. While such a task waits or runs, the outbox page shows the sending as being
# prepared (batch_in_preparation). It must be safe to run twice: when its worker stops while
# running it, recover_preparations enqueues it again.
PREPARING_KWARGS = ("outbox_batch", "outbox_title", "outbox_kind", "outbox_count", "outbox_created_by")
# Writing one chunk of rows takes seconds; a task still running after a lease has lost its worker.
PREPARING_LEASE = SENDING_LEASE

WORKER_STOPPED_PREPARING = gettext_noop(
    "The worker running this task stopped before it finished (killed or crashed); "
    "the task was queued again."
)


def batch_in_preparation(batch: str) -> dict | None:
    """{"count", "title", "kind", "created_by", "since"} of the task writing this sending's rows,
    while it waits or runs; None when there is none (or the task backend is not the database)."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(deliver_message.get_backend(), DatabaseBackend):
        return None  # tasks run at once, or elsewhere: none is waiting in the database
    found = (
        DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
            args_kwargs__kwargs__outbox_batch=batch,
        )
        .order_by("enqueued_at")
        .values_list("args_kwargs", "enqueued_at")
        .first()
    )
    if found is None:
        return None
    kwargs, since = found[0].get("kwargs") or {}, found[1]
    return {
        "count": int(kwargs.get("outbox_count") or 0),
        "title": str(kwargs.get("outbox_title") or ""),
        "kind": str(kwargs.get("outbox_kind") or ""),
        "created_by": kwargs.get("outbox_created_by"),
        "since": since,
    }


def recover_preparations(lease: timedelta = PREPARING_LEASE) -> int:
    """Enqueue again the tasks writing a sending's rows that a stopped worker left running. Returns how many."""
    abandoned = list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING,
            started_at__lte=timezone.now() - lease,
            args_kwargs__kwargs__has_key="outbox_batch",
        )
    )
    again = 0
    for result in abandoned:
        updated = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path="",
            traceback=WORKER_STOPPED_PREPARING,
            return_value=None,
        )
        if not updated:
            continue  # another worker's recovery took it
        arguments = result.args_kwargs
        result.task.enqueue(*arguments.get("args", []), **arguments.get("kwargs", {}))
        again += 1
    if again:
        logger.warning("Writing again %s sending(s) a stopped worker left half-written", again)
    return again


def enqueue_in_transaction(task, *args, **kwargs) -> None:
    """Enqueue `task` so that it runs if and only if the surrounding transaction commits.

    The database queue writes its task row in this transaction (both commit, or neither);
    the immediate backend runs the task now, in it, so that its errors undo the transaction
    as if the work were done inline; any other backend is given the task after commit.
    """
    from django.tasks.backends.dummy import DummyBackend
    from django.tasks.backends.immediate import ImmediateBackend
    from django_tasks_db.backend import DatabaseBackend

    backend = task.get_backend()
    if isinstance(backend, ImmediateBackend):
        task.call(*args, **kwargs)
    elif isinstance(backend, DatabaseBackend | DummyBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, *args, **kwargs))
