from django.core.management.base import BaseCommand

from members.demo import DEMO_PASSWORD, load_demo_accounts


class Command(BaseCommand):
    help = "Load the demo platform (safe to run again: nothing is duplicated) and list its accounts."

    def handle(self, *args, **options) -> None:
        accounts = load_demo_accounts()
        self.stdout.write(self.style.SUCCESS("Demo platform ready. Sign in with:"))
        for account in accounts:
            self.stdout.write(f"  {account.role:<12} {account.email:<32} password: {DEMO_PASSWORD}")
