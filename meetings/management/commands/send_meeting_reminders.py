"""Queue the meeting reminders that are due. Run it from cron every 15 minutes, or with --loop."""

from core.periodic import PeriodicCommand
from meetings import circulation


class Command(PeriodicCommand):
    help = "Queue due meeting reminders (unanswered invitations, and the day before for those who accepted)."
    default_interval = 900

    def run_once(self, *, looping: bool, **options) -> None:
        count = circulation.send_due_reminders()
        self.stdout.write(f"Queued {count} meeting reminder(s).")
