import pytest
from django.urls import reverse

from members.models import User

pytestmark = pytest.mark.django_db

SIGN_IN = {"nl": "Aanmelden", "fr": "Connexion", "de": "Anmeldung", "en": "Sign In"}


@pytest.mark.parametrize(("language", "heading"), SIGN_IN.items())
def test_login_page_follows_accept_language(client, language, heading):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.text
    assert heading in response.text
    assert response["Content-Language"] == language


@pytest.mark.parametrize(("language", "heading"), SIGN_IN.items())
def test_language_switcher_changes_the_page_language(client, language, heading):
    response = client.post(
        reverse("set-language"), {"language": language, "next": reverse("account_login")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert f'<html lang="{language}">' in response.text
    assert heading in response.text


def test_switcher_refuses_an_unknown_language(client):
    client.post(reverse("set-language"), {"language": "xx", "next": "/"})
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in response.text


def test_preferred_language_is_applied_after_login(client, password):
    from tests.factories import UserFactory

    member = UserFactory(language="de")
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": password},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    assert '<html lang="de">' in response.text
    # The next page too, whatever the browser asks for.
    assert '<html lang="de">' in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="nl").text


def test_switching_language_while_signed_in_saves_the_preference(client, user):
    client.force_login(user)
    client.post(reverse("set-language"), {"language": "nl", "next": "/"})
    user.refresh_from_db()
    assert user.language == "nl"
    assert '<html lang="nl">' in client.get(reverse("home")).text


def test_every_page_has_the_switcher_skip_link_and_landmarks(client):
    text = client.get(reverse("home")).text
    assert 'class="skip-link" href="#main"' in text
    assert '<main id="main"' in text
    assert "<nav" in text and "aria-label=" in text
    for code in ("nl", "fr", "de", "en"):
        assert f'name="language" value="{code}"' in text


def test_created_users_store_a_lowercase_email():
    user = User.objects.create_user("Mixed.Case@Example.org", "x", name="M")
    assert user.email == "mixed.case@example.org"
