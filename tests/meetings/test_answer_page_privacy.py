"""The signed-out answer page tells nobody who is on the platform; answers through links are rate limited."""

import difflib
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from meetings import links
from meetings.models import Invitation, Meeting, RsvpAnswer
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import bulk_members, invite, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
TYPED = "Typed Person"


@pytest.fixture(autouse=True)
def _no_earlier_answers_counted():
    """Rate limits count in the cache: start and end each test with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def meeting(group, chair, focal_point) -> Meeting:
    speaks(focal_point, "en")
    meeting = make_meeting(group, chair, circulated_at=timezone.now())
    invite(meeting, [focal_point])
    return meeting


@pytest.fixture
def invitation(meeting, focal_point) -> Invitation:
    return meeting.invitations.get(member=focal_point)


def answer_url(invitation: Invitation) -> str:
    return reverse("meetings:answer", args=[links.answer_token(invitation)])


def send_substitute(client, invitation: Invitation, email: str, name: str = TYPED, **extra):
    data = {"answer": "delegated", "substitute_email": email, "substitute_name": name}
    return client.post(answer_url(invitation), data, **extra)


def page_text(response, email: str) -> str:
    """The page, with what differs between two requests (CSRF tokens, the link's signature, which
    holds the time, and the address typed) blanked."""
    text = re.sub(r'value="[A-Za-z0-9]{32,}"', 'value=""', response.content.decode())
    text = re.sub(r"/meetings/answer/[^/\"]+/", "/meetings/answer/TOKEN/", text)
    return text.replace(email, "ADDRESS")


def reset(meeting: Meeting, invitation: Invitation) -> None:
    """Back to before the substitute: only the invitee, without an answer."""
    meeting.invitations.exclude(pk=invitation.pk).update(delegated_to=None)
    Invitation.objects.filter(pk=invitation.pk).update(rsvp=Rsvp.NONE, delegated_to=None, rsvp_at=None)
    RsvpAnswer.objects.all().delete()
    meeting.invitations.exclude(pk=invitation.pk).delete()
    OutboundMessage.objects.all().delete()


def test_signed_out_page_answers_the_same_for_any_address_and_uses_the_name_typed(
    client, group, meeting, invitation, focal_point
):
    colleague = make_member(None, administration=focal_point.administration, job_title="Head of unit")
    elsewhere = make_member(group)  # a member of another administration
    gone = make_member(None, administration=focal_point.administration)
    gone.deactivated_at = timezone.now()
    gone.save()
    addresses = {
        "colleague": colleague.user.email,
        "other administration": elsewhere.user.email,
        "deactivated": gone.user.email,
        "unknown": "nobody.yet@example.be",
    }

    pages = {}
    for case, email in addresses.items():
        response = send_substitute(client, invitation, email.upper())
        assert response.status_code == 200, case
        pages[case] = page_text(response, email.upper())
        text = response.content.decode()
        assert TYPED in text, case
        for member in (colleague, elsewhere, gone, focal_point):
            if member is not focal_point:
                assert member.user.name not in text, case
            assert member.administration.name not in text, case
        assert "Head of unit" not in text
        # Each one is really invited: the colleague as themselves, anyone else by address.
        invitation.refresh_from_db()
        assert invitation.rsvp == Rsvp.DELEGATED, case
        substitute = invitation.delegated_to
        if case == "colleague":
            assert substitute.member == colleague
        else:
            assert (substitute.member, substitute.email, substitute.name) == (None, email.lower(), TYPED)
        assert OutboundMessage.objects.filter(to_email__iexact=email).count() == 1, case
        reset(meeting, invitation)

    first = next(iter(pages.values()))
    for case, page in pages.items():
        differences = [
            line for line in difflib.ndiff(first.splitlines(), page.splitlines()) if line[:1] in "+-"
        ]
        assert not differences, (case, differences)


def test_without_a_name_the_page_shows_the_address_typed_not_the_account(
    client, meeting, invitation, focal_point
):
    colleague = make_member(None, administration=focal_point.administration)

    response = send_substitute(client, invitation, colleague.user.email, name="")

    assert colleague.user.email in response.content.decode()
    assert colleague.user.name not in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.delegated_to.member == colleague


def test_errors_on_the_signed_out_page_name_no_account(client, meeting, invitation, focal_point):
    stranger = make_member(None)  # another administration, in no group

    response = send_substitute(client, invitation, stranger.user.email)

    text = response.content.decode()
    assert 'id="id_substitute_email_error"' not in text
    assert stranger.administration.name not in text
    assert focal_point.administration.name not in text


def test_signed_in_member_still_gets_the_administration_rule(client, meeting, invitation, focal_point):
    stranger = make_member(None)
    client.force_login(focal_point.user)

    response = client.post(
        reverse("meetings:answer-web", args=[meeting.pk]),
        {"answer": "delegated", "substitute_email": stranger.user.email},
    )

    assert response.status_code == 200
    assert 'id="id_substitute_email_error"' in response.content.decode()
    assert meeting.invitations.count() == 1


@pytest.mark.parametrize("colleagues", [3, 40])
def test_sending_a_substitute_from_the_link_queries_do_not_grow(
    client, meeting, invitation, focal_point, colleagues, django_assert_max_num_queries
):
    others = bulk_members(colleagues, administration=focal_point.administration)

    with django_assert_max_num_queries(53):  # the same with 3 or 40 colleagues; 24 count the rate limits in the shared database cache, 2 write history
        response = send_substitute(client, invitation, others[-1].user.email)

    assert response.status_code == 200


# --- Rate limit --------------------------------------------------------------------------------------------


def test_answers_through_one_link_are_rate_limited(client, settings, meeting, invitation, focal_point):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "answer_link": "100/m/ip,3/m/key"}
    speaks(focal_point, "fr")
    url = answer_url(invitation)

    statuses = [
        client.post(url, {"answer": answer}).status_code for answer in ["accepted", "declined", "tentative"]
    ]
    refused = client.post(url, {"answer": "accepted"})

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Content-Language"] == "fr"
    assert re.search(r'<html lang="fr"', refused.content.decode())
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.TENTATIVE  # the refused answer changed nothing
    assert client.get(url).status_code == 200  # reading the page is not counted


def test_answers_from_one_address_are_rate_limited_across_links(
    client, settings, group, chair, meeting, invitation
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "answer_link": "2/m/ip,10/m/key"}
    other = invite(meeting, [make_member(group)])[0]

    first = client.post(answer_url(invitation), {"answer": "accepted"})
    second = client.post(answer_url(other), {"answer": "accepted"})
    third = client.post(answer_url(other), {"answer": "declined"})
    elsewhere = client.post(answer_url(other), {"answer": "declined"}, REMOTE_ADDR="192.0.2.7")

    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert elsewhere.status_code == 200


def test_made_up_links_count_against_the_address_too(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "answer_link": "2/m/ip"}
    url = reverse("meetings:answer", args=["made-up-token"])

    statuses = [client.post(url, {"answer": "accepted"}).status_code for _ in range(3)]

    assert statuses == [404, 404, 429]
