"""The shape of Concerto's periodic commands: one round, or `--loop [SECONDS]` for rounds until stopped."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection


def refresh_connections() -> None:
    """Between rounds of a long-running command: drop connections the database closed or that
    are too old. Never inside a transaction (a test's, or a caller's), whose connection must stay."""
    if not connection.in_atomic_block:
        close_old_connections()


class PeriodicCommand(BaseCommand):
    """Subclasses set `default_interval` and implement `run_once()`.

    Without --loop the command does one round (for cron). With --loop it keeps going, every
    `default_interval` seconds or every SECONDS given, and stops cleanly on Ctrl-C or SIGTERM.
    """

    default_interval = 60

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            nargs="?",
            type=float,
            const=self.default_interval,
            default=None,
            metavar="SECONDS",
            help=f"Keep running, a round every SECONDS seconds (default {self.default_interval}).",
        )

    def handle(self, *args, loop: float | None = None, **options) -> None:
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a number of seconds greater than 0.")
        try:
            while True:
                # A long-running process must not keep a connection the database has dropped.
                refresh_connections()
                self.run_once(looping=loop is not None, **options)
                if loop is None:
                    return
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def run_once(self, *, looping: bool, **options) -> None:
        raise NotImplementedError
