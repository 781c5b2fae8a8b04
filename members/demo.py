"""The demo platform that `make run` loads: realistic people, safe to load twice."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from members.models import User

DEMO_PASSWORD = "concerto-demo-2026"  # noqa: S105 - printed by `make run`, listed in README.md


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    language: str
    role: str
    is_staff: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("chair@example.org", "An Peeters", "nl", "chair", is_staff=True),
    DemoAccount("secretariat@example.org", "Sophie Lambert", "fr", "secretariat", is_staff=True),
    DemoAccount("member.flanders@example.org", "Pieter Janssens", "nl", "member"),
    DemoAccount("member.wallonia@example.org", "Claire Dubois", "fr", "member"),
]


@transaction.atomic
def load_demo_accounts() -> list[DemoAccount]:
    """Create the demo sign-ins (verified addresses) if missing. Returns the accounts."""
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email__iexact=account.email).first()
        if user is None:
            user = User.objects.create_user(
                account.email,
                DEMO_PASSWORD,
                name=account.name,
                language=account.language,
                is_staff=account.is_staff,
                is_superuser=account.is_staff,
            )
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
    return DEMO_ACCOUNTS
