import pytest

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keyboard_user_skips_to_content_and_signs_in(page):
    user = UserFactory(language="fr")
    page.goto("/accounts/login/")

    # The first Tab stop is the skip link, visible when focused.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Fill the form by its labels only, as a screen reader user would.
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/")
    # The preferred language applies at once after sign-in.
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("button", name="Se déconnecter").is_visible()


def test_language_switcher_works_from_the_keyboard(page):
    page.goto("/")
    page.get_by_role("button", name="Nederlands").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("link", name="Naar de hoofdinhoud").count() == 1


def test_no_console_errors_and_no_external_requests(page, live_server):
    errors, foreign = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("request", lambda request: request.url.startswith(live_server.url) or foreign.append(request.url))
    page.goto("/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert errors == []  # includes Content-Security-Policy violations
    assert foreign == []  # nothing from a CDN
