"""Signing in with the organisation's account (OpenID Connect), against a real provider.

The provider is django-oauth-toolkit run as its own process on 127.0.0.1 (tests/oidc_provider):
discovery, the sign-in form and authorization, the token and userinfo endpoints are real HTTP.
Accounts stay by invitation only.
"""

import html

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.urls import reverse

from coordination.settings import oidc_apps, oidc_required_domains
from members.models import Membership, User
from tests.factories import GroupFactory, make_member
from tests.members.test_invitations import in_language, invite
from tests.oidc_provider.harness import PROVIDER_ID, sign_in_with_provider, start_provider, stop_provider

pytestmark = pytest.mark.django_db

PASSWORD = "provider-password-1"
USERS = [
    {"username": "ines", "email": "ines.invited@example.org", "name": "Ines Invited"},
    {"username": "stranger", "email": "stranger@example.org", "name": "Sam Stranger"},
    {"username": "marc", "email": "marc.member@example.org", "name": "Marc Member"},
    # Claims the member's address, which the provider did not verify.
    {"username": "impostor", "email": "marc.member@example.org", "name": "Marc", "email_verified": False},
    {"username": "lea.work", "email": "lea@ministry.example", "name": "Lea Work"},
    {"username": "fien", "email": "fien@fgov.be", "name": "Fien Federal"},
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    running = start_provider(
        tmp_path_factory.mktemp("oidc"), [{"password": PASSWORD, **user} for user in USERS]
    )
    yield running
    stop_provider(running)


def configure(settings, provider, **extra_env) -> None:
    """The settings an operator's environment variables give (coordination.settings reads them)."""
    env = provider.env(**extra_env)
    apps = oidc_apps(env)
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": apps}}
    settings.OIDC_REQUIRED_DOMAINS = oidc_required_domains(env, [app["provider_id"] for app in apps])


@pytest.fixture
def oidc(settings, provider):
    configure(settings, provider)
    return provider


def signed_in_email(client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


def test_the_sign_in_page_has_no_provider_button_when_none_is_configured(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert "/accounts/oidc/" not in response.content.decode()


def test_the_sign_in_page_offers_the_configured_provider(client, oidc):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert f'action="/accounts/oidc/{PROVIDER_ID}/login/?process=login"' in page
    assert "Sign in with Test IdP" in page


def test_an_invited_person_joins_with_the_provider_and_signs_in_with_it_again(client, oidc):
    group = GroupFactory()
    chair = make_member(group, Membership.Role.CHAIR)
    _invitation, link = invite(chair, group, email="ines.invited@example.org", language="fr")
    signup = client.post(link, follow=True)  # "accept": the sign-up page opens for the invitation
    assert f'action="/accounts/oidc/{PROVIDER_ID}/login/?process=login"' in signup.content.decode()

    response = sign_in_with_provider(client, "ines", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("members:group-detail", args=[group.slug])
    user = User.objects.get(email="ines.invited@example.org")
    assert signed_in_email(client) == user.email
    assert Membership.objects.current().filter(group=group, member__user=user).exists()
    assert user.language == "fr" and user.name == "Ines Invited"
    assert not user.has_usable_password()
    assert SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).exists()

    client.logout()
    response = sign_in_with_provider(client, "ines", PASSWORD)
    assert response.status_code == 302
    assert signed_in_email(client) == user.email


def test_a_stranger_with_a_provider_account_gets_no_account(client, oidc):
    response = sign_in_with_provider(client, "stranger", PASSWORD)

    assert response.status_code == 200
    assert in_language("en", "Access by invitation") in response.content.decode()
    assert not User.objects.filter(email__iexact="stranger@example.org").exists()
    assert not SocialAccount.objects.exists()
    assert signed_in_email(client) is None


def test_a_member_whose_verified_address_matches_is_signed_in_and_linked(client, oidc):
    member = make_member(GroupFactory(), email="marc.member@example.org")

    response = sign_in_with_provider(client, "marc", PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(client) == "marc.member@example.org"
    assert SocialAccount.objects.filter(user=member.user, provider=PROVIDER_ID).exists()


def test_a_deactivated_member_is_not_signed_in(client, oidc):
    member = make_member(GroupFactory(), email="marc.member@example.org")
    User.objects.filter(pk=member.user_id).update(is_active=False)

    sign_in_with_provider(client, "marc", PASSWORD)

    assert signed_in_email(client) is None


def test_an_address_the_provider_did_not_verify_signs_nobody_in(client, oidc):
    member = make_member(GroupFactory(), email="marc.member@example.org")

    sign_in_with_provider(client, "impostor", PASSWORD)

    assert signed_in_email(client) is None
    assert not SocialAccount.objects.filter(user=member.user).exists()
    assert User.objects.filter(email__iexact="marc.member@example.org").count() == 1


def test_a_provider_vouches_for_the_domains_it_is_configured_for(client, settings, provider):
    # Microsoft Entra ID sends no email_verified claim: OIDC_<ID>_VERIFIED_DOMAINS says whose it vouches for.
    configure(settings, provider, OIDC_TEST_IDP_VERIFIED_DOMAINS="example.org")
    make_member(GroupFactory(), email="marc.member@example.org")

    sign_in_with_provider(client, "impostor", PASSWORD)

    assert signed_in_email(client) == "marc.member@example.org"


def test_a_member_links_the_organisation_account_from_the_profile(client, oidc):
    member = make_member(GroupFactory(), email="lea@example.org", language="de")
    client.force_login(member.user)
    page = client.get(reverse("socialaccount_connections")).content.decode()
    assert in_language("de", "Link an organisation account") in page

    response = sign_in_with_provider(client, "lea.work", PASSWORD, process="connect")

    assert response.status_code == 302
    assert SocialAccount.objects.filter(user=member.user, provider=PROVIDER_ID).exists()
    client.logout()
    sign_in_with_provider(client, "lea.work", PASSWORD)
    assert signed_in_email(client) == "lea@example.org"


@pytest.mark.parametrize("linked", [1, 3])
def test_the_connections_page_keeps_its_query_count(client, oidc, django_assert_max_num_queries, linked):
    """The page listing a member's linked organisation accounts costs the same with one or three."""
    member = make_member(GroupFactory(), language="fr")
    for n in range(linked):
        SocialAccount.objects.create(user=member.user, provider=PROVIDER_ID, uid=f"uid-{n}")
    client.force_login(member.user)
    with django_assert_max_num_queries(5):  # session, user, member, accounts, apps
        page = client.get(reverse("socialaccount_connections"))
    assert page.status_code == 200
    assert page.content.decode().count('name="account"') == linked


@pytest.fixture
def required_domain(settings, provider):
    configure(settings, provider, OIDC_REQUIRED_DOMAINS="fgov.be")
    return make_member(GroupFactory(), email="fien@fgov.be", language="nl")


def required_text(language: str) -> str:
    return in_language(
        language,
        "Addresses of your organisation sign in with the organisation's own account: "
        "use the button \u201cSign in with %(provider)s\u201d.",
    ) % {"provider": "Test IdP"}


def test_a_required_domain_cannot_sign_in_with_a_password(client, required_domain):
    response = client.post(
        reverse("account_login"),
        {"login": "fien@fgov.be", "password": "correct-horse-battery-staple"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )

    assert response.status_code == 200
    assert signed_in_email(client) is None
    page = html.unescape(response.content.decode())
    assert required_text("nl") in page
    assert f'action="/accounts/oidc/{PROVIDER_ID}/login/?process=login"' in page


def test_a_required_domain_gets_no_sign_in_code(client, required_domain, mailoutbox):
    response = client.post(reverse("account_request_login_code"), {"email": "FIEN@fgov.be"}, HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 200
    assert required_text("nl") in html.unescape(response.content.decode())
    assert not mail.outbox


def test_other_domains_still_sign_in_with_a_password(client, required_domain):
    make_member(GroupFactory(), email="someone@example.org")
    client.post(reverse("account_login"), {"login": "someone@example.org", "password": "correct-horse-battery-staple"})
    assert signed_in_email(client) == "someone@example.org"


def test_an_invitation_to_a_required_domain_sets_no_password(client, required_domain):
    group = GroupFactory()
    chair = make_member(group, Membership.Role.CHAIR)
    _invitation, link = invite(chair, group, email="jan@fgov.be", language="nl")
    client.post(link)

    response = client.post(
        reverse("account_signup"),
        {"name": "Jan", "language": "nl", "password1": "a-long-new-password", "password2": "a-long-new-password"},
    )

    assert response.status_code == 200
    assert required_text("nl") in html.unescape(response.content.decode())
    assert not User.objects.filter(email="jan@fgov.be").exists()


def test_a_required_domain_signs_in_with_the_provider(client, required_domain):
    response = sign_in_with_provider(client, "fien", PASSWORD)
    assert response.status_code == 302
    assert signed_in_email(client) == "fien@fgov.be"


# --- SAML -------------------------------------------------------------------------------------


def _self_signed_certificate() -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.be")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)


def test_a_saml_provider_from_the_environment_has_its_button_and_metadata(client, settings):
    from coordination.settings import saml_apps

    apps = saml_apps(
        {
            "SAML_PROVIDERS": "csam",
            "SAML_CSAM_NAME": "CSAM",
            "SAML_CSAM_ENTITY_ID": "https://idp.example.be/saml",
            "SAML_CSAM_SSO_URL": "https://idp.example.be/saml/sso",
            "SAML_CSAM_X509CERT": _self_signed_certificate(),
        }
    )
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": apps}}

    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/accounts/saml/csam/login/?process=login"' in page
    assert "Sign in with CSAM" in page

    # python3-saml takes no single-label host but localhost for the service provider's addresses.
    metadata = client.get("/accounts/saml/csam/metadata/", HTTP_HOST="localhost")
    assert metadata.status_code == 200
    assert "http://localhost/accounts/saml/csam/acs/" in metadata.content.decode()

    start = client.post("/accounts/saml/csam/login/", {"process": "login"}, HTTP_HOST="localhost")
    assert start.status_code == 302
    assert start["Location"].startswith("https://idp.example.be/saml/sso?SAMLRequest=")
