"""The minutes pages in Chromium, in each of the four languages: axe-core finds no WCAG 2.1 A/AA
violation and nothing scrolls sideways at 320 px; a keyboard reaches the comment form."""

import pytest

from meetings.access import may_comment_minutes
from meetings.models import Attendance, Meeting, Minutes, MinutesVersion
from members.models import User
from tests.browser.pages import sign_in
from tests.browser.test_accessibility import AXE, RUN_AXE
from tests.browser.test_reflow import MEASURE, WIDTH

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (npm ci --prefix tests/browser/axe)"),
]

CHAIR = "chair@example.org"


def _minutes_paths(demo: Meeting) -> list[str]:
    """The held plenary's minutes, versions and one difference, the register, search, the pack,
    and the working group's minutes item the chair edits."""
    published = Minutes.objects.select_related("meeting").get(status=Minutes.Status.PUBLISHED)
    held = published.meeting
    numbers = list(
        MinutesVersion.objects.filter(minutes=published).order_by("number").values_list("number", flat=True)
    )
    out_for_comments = Minutes.objects.get(status=Minutes.Status.FOR_COMMENTS)
    item = out_for_comments.items.order_by("position", "pk").first()
    return [
        f"/meetings/{held.pk}/minutes/",
        f"/meetings/{held.pk}/minutes/versions/",
        f"/meetings/{held.pk}/minutes/versions/{numbers[0]}/{numbers[-1]}/",
        "/decisions/",
        "/search/?q=plan",
        f"/meetings/{demo.pk}/pack/",
        f"/meetings/{out_for_comments.meeting_id}/minutes/items/{item.pk}/edit/",
    ]


def _speaks(email: str, language: str) -> None:
    User.objects.filter(email=email).update(language=language)


@pytest.fixture
def axe_page(browser, live_server):
    # axe is injected as a script: this context alone lets it past the Content Security Policy.
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_minutes_pages_pass_axe_and_reflow_in_each_language(axe_page, demo, language):
    _speaks(CHAIR, language)
    sign_in(axe_page, CHAIR)
    paths = _minutes_paths(demo)
    problems = {}
    for path in paths:
        response = axe_page.goto(path)
        assert response.status == 200, path
        assert axe_page.evaluate("document.documentElement.lang").startswith(language), path
        axe_page.add_script_tag(path=str(AXE))
        if found := axe_page.evaluate(RUN_AXE):
            problems[path] = found
    assert problems == {}

    axe_page.set_viewport_size({"width": WIDTH, "height": 640})
    wide = {}
    for path in paths:
        axe_page.goto(path)
        result = axe_page.evaluate(MEASURE, WIDTH)
        if result["width"] > WIDTH or result["offenders"]:
            wide[path] = result
    assert wide == {}


def _commenter() -> User:
    """A member present at the working-group meeting whose minutes are out for comments, who may comment."""
    minutes = Minutes.objects.select_related("meeting").get(status=Minutes.Status.FOR_COMMENTS)
    present = Attendance.objects.filter(
        invitation__meeting=minutes.meeting, status=Attendance.Status.PRESENT, invitation__member__isnull=False
    ).select_related("invitation__member__user")
    for row in present.order_by("pk"):
        if may_comment_minutes(row.invitation.member, minutes):
            return row.invitation.member.user
    raise AssertionError("the demo has nobody who may comment on the working group's minutes")


def test_tab_reaches_the_comment_form_from_the_minutes_page(page, demo):
    user = _commenter()
    minutes = Minutes.objects.get(status=Minutes.Status.FOR_COMMENTS)
    sign_in(page, user.email)
    page.goto(f"/meetings/{minutes.meeting_id}/minutes/")
    textarea = page.locator("form.comment-form textarea").first
    button = page.locator("form.comment-form button[type=submit]").first
    reached = {"textarea": False, "button": False}
    for _step in range(200):
        page.keyboard.press("Tab")
        if not reached["textarea"] and textarea.evaluate("el => el === document.activeElement"):
            reached["textarea"] = True
            page.keyboard.type("Please add the figures of our region.")
        elif reached["textarea"] and button.evaluate("el => el === document.activeElement"):
            reached["button"] = True
            break
    assert reached == {"textarea": True, "button": True}
    assert "figures" in textarea.input_value()
