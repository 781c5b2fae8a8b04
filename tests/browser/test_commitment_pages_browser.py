"""The tracker, the dashboards, the plan import and the public plan page in Chromium, in each of
the four languages: axe-core finds no WCAG 2.1 A or AA violation, and the page is in the language
asked for."""

from pathlib import Path

import pytest

from coordination.demo import CSR_SLUG
from members.models import Administration, User
from tests.browser.pages import sign_in

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (npm ci --prefix tests/browser/axe)"),
]
LANGUAGES = ["nl", "fr", "de", "en"]
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture
def axe_page(browser, live_server):
    # axe is injected as a script: this context alone lets it past the Content Security Policy.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _check(page, path: str, language: str) -> list:
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == language, path
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def test_commitment_pages_have_no_accessibility_violations_in_four_languages(axe_page, live_server, demo):
    spw = Administration.objects.get(acronym="SPW").pk
    member_pages = [
        "/commitments/tracker/?status=in_progress",
        f"/commitments/plans/{CSR_SLUG}/dashboard/",
        f"/commitments/administrations/{spw}/dashboard/",
        f"/commitments/plans/{CSR_SLUG}/import/",
    ]
    found = {}
    for language in LANGUAGES:
        axe_page.context.clear_cookies()
        axe_page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        path = f"/plans/{CSR_SLUG}/"
        if violations := _check(axe_page, path, language):
            found[f"{path} ({language})"] = violations
        User.objects.filter(email="chair@example.org").update(language=language)
        sign_in(axe_page, "chair@example.org")
        for path in member_pages:
            if violations := _check(axe_page, path, language):
                found[f"{path} ({language})"] = violations
    assert found == {}
