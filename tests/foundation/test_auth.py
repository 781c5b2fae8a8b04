import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import hotp_value
from django.urls import reverse

from members.models import User

pytestmark = pytest.mark.django_db


def test_member_signs_in_with_email_and_password(client, user, password):
    response = client.post(reverse("account_login"), {"login": user.email.upper(), "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.context["user"] == user
    assert f"Welcome, {user.name}." in home.text


def test_wrong_password_is_refused_with_a_message(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "not-it"})
    assert response.status_code == 200
    assert "not correct" in response.text
    assert "_auth_user_id" not in client.session


def test_member_signs_in_with_a_code_sent_by_email(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_request_login_code"), {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [user.email]
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE).group(1)

    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_login_code_does_not_sign_in(client, user, mailoutbox):
    client.post(reverse("account_request_login_code"), {"email": user.email})
    response = client.post(reverse("account_confirm_login_code"), {"code": "WRONG1"})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_login_code_email_is_written_in_the_recipients_language(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    member = UserFactory(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": member.email}, HTTP_ACCEPT_LANGUAGE="de")
    assert len(mailoutbox) == 1
    assert "code" in mailoutbox[0].body.lower()
    assert "connexion" in mailoutbox[0].subject.lower()


def test_sign_in_page_says_access_is_by_invitation_and_whom_to_ask(client, settings):
    settings.CONTACT_EMAIL = "secretariat@csr.example.be"
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert reverse("account_signup") not in page.text
    assert "sign up" not in page.text.lower()
    assert "by invitation only" in page.text
    assert 'href="mailto:secretariat@csr.example.be"' in page.text
    assert 'name="password"' in page.text  # the sign-in form itself is still there


def test_sign_up_is_closed_to_the_public(client, settings):
    settings.CONTACT_EMAIL = "secretariat@csr.example.be"
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert "by invitation only" in page.text
    assert "secretariat@csr.example.be" in page.text
    client.post(
        reverse("account_signup"),
        {"email": "stranger@example.org", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
    )
    assert not User.objects.filter(email="stranger@example.org").exists()


def test_member_enrols_in_totp_and_then_needs_it_to_sign_in(client, user, password):
    client.force_login(user)
    # Enrolling asks for the password again first.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": password})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    # Activating TOTP also generates recovery codes.
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()

    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": _totp(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_recovery_code_signs_in_once(client, user, password):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    codes = RecoveryCodes.activate(user).get_unused_codes()

    client.post(reverse("account_login"), {"login": user.email, "password": password})
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.session["_auth_user_id"] == str(user.pk)

    client.logout()
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_to_a_known_address(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def _counter() -> int:
    import time

    from allauth.mfa import app_settings

    return int(time.time()) // app_settings.TOTP_PERIOD


def _totp(secret: str) -> str:
    # Codes are six digits, leading zeros included.
    return f"{hotp_value(secret, _counter()):06d}"
