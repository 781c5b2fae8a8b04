"""The outbox's periodic safety net, for cron or the worker host: `manage.py send_queued_mail`."""

from core.periodic import PeriodicCommand
from members.tasks import flush_outbox


class Command(PeriodicCommand):
    help = (
        "Deliver the queued emails that are due, after putting back those a crashed worker left "
        "half-sent. Run it every minute (cron), or once with --loop."
    )
    default_interval = 60

    def run_once(self, *, looping: bool, verbosity: int = 1, **options) -> None:
        tried = flush_outbox.call()
        if verbosity >= 1 and (tried or not looping):
            self.stdout.write(f"Outbox: {tried} message(s) tried.")
