"""Circulating an agenda to many invitees, end to end, against plain smtplib over one connection.

`measure_circulation(n=2000)` times the chair's click on "Circulate" (the test Client's POST to
the circulate view) until the task worker (django-tasks-db's, run in this process until its
queue is empty) has handed the last message to an SMTP server on loopback, and then the same
messages, already built, sent with plain smtplib over one connection to the same server. The
server runs in its own process and accepts everything at once, so neither measure shares this
process's interpreter with it.

It writes to the configured database (a group, `n` members, a meeting, their outbox rows and
tasks): give it a throwaway one. `python -m tests.bench.circulation [n]` makes its own test
database (DATABASE_URL's server when set, else a SQLite file) and prints the result.
"""

import os
import signal
import smtplib
import subprocess
import sys
import time
from email import policy

SINK = r"""
import signal, sys, threading
from aiosmtpd.controller import Controller

class Sink:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        return "250 OK"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
print("ready", flush=True)
stop.wait()
controller.stop()
print(Sink.count, flush=True)
"""


class SmtpSink:
    """An SMTP server on 127.0.0.1 in its own process that accepts every message; counts them."""

    def __enter__(self) -> "SmtpSink":
        from tests.smtp import free_port

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.port)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def stop(self) -> int:
        """Stop the server; returns how many messages it accepted."""
        self.process.send_signal(signal.SIGTERM)
        out, _err = self.process.communicate(timeout=30)
        return int(out.split()[-1])

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _make_data(n: int):
    """A scheduled meeting with 10 agenda items and `n` invitees (languages mixed), and its chair."""
    from meetings.models import Meeting
    from members.models import Membership
    from tests.factories import GroupFactory, make_member
    from tests.meetings.helpers import bulk_members, make_meeting

    group = GroupFactory()
    chair = make_member(group, Membership.Role.CHAIR, language="nl")
    members = bulk_members(n - 1, languages=("nl", "fr", "de", "en"))
    Membership.objects.bulk_create([Membership(member=m, group=group, role="member") for m in members])
    meeting = make_meeting(group, chair, items=10, members=[chair, *members], status=Meeting.Status.SCHEDULED)
    return meeting, chair


def _run_worker() -> None:
    """django-tasks-db's worker, in this process, until the queue is empty."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench-circulation",
        excluded_queue_names=[],
    ).run()


def _plain_smtplib(port: int, rows) -> float:
    """Seconds to send the rows' messages, built beforehand, over one smtplib connection."""
    from django.conf import settings

    from members.emails import build_email

    prepared = [
        (row.to_email, build_email(row).message(policy=policy.SMTP).as_bytes()) for row in rows
    ]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to_email, data in prepared:
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [to_email], data)
    return time.perf_counter() - started


def measure_circulation(n: int = 2000) -> dict:
    """{"invitees", "end_to_end_msg_per_s", "plain_smtplib_msg_per_s", "ratio", "request_s",
    "end_to_end_s", "smtplib_s", "accepted"} for a circulation to `n` invitees (see the module)."""
    from django.test import Client, override_settings
    from django.urls import reverse

    from members.outbox import OutboundMessage

    meeting, chair = _make_data(n)
    client = Client()
    client.force_login(chair.user)
    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with SmtpSink() as sink:
        mailer = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 30},
        }
        with override_settings(TASKS=tasks, MAILERS={"default": mailer}):
            started = time.perf_counter()
            response = client.post(reverse("meetings:circulate", args=[meeting.pk]))
            request_s = time.perf_counter() - started
            _run_worker()
            end_to_end_s = time.perf_counter() - started
        rows = list(OutboundMessage.objects.filter(batch__startswith=f"meeting-{meeting.pk}-").order_by("pk"))
        sent = sum(row.status == OutboundMessage.Status.SENT for row in rows)
        smtplib_s = _plain_smtplib(sink.port, rows)
        accepted = sink.stop()
    end_to_end = sent / end_to_end_s
    plain = len(rows) / smtplib_s
    return {
        "invitees": n,
        "request_status": response.status_code,
        "request_s": round(request_s, 3),
        "end_to_end_s": round(end_to_end_s, 2),
        "sent": sent,
        "end_to_end_msg_per_s": round(end_to_end, 1),
        "smtplib_s": round(smtplib_s, 2),
        "plain_smtplib_msg_per_s": round(plain, 1),
        "ratio": round(end_to_end / plain, 3),
        # Both runs together: each message once per run.
        "accepted": accepted,
    }


def main(argv: list[str]) -> int:
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
    import django

    import tests.environment  # noqa: F401  (test settings: SECRET_KEY, plain HTTP, temporary VAR_DIR)

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if connection.vendor == "sqlite":
        # A file, as in production, not the in-memory database tests use.
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = measure_circulation(int(argv[0]) if argv else 2000)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    for key, value in result.items():
        print(f"{key:<26} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
