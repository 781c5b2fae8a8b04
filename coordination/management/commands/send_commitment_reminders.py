"""Queue the commitment reminders that are due. Run it from cron every hour, or with --loop."""

from coordination.reminders import send_commitment_reminders
from core.periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = (
        "Queue due commitment reminders (reporting round deadlines; due dates approaching and passed)."
        " Each is sent once, however often this runs."
    )
    default_interval = 3600

    def run_once(self, *, looping: bool, **options) -> None:
        rounds, due = send_commitment_reminders()
        self.stdout.write(f"Queued {rounds} reporting round reminder(s) and {due} due-date reminder(s).")
