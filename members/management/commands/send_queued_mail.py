"""The outbox's periodic safety net, for cron or the worker host: `manage.py send_queued_mail`."""

import time

from django.core.management.base import BaseCommand, CommandError

from members.db import refresh_connections
from members.tasks import flush_outbox


class Command(BaseCommand):
    help = (
        "Deliver the queued emails that are due, after putting back those a crashed worker left "
        "half-sent. Run it every minute (cron), or once with --loop."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="Keep running, flushing the outbox every SECONDS seconds.",
        )

    def handle(self, *args, loop: float | None = None, verbosity: int = 1, **options) -> None:
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a number of seconds greater than 0.")
        try:
            while True:
                tried = flush_outbox.call()
                if verbosity >= 1 and (tried or loop is None):
                    self.stdout.write(f"Outbox: {tried} message(s) tried.")
                if loop is None:
                    return
                # A long-running process must not keep a connection the database has dropped.
                refresh_connections()
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
