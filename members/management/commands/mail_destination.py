from django.conf import settings
from django.core.management.base import BaseCommand

from core.mail import describe_mailer


class Command(BaseCommand):
    help = "Say where emails go with the configured email provider (EMAIL_PROVIDER)."
    # Printed when `make run` starts: it reads settings only, before the database exists.
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        self.stdout.write(describe_mailer(settings.MAILERS["default"]))
