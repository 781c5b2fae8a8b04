"""axe-core (WCAG 2.1 A and AA rules) on the main pages, in Chromium, in two languages."""

from pathlib import Path

import pytest

from meetings.demo import load_demo_meetings
from meetings.models import Meeting
from members.demo import DEMO_PASSWORD, load_demo_platform

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


@pytest.fixture
def demo(db):
    load_demo_platform()
    load_demo_meetings()
    return Meeting.objects.filter(kind=Meeting.Kind.PLENARY).upcoming().get()


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def test_public_pages_have_no_accessibility_violations(page, demo):
    for path in [
        "/",
        "/accounts/login/",
        "/accounts/login/code/",
        "/accounts/password/reset/",
        "/groups/mvo-platform/",
    ]:
        assert violations(page, path) == [], path


@pytest.mark.parametrize("email", ["chair@example.org", "member.wallonia@example.org"])
def test_member_pages_have_no_accessibility_violations(page, demo, email):
    held = Meeting.objects.get(status=Meeting.Status.HELD)
    sign_in(page, email)
    paths = [
        "/",
        "/members/groups/",
        "/members/groups/mvo-platform/",
        "/members/directory/",
        "/members/administrations/",
        "/members/profile/",
        "/members/outbox/",
        "/meetings/",
        f"/meetings/{demo.pk}/",
        "/meetings/past/",
        "/meetings/my/",
        f"/meetings/{demo.pk}/answer/",
    ]
    if email.startswith("chair"):
        paths += [
            f"/meetings/{demo.pk}/edit/",
            f"/meetings/{demo.pk}/agenda/",
            f"/meetings/{demo.pk}/invitees/",
            f"/meetings/{demo.pk}/circulate/",
            "/members/groups/mvo-platform/public-page/",
            "/members/groups/mvo-platform/invite/",
            "/members/groups/mvo-platform/import/",
            "/members/groups/mvo-platform/invitations/",
            "/members/groups/mvo-platform/history/",
            f"/meetings/{demo.pk}/answers/",
            f"/meetings/{demo.pk}/attendance/print/",
            f"/meetings/{held.pk}/attendance/",
            f"/meetings/new/{demo.group.slug}/",
            f"/meetings/series/new/{demo.group.slug}/",
            f"/meetings/{demo.pk}/documents/upload/",
            f"/meetings/{demo.pk}/cancel/",
            "/meetings/statistics/",
        ]
    found = {path: v for path in paths if (v := violations(page, path))}
    assert found == {}


def test_one_click_answer_page_has_no_accessibility_violations(page, demo):
    from meetings.rsvp import answer_token

    invitation = demo.invitations.filter(member__user__email="member.wallonia@example.org").get()
    assert violations(page, f"/meetings/answer/{answer_token(invitation)}/?a=accepted") == []
    assert violations(page, f"/meetings/answer/{answer_token(invitation)}/?a=delegated") == []
