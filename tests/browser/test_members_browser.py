"""The invitation journey in Chromium: a chair invites, the invitee follows the emailed link,
signs up and lands in the group; the same link then no longer works."""

import re

import pytest

from members.models import Membership
from members.outbox import Kind, OutboundMessage
from tests.factories import AdministrationFactory, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("correct-horse-battery-staple")
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def test_chair_invites_and_the_invitee_joins_the_group(page, group, browser, live_server):
    chair = make_member(group, Membership.Role.CHAIR, language="en")
    administration = AdministrationFactory(acronym="SPW", name_fr="Service public de Wallonie")
    sign_in(page, chair.user.email)

    page.goto(f"/members/groups/{group.slug}/invite/")
    page.get_by_label("Email address").fill("nouvelle@example.be")
    page.get_by_label("Name:", exact=True).fill("Nadia Lemaire")
    page.get_by_label("Language of the invitation").select_option("fr")
    page.get_by_label("Administration").select_option(str(administration.pk))
    with page.expect_navigation():
        page.get_by_label("Email address").press("Enter")

    message = OutboundMessage.objects.get(kind=Kind.JOIN_INVITATION)
    assert message.to_email == "nouvelle@example.be" and message.language == "fr"
    link = re.search(r"https?://\S+/members/join/\S+/", message.body_text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    # The invitee, in a browser of their own, follows the link.
    context = browser.new_context(base_url=live_server.url, locale="fr-BE")
    invitee = context.new_page()
    invitee.goto("/" + path)
    assert invitee.locator("html").get_attribute("lang") == "fr"
    with invitee.expect_navigation():
        invitee.locator("main form button[type=submit]").click()
    # allauth's sign-up form, with the address fixed to the invitation's.
    invitee.locator("input[name=password1]").fill("a-Long-passw0rd-2026")
    invitee.locator("input[name=password2]").fill("a-Long-passw0rd-2026")
    with invitee.expect_navigation():
        invitee.locator("input[name=password2]").press("Enter")
    invitee.wait_for_load_state()
    assert f"/members/groups/{group.slug}/" in invitee.url

    membership = Membership.objects.get(member__user__email="nouvelle@example.be", group=group)
    assert membership.role == Membership.Role.MEMBER
    assert membership.member.administration == administration

    # The link is single use.
    response = invitee.goto("/" + path)
    assert response.status == 410
    context.close()
