"""Queue the meeting reminders that are due. Run it from cron every 15 minutes, or with --loop."""

import time

from django.core.management.base import BaseCommand, CommandError

from meetings import circulation
from members.db import refresh_connections


class Command(BaseCommand):
    help = "Queue due meeting reminders (unanswered invitations, and the day before for those who accepted)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running, checking every --interval.")
        parser.add_argument(
            "--interval", type=int, default=900, help="Seconds between two checks with --loop (default 900)."
        )

    def handle(self, *args, loop: bool = False, interval: int = 900, **options) -> None:
        if interval < 1:
            raise CommandError("--interval must be at least 1 second.")
        while True:
            refresh_connections()
            count = circulation.send_due_reminders()
            self.stdout.write(f"Queued {count} meeting reminder(s).")
            if not loop:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
