"""axe-core (WCAG 2.1 A and AA rules) on the main pages, in Chromium, in two languages."""

from pathlib import Path

import pytest

from tests.browser.pages import MEMBER_EMAILS, PUBLIC_PATHS, member_paths, one_click_answer_paths, sign_in

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (npm ci --prefix tests/browser/axe)"),
]

RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def violations(page, path: str) -> list[dict]:
    page.goto(path)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.fixture
def page(browser, live_server):
    # axe is injected as a script: this context alone lets it past the Content Security Policy.
    context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_public_pages_have_no_accessibility_violations(page, demo):
    for path in PUBLIC_PATHS:
        assert violations(page, path) == [], path


@pytest.mark.parametrize("email", MEMBER_EMAILS)
def test_member_pages_have_no_accessibility_violations(page, demo, email):
    sign_in(page, email)
    found = {path: v for path in member_paths(email, demo) if (v := violations(page, path))}
    assert found == {}


def test_one_click_answer_page_has_no_accessibility_violations(page, demo):
    for path in one_click_answer_paths(demo):
        assert violations(page, path) == [], path
