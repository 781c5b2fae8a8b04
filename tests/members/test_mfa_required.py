"""MFA_REQUIRED_FOR_MANAGERS: chairs, vice-chairs and secretariats enrol a second factor first."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from members.models import Membership
from tests.factories import GroupFactory, make_member
from tests.members.test_invitations import in_language
from tests.oidc_provider.harness import sign_in_with_provider, start_provider, stop_provider

pytestmark = pytest.mark.django_db
Role = Membership.Role
ENROL = reverse("mfa_activate_totp")
PASSWORD = "provider-password-1"


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True


def enrol_message(language: str) -> str:
    return in_language(
        language,
        "As chair or secretariat of a group, you protect your account with a second "
        "step when signing in. Set up an authenticator app now to continue.",
    )


@pytest.mark.parametrize("role", [Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARIAT])
def test_a_manager_without_a_second_factor_is_sent_to_enrol(client, required, role):
    manager = make_member(GroupFactory(), role, language="fr")
    client.force_login(manager.user)

    for name in ("home", "members:profile", "meetings:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"] == ENROL, name
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200


def test_the_enrolment_page_tells_why(client, required):
    chair = make_member(GroupFactory(), Role.CHAIR, language="nl")
    client.post(reverse("account_login"), {"login": chair.user.email, "password": "correct-horse-battery-staple"})

    response = client.get(reverse("home"), follow=True)

    # allauth asks for the password again before an authenticator is added.
    assert response.redirect_chain[0][0] == ENROL
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert response.status_code == 200
    assert enrol_message("nl") in response.content.decode()


def test_members_and_former_chairs_pass(client, required):
    group = GroupFactory()
    member = make_member(group, Role.MEMBER)
    client.force_login(member.user)
    assert client.get(reverse("home")).status_code == 200

    former = make_member(group, Role.MEMBER)
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    Membership.objects.create(
        member=former, group=GroupFactory(), role=Role.CHAIR, start=today - datetime.timedelta(days=30), end=today
    )
    client.force_login(former.user)
    assert client.get(reverse("home")).status_code == 200


def test_a_chair_with_an_authenticator_passes(client, required):
    chair = make_member(GroupFactory(), Role.CHAIR)
    Authenticator.objects.create(user=chair.user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(chair.user)
    assert client.get(reverse("home")).status_code == 200


def test_without_the_setting_a_chair_passes(client, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = False
    chair = make_member(GroupFactory(), Role.CHAIR)
    client.force_login(chair.user)
    assert client.get(reverse("home")).status_code == 200


# --- Signing in through a real OpenID Connect provider -------------------------------------------


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    users = [
        {"username": "carla", "email": "carla.chair@example.org", "name": "Carla Chair"},
        {"username": "mo", "email": "mo.member@example.org", "name": "Mo Member"},
    ]
    running = start_provider(tmp_path_factory.mktemp("oidc-mfa"), [{"password": PASSWORD, **u} for u in users])
    yield running
    stop_provider(running)


def configure(settings, provider, **extra_env) -> None:
    from coordination.settings import oidc_apps

    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": oidc_apps(provider.env(**extra_env))}}
    settings.MFA_REQUIRED_FOR_MANAGERS = True


def test_a_chair_signing_in_with_the_provider_is_sent_to_enrol_and_a_member_passes(client, settings, provider):
    configure(settings, provider)
    group = GroupFactory()
    make_member(group, Role.CHAIR, email="carla.chair@example.org")
    make_member(group, Role.MEMBER, email="mo.member@example.org")

    sign_in_with_provider(client, "carla", PASSWORD)
    response = client.get(reverse("home"))
    assert response["Location"] == ENROL
    # The way to enrolment (allauth asks for the password first) stays open.
    assert client.get(ENROL, follow=True).status_code == 200

    client.logout()
    sign_in_with_provider(client, "mo", PASSWORD)
    assert client.get(reverse("home")).status_code == 200


def test_a_provider_trusted_for_mfa_counts_as_the_second_factor(client, settings, provider):
    configure(settings, provider, OIDC_TEST_IDP_MFA="1")
    chair = make_member(GroupFactory(), Role.CHAIR, email="carla.chair@example.org")

    sign_in_with_provider(client, "carla", PASSWORD)
    assert client.get(reverse("home")).status_code == 200

    # A password sign-in is not the provider's: the chair enrols.
    client.logout()
    client.post(reverse("account_login"), {"login": chair.user.email, "password": "correct-horse-battery-staple"})
    assert client.get(reverse("home"))["Location"] == ENROL
