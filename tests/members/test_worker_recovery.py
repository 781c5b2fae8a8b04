"""A worker killed mid-delivery: a restarted worker delivers what it left, within two minutes, once.

The first test kills a real `manage.py run_worker` process (kill -9) while a real SMTP server on
127.0.0.1 holds its message without answering, then starts another worker. The others check the
pieces in the test process: claims that run out, tasks a stopped worker left running, the renewal.
"""

import asyncio
import os
import signal
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from members import tasks
from members.outbox import Kind, OutboundMessage
from members.tasks import MAX_ATTEMPTS, SENDING_LEASE, deliver_message, recover_deliveries
from tests.make_run import make_run_environment, manage, start, stop
from tests.smtp import RecordingHandler, free_port

Status = OutboundMessage.Status

QUEUE_ONE = """
from members.outbox import Kind, OutboundMessage
from members.tasks import schedule_delivery

row = OutboundMessage.objects.create(
    kind=Kind.NEWS, to_email="nadia@example.be", language="en", subject="Plenary moved", body_text="Body\\n"
)
schedule_delivery(row.pk)
print(row.pk)
"""


class StallingHandler(RecordingHandler):
    """Takes the first message's content, then never answers it: a provider that hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(3600)  # no "250": the message is not accepted
        return await super().handle_DATA(server, session, envelope)


def wait_for(condition, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def database_rows(database, query: str, *params) -> list[tuple]:
    with sqlite3.connect(database, timeout=10) as reader:
        return reader.execute(query, params).fetchall()


def test_a_killed_workers_message_goes_out_within_two_minutes_of_the_restart_exactly_once(tmp_path):
    handler = StallingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    environment = {
        **make_run_environment(var_dir),
        "EMAIL_PROVIDER": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }
    database = var_dir / "concerto.sqlite3"
    workers = []
    try:
        manage(environment, "migrate", "--noinput", "--verbosity", "0", timeout=300)
        row_id = int(manage(environment, "shell", "--no-imports", "-c", QUEUE_ONE).stdout.split()[-1])
        worker_args = ("run_worker", "--interval", "1", "--no-reload", "--no-startup-delay")

        killed = start(environment, *worker_args)
        workers.append(killed)
        assert handler.stalled.wait(120), stop(killed)
        # Mid-delivery: the row is claimed, the task is running, the server has not answered.
        status_query = "SELECT status, attempts FROM members_outboundmessage WHERE id = ?"
        assert database_rows(database, status_query, row_id) == [("sending", 1)]
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(10)

        restarted = start(environment, *worker_args)
        workers.append(restarted)
        restarted_at = time.monotonic()
        delivered = wait_for(lambda: handler.received, timeout=120)
        took = time.monotonic() - restarted_at
        assert delivered, f"not delivered within two minutes of the restart:\n{stop(restarted)}"
        assert took < 120

        # Nothing more goes out: not from this worker's next rounds, nor from the periodic flush,
        # nor from yet another worker.
        time.sleep(20)
        manage(environment, "send_queued_mail")
        manage(environment, "run_worker", "--batch", "--no-startup-delay", "--no-reload")
        assert wait_for(lambda: database_rows(database, status_query, row_id)[0][0] == "sent", timeout=10)
        assert len(handler.received) == 1
        [(recipients, message)] = handler.parsed()
        assert recipients == ["nadia@example.be"]
        assert message["Subject"] == "Plenary moved"
        (message_id,) = database_rows(database, "SELECT message_id FROM members_outboundmessage")[0]
        assert message["Message-ID"] == message_id
        assert database_rows(database, status_query, row_id) == [("sent", 2)]
        # The killed worker's task no longer shows as running; the new one did the work.
        task_statuses = database_rows(
            database, "SELECT status FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
        )
        assert [status for (status,) in task_statuses] == ["FAILED", "SUCCESSFUL"]
    finally:
        for worker in workers:
            stop(worker)
        controller.stop()


def make_row(**fields) -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind=Kind.NEWS,
        to_email=fields.pop("to_email", "jan@example.be"),
        language="en",
        subject="Plenary moved",
        body_text="Body\n",
        **fields,
    )


def claimed(seconds_ago: float, **fields) -> OutboundMessage:
    """A row a worker claimed that long ago and has not finished."""
    when = timezone.now() - timedelta(seconds=seconds_ago)
    return make_row(status=Status.SENDING, attempts=1, status_changed_at=when, **fields)


def running_task(message: OutboundMessage, seconds_ago: float) -> DBTaskResult:
    """The deliver_message task a worker marked running that long ago."""
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [message.pk], "kwargs": {}},
        task_path=deliver_message.module_path,
        backend_name="default",
        run_after=get_date_max(),
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
        worker_ids=["gone"],
    )


@pytest.mark.django_db
def test_a_row_whose_claim_ran_out_is_delivered_again_and_a_live_claim_is_left_alone(mailoutbox):
    abandoned = claimed(SENDING_LEASE.total_seconds() + 1, to_email="abandoned@example.be")
    claimed(10, to_email="live@example.be")
    worn_out = claimed(3600, to_email="worn@example.be")
    OutboundMessage.objects.filter(pk=worn_out.pk).update(attempts=MAX_ATTEMPTS)

    assert recover_deliveries() == [abandoned.pk]

    assert [message.to for message in mailoutbox] == [["abandoned@example.be"]]
    statuses = dict(OutboundMessage.objects.values_list("to_email", "status"))
    assert statuses == {
        "abandoned@example.be": Status.SENT,
        "live@example.be": Status.SENDING,  # its worker is still at it
        "worn@example.be": Status.FAILED,  # interrupted on every attempt
    }
    # Run again (the next round, another worker starting): nothing is sent twice.
    assert recover_deliveries() == []
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_tasks_a_stopped_worker_left_running_are_closed_and_their_rows_delivered(mailoutbox):
    old = SENDING_LEASE.total_seconds() + 5
    # Killed after taking the task, before claiming the row: the row is still queued.
    before_claim = make_row(to_email="queued@example.be")
    task_before_claim = running_task(before_claim, old)
    # Killed after sending, before recording the task's result: nothing to send again.
    already_sent = make_row(to_email="sent@example.be", status=Status.SENT, attempts=1)
    task_after_send = running_task(already_sent, old)
    # A slow provider: the worker is alive and renews its claim, so its task stays running.
    in_progress = claimed(5, to_email="slow@example.be")
    task_in_progress = running_task(in_progress, old)
    # Just taken by a running worker.
    just_taken = make_row(to_email="new@example.be")
    task_just_taken = running_task(just_taken, 1)

    assert recover_deliveries() == [before_claim.pk]

    assert [message.to for message in mailoutbox] == [["queued@example.be"]]
    task_statuses = {
        pk: status for pk, status in DBTaskResult.objects.values_list("pk", "status") if pk != task_just_taken.pk
    }
    assert task_statuses == {
        task_before_claim.pk: TaskResultStatus.FAILED,
        task_after_send.pk: TaskResultStatus.FAILED,
        task_in_progress.pk: TaskResultStatus.RUNNING,
    }
    assert DBTaskResult.objects.get(pk=task_just_taken.pk).status == TaskResultStatus.RUNNING
    assert "stopped" in DBTaskResult.objects.get(pk=task_before_claim.pk).traceback
    in_progress.refresh_from_db()
    assert in_progress.status == Status.SENDING


@pytest.mark.django_db
def test_a_message_waiting_for_its_retry_keeps_its_backoff(settings, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    later = timezone.now() + timedelta(minutes=4)
    retrying = make_row(next_attempt_at=later, attempts=1)
    running_task(retrying, SENDING_LEASE.total_seconds() + 5)

    assert recover_deliveries() == [retrying.pk]

    [result] = deliver_message.get_backend().results
    assert result.args == [retrying.pk]
    assert result.task.run_after == later
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_run_worker_starts_by_delivering_what_a_stopped_worker_left(settings, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    abandoned = claimed(SENDING_LEASE.total_seconds() + 1)
    dead_task = running_task(abandoned, SENDING_LEASE.total_seconds() + 1)

    call_command("run_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    abandoned.refresh_from_db()
    assert abandoned.status == Status.SENT
    assert len(mailoutbox) == 1
    dead_task.refresh_from_db()
    assert dead_task.status == TaskResultStatus.FAILED
    assert DBTaskResult.objects.exclude(pk=dead_task.pk).get().status == TaskResultStatus.SUCCESSFUL

    call_command("run_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(mailoutbox) == 1


class SlowBackend(LocmemBackend):
    """A provider that takes a while to answer; notes the row's claim time while it waits."""

    seen: list = []

    def send_messages(self, messages):
        time.sleep(0.6)
        outbox_id = int(messages[0].metadata["outbox_id"])
        SlowBackend.seen.append(OutboundMessage.objects.get(pk=outbox_id).status_changed_at)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_renewed_while_the_provider_answers(settings, monkeypatch, mailoutbox):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.SlowBackend"}}
    monkeypatch.setattr(tasks, "SENDING_RENEW_EVERY", timedelta(seconds=0.1))
    monkeypatch.setattr(SlowBackend, "seen", [])
    row = make_row()
    before = timezone.now()

    assert deliver_message.call(row.pk) == Status.SENT

    [during] = SlowBackend.seen
    assert during > before + timedelta(seconds=0.3)  # renewed after the claim, while waiting
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(mailoutbox) == 1
