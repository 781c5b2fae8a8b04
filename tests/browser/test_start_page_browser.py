"""The start page in a browser: a member answers an invitation from it with the keyboard only."""

import re

import pytest

from meetings.models import Invitation
from members.models import Membership
from tests.factories import GroupFactory, make_member
from tests.meetings.factories import in_days, make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_answers_an_invitation_from_the_start_page_with_the_keyboard(page):
    group = GroupFactory()
    member = make_member(group, Membership.Role.MEMBER, language="en")
    meeting = make_meeting(group, None, starts_at=in_days(7), title_en="Plenary on the action plan")
    invitation = Invitation.objects.create(meeting=meeting, member=member)

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    with page.expect_navigation():
        page.get_by_label("Password").press("Enter")
    assert page.get_by_role("heading", name="Waiting for your answer").is_visible()

    # Tab through the page until the "Accept" button of this meeting has the focus, then press Enter.
    accept = re.compile(r"^Accept\W+Plenary on the action plan$")
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.innerText || ''")
        if accept.match(" ".join(focused.split())):
            break
    else:
        pytest.fail("The Accept button cannot be reached with the Tab key.")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    invitation.refresh_from_db()
    assert invitation.rsvp == Invitation.Rsvp.ACCEPTED
    assert page.url.endswith("/")
    assert "Your answer is saved: Accepted." in page.get_by_role("status").inner_text()
