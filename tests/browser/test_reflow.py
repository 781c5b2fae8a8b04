"""WCAG 2.1 1.4.10 Reflow: at 320 CSS pixels wide no page scrolls sideways as a whole.

Only a data table may scroll, inside its own labelled, focusable container (`.table-scroll`).
"""

import pytest

from tests.browser.pages import MEMBER_EMAILS, PUBLIC_PATHS, member_paths, one_click_answer_paths, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 320

# The page's full width, and the visible elements (outside a table's scroll container) that end
# past the right edge of the viewport, widest first.
MEASURE = """(limit) => {
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    const parent = el.parentElement;
    return parent && parent !== document.body ? describe(parent).split(' > ').slice(-1) + ' > ' + name : name;
  };
  const outside = [], inside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= limit + 0.5) continue;
    (el.parentElement.closest('.table-scroll') ? inside : outside).push([Math.round(box.right), describe(el)]);
  }
  const width = document.documentElement.scrollWidth;
  // Something inside a scroll container that still widens the page has escaped it (e.g. positioned).
  const offenders = outside.length || width <= limit ? outside : inside;
  offenders.sort((a, b) => b[0] - a[0]);
  return {width: width, offenders: offenders.slice(0, 5)};
}"""


@pytest.fixture
def narrow_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": WIDTH, "height": 640}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def overflow(page, paths: list[str]) -> str:
    """One line per path that scrolls sideways or has content past the right edge, with the widest offenders."""
    found = []
    for path in paths:
        page.goto(path)
        result = page.evaluate(MEASURE, WIDTH)
        if result["width"] > WIDTH or result["offenders"]:
            widest = "; ".join(f"{name} ends at {right}px" for right, name in result["offenders"])
            found.append(f"{path}: {result['width']}px wide; {widest}")
    return "\n".join(found)


def test_public_pages_reflow_at_320_pixels(narrow_page, demo):
    found = overflow(narrow_page, PUBLIC_PATHS + one_click_answer_paths(demo))
    assert not found, "Pages wider than 320px:\n" + found


@pytest.mark.parametrize("email", MEMBER_EMAILS)
def test_member_pages_reflow_at_320_pixels(narrow_page, demo, email):
    sign_in(narrow_page, email)
    found = overflow(narrow_page, member_paths(email, demo))
    assert not found, "Pages wider than 320px:\n" + found


# Where the keyboard focus is, whether it is drawn, and whether the whole page had to scroll sideways to show it.
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {name: el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + el.textContent.trim().slice(0, 30),
          drawn: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          left: box.left, right: box.right, pageScrolledSideways: window.scrollX !== 0};
}"""


def test_keyboard_user_reaches_everything_on_a_phone_without_the_page_scrolling_sideways(narrow_page, demo):
    sign_in(narrow_page, "chair@example.org")
    narrow_page.goto("/members/groups/mvo-platform/")
    seen = 0
    while seen < 80:
        narrow_page.keyboard.press("Tab")
        focus = narrow_page.evaluate(FOCUS)
        if focus["name"].startswith("body"):
            break
        seen += 1
        assert focus["drawn"], f"no visible focus on {focus['name']}"
        assert not focus["pageScrolledSideways"], f"the page scrolled sideways to show {focus['name']}"
        assert focus["right"] > 0 and focus["left"] < WIDTH, f"{focus['name']} is off the screen"
    assert seen > 10

    # The table of members scrolls inside its own labelled region, with the arrow keys.
    region = narrow_page.locator(".table-scroll[role=region][tabindex='0']").first
    region.focus()
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    narrow_page.keyboard.press("ArrowRight")
    narrow_page.keyboard.press("ArrowRight")
    assert region.evaluate("el => el.scrollLeft") > 0
    assert narrow_page.evaluate("window.scrollX") == 0
