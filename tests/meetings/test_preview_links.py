"""The circulation preview shows what invitees receive, but its answer links answer for nobody."""

import html
import re

import pytest
from django.urls import reverse

from meetings import circulation
from meetings import links as answer_links
from meetings.models import Invitation, RsvpAnswer
from tests.factories import make_member
from tests.meetings.helpers import invite, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_answer_rate_limit(settings):
    """These tests try every example link from one address: more than the answer links' rate limit."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "answer_link": "1000/m/ip"}
Source = Invitation.Source
# Any link to the one-click answer page, wherever it points.
ANSWER_LINK = re.compile(r"https?://[^/\s\"<>]+(/meetings/answer/([^/\s\"<>?]+)/)(?:\?a=(\w+))?")


@pytest.fixture
def meeting(group, chair, focal_point, observer, secretariat):
    """Invitees reading each of the four languages, members and a guest."""
    meeting = make_meeting(group, chair, items=2, invite_whole_group=False)
    french = make_member(group, language="fr")
    invite(meeting, [chair, focal_point, observer, french], source=Source.PERSONAL)
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="Ann Guest", language="fr")
    return meeting


def links_in(preview: dict) -> list[tuple[str, str, str]]:
    found = []
    for part in (preview["text"], preview["html"]):
        found += ANSWER_LINK.findall(html.unescape(part))
    return found


def assert_preview_answers_for_nobody(client, meeting, preview: dict) -> None:
    links = links_in(preview)
    assert links, "the preview shows what the answer links look like"
    for path, token, answer in links:
        invitation, problem = answer_links.invitation_from_token(token)
        assert (invitation, problem) == (None, answer_links.Problem.INVALID)
        response = client.post(path, {"answer": answer or "accepted"})
        assert response.status_code == 404
    for invitation in meeting.invitations.all():
        token = answer_links.answer_token(invitation)
        assert token not in preview["text"] and token not in preview["html"]
        if invitation.member_id != meeting.organiser_id:  # the organiser is named as such
            assert invitation.display_name not in preview["text"]


def test_preview_in_every_language_carries_example_links_that_answer_for_nobody(client, meeting, secretariat):
    preview = circulation.circulation_preview(meeting=meeting)

    assert [entry["language"] for entry in preview["languages"]] == ["nl", "fr", "de", "en"]
    for entry in preview["languages"]:
        assert_preview_answers_for_nobody(client, meeting, entry)
    assert not RsvpAnswer.objects.exists()
    assert set(meeting.invitations.values_list("rsvp", flat=True)) == {Invitation.Rsvp.NONE}


def test_preview_of_an_update_carries_no_valid_link_either(client, meeting, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    meeting.refresh_from_db()
    meeting.location = "Koningsstraat 138, 1000 Brussel"
    meeting.save()

    preview = circulation.circulation_preview(meeting=meeting)

    assert preview["update"] and len(preview["languages"]) == 4
    for entry in preview["languages"]:
        assert_preview_answers_for_nobody(client, meeting, entry)


def test_circulate_page_shows_the_links_as_examples_and_no_invitees_token(client, meeting, secretariat):
    client.force_login(secretariat.user)

    response = client.get(reverse("meetings:circulate", args=[meeting.pk]))

    page = response.content.decode()
    assert "exemples qui ne fonctionnent pour personne" in page  # the secretariat reads French
    assert "/meetings/answer/example-link/?a=accepted" in html.unescape(page)
    for invitation in meeting.invitations.all():
        assert answer_links.answer_token(invitation) not in page
    for _path, token, _answer in ANSWER_LINK.findall(html.unescape(page)):
        assert answer_links.invitation_from_token(token) == (None, answer_links.Problem.INVALID)
