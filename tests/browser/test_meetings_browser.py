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


def test_dutch_chair_circulates_and_a_french_member_accepts_from_the_email(page, browser, live_server):
    from meetings.models import Invitation, RsvpAnswer
    from meetings.services import sync_invitations
    from members.outbox import Kind, OutboundMessage
    from tests.meetings.factories import make_items

    group = GroupFactory()
    chair = make_member(group, Membership.Role.CHAIR, language="nl")
    french = make_member(group, Membership.Role.MEMBER, language="fr")
    meeting = make_meeting(group, chair)
    make_items(meeting, 2)
    sync_invitations(meeting=meeting)

    sign_in(page, chair)
    page.goto(f"/meetings/{meeting.pk}/circulate/")
    assert page.locator("html").get_attribute("lang") == "nl"
    # The preview shows the email in each language that will be sent, then one button sends.
    assert page.locator("[lang=fr]").count() >= 1 and page.locator("[lang=nl]").count() >= 1
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.get_by_role("status").count() == 1

    row = OutboundMessage.objects.get(kind=Kind.MEETING_INVITATION, to_email=french.user.email)
    assert row.language == "fr"
    accept = re.search(r"https?://\S+/meetings/answer/\S+\?a=accepted", row.body_text).group(0)
    path = "/" + accept.split("://", 1)[1].split("/", 1)[1]

    # The French member, not signed in, follows the Accept link from the email.
    context = browser.new_context(base_url=live_server.url, locale="fr-BE")
    member_page = context.new_page()
    member_page.goto(path)
    assert member_page.locator("html").get_attribute("lang") == "fr"
    assert not RsvpAnswer.objects.exists()  # opening the link changes nothing
    assert member_page.locator("input[value=accepted]").is_checked()
    with member_page.expect_navigation():
        member_page.locator("main form button[type=submit]").click()
    invitation = Invitation.objects.get(meeting=meeting, member=french)
    assert invitation.rsvp == Invitation.Rsvp.ACCEPTED
    assert invitation.answers.get().channel == RsvpAnswer.Channel.EMAIL_LINK
    context.close()
