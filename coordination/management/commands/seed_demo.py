from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coordination.demo import load_demo_commitments
from meetings.demo import load_demo_meetings, load_demo_minutes
from meetings.models import Meeting
from members.demo import DEMO_PASSWORD, load_demo_platform
from members.models import Administration, Member


class Command(BaseCommand):
    help = "Load the demo platform (safe to run again: nothing is duplicated) and list its accounts."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load it although DEBUG is off. The demo accounts have a published password.",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "The demo platform creates accounts (one of them staff) whose password is published in README.md: "
                "it is for local use (DEBUG=1). Use --force to load it anyway."
            )
        accounts = load_demo_platform()
        load_demo_meetings()
        minutes = load_demo_minutes()
        meetings = Meeting.objects.count()
        commitments = load_demo_commitments()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo platform ready: {Administration.objects.count()} administrations, "
                f"{Member.objects.count()} members, {meetings} meetings, {minutes} minutes, "
                f"{commitments} commitments in two action plans. Sign in with:"
            )
        )
        for account in accounts:
            self.stdout.write(f"  {account.label:<14} {account.email:<32} password: {DEMO_PASSWORD}")
