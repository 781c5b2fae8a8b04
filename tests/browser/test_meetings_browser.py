import re

import pytest

from members.models import Membership
from tests.factories import GroupFactory, make_member
from tests.meetings.factories import make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, member) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    with page.expect_navigation():
        page.get_by_label("Password").press("Enter")


def add_item(page, title: str, minutes: str) -> None:
    page.get_by_label("Title (English)").focus()
    page.keyboard.type(title)
    page.get_by_label("Planned duration (minutes)").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(minutes)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_chair_builds_an_agenda_with_the_keyboard_only(page):
    group = GroupFactory()
    chair = make_member(group, Membership.Role.CHAIR, language="en")
    meeting = make_meeting(group, chair)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, chair)
    page.goto(f"/meetings/{meeting.pk}/agenda/")

    add_item(page, "Welcome", "10")
    add_item(page, "Action plan", "45")
    items = page.locator(".agenda-builder .item-title")
    assert items.all_inner_texts() == ["Welcome", "Action plan"]

    # Move the second item up with its button, from the keyboard.
    page.get_by_role("button", name=re.compile(r"^Move up\W+Action plan$")).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert items.all_inner_texts() == ["Action plan", "Welcome"]
    assert page.locator(".agenda-builder .item-number").all_inner_texts() == ["1.", "2."]
    # The running clock follows the new order: the first item starts with the meeting.
    moved = meeting.agenda_items.get(title_en="Action plan")
    assert moved.position == 1
    # Focus returns to the moved item, so the keyboard user keeps their place.
    assert page.evaluate("document.activeElement.id") == f"item-{moved.pk}"
    assert page.get_by_role("status").inner_text().startswith("“Action plan” is now item 1.")
    assert errors == []  # no Content-Security-Policy violation, no script error
