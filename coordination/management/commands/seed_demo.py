from django.core.management.base import BaseCommand

from meetings.demo import load_demo_meetings
from members.demo import DEMO_PASSWORD, load_demo_platform
from members.models import Administration, Member


class Command(BaseCommand):
    help = "Load the demo platform (safe to run again: nothing is duplicated) and list its accounts."

    def handle(self, *args, **options) -> None:
        accounts = load_demo_platform()
        meetings = load_demo_meetings()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo platform ready: {Administration.objects.count()} administrations, "
                f"{Member.objects.count()} members, {meetings} meetings. Sign in with:"
            )
        )
        for account in accounts:
            self.stdout.write(f"  {account.role:<12} {account.email:<32} password: {DEMO_PASSWORD}")
