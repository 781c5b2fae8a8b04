"""Answering from the email's one-click links, on the meeting page, and for someone else as chair."""

import html
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from meetings import circulation, invitees, links
from meetings.models import Invitation, Meeting, RsvpAnswer
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import bulk_members, invite, make_items, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Channel = RsvpAnswer.Channel
LINK = re.compile(r"http://testserver(/meetings/answer/[^/\s\"]+/)\?a=(\w+)")


def hybrid(group, chair, **fields) -> Meeting:
    return make_meeting(
        group,
        chair,
        format=Meeting.Format.HYBRID,
        online_url="https://meet.example.org/csr",
        **fields,
    )


def answer_path(invitation: Invitation, answer: str = "") -> str:
    path = reverse("meetings:answer", args=[links.answer_token(invitation)])
    return f"{path}?a={answer}" if answer else path


def snapshot(invitation: Invitation) -> tuple:
    invitation.refresh_from_db()
    return (invitation.rsvp, invitation.rsvp_at, invitation.rsvp_comment, invitation.attendance_mode)


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


# --- The links in the emails ---------------------------------------------------------------------


@pytest.fixture
def sent(group, chair, focal_point, secretariat):
    """A circulated hybrid meeting: focal point (English) and a French guest got their invitation."""
    meeting = hybrid(group, chair)
    make_items(meeting, 2)
    invite(meeting, [focal_point])
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="Ann Guest", language="fr")
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    return meeting


def links_of(text: str) -> dict[str, str]:
    return {answer: path + f"?a={answer}" for path, answer in LINK.findall(text)}


@pytest.mark.parametrize("recipient", ["member", "guest"])
def test_invitation_email_carries_four_one_click_links_in_text_and_html(sent, focal_point, recipient):
    email = focal_point.user.email if recipient == "member" else "guest@example.net"
    row = OutboundMessage.objects.get(to_email=email)

    text_links, html_links = links_of(row.body_text), links_of(row.body_html)

    assert set(text_links) == {"accepted", "tentative", "declined", "delegated"}
    assert text_links == html_links
    token = text_links["accepted"].split("/")[3]
    assert links.invitation_from_token(token)[0].recipient_email == email
    # Labelled in the recipient's language (English for the member, French for the guest).
    with translation.override(row.language):
        for answer, label in invitees.ANSWER_ACTIONS.items():
            assert f"- {label}: http://testserver{text_links[answer]}" in row.body_text


@pytest.mark.parametrize("answer", [Rsvp.ACCEPTED, Rsvp.TENTATIVE, Rsvp.DECLINED])
@pytest.mark.parametrize("recipient", ["member", "guest"])
def test_each_link_of_the_email_answers_in_two_steps(client, sent, focal_point, recipient, answer):
    email = focal_point.user.email if recipient == "member" else "guest@example.net"
    url = links_of(OutboundMessage.objects.get(to_email=email).body_text)[answer]
    invitation = sent.invitations.get(
        member=focal_point if recipient == "member" else None, email="" if recipient == "member" else email
    )

    page = client.get(url)

    assert page.status_code == 200
    assert re.search(rf'value="{answer}"[^>]*checked', page.text)
    assert invitation.answers.count() == 0

    response = client.post(url, {"answer": answer, "comment": "From the email"})

    assert response.status_code == 200
    with translation.override("en" if recipient == "member" else "fr"):
        assert f"<h1>{translation.gettext('Thank you for your answer')}</h1>" in response.text
    invitation.refresh_from_db()
    assert invitation.rsvp == answer
    recorded = invitation.answers.get()
    assert (recorded.channel, recorded.comment) == (Channel.EMAIL_LINK, "From the email")
    assert recorded.answered_by == (focal_point if recipient == "member" else None)


def test_reminder_and_update_emails_carry_the_links_too(sent, focal_point, secretariat):
    invitation = sent.invitations.select_related("member__user").get(member=focal_point)
    invitation.meeting = Meeting.objects.with_detail_data().get(pk=sent.pk)
    from meetings import emails

    for email in (emails.reminder_email(invitation), emails.invitation_email(invitation, update=True)):
        assert set(links_of(email.text)) == {"accepted", "tentative", "declined", "delegated"}


# --- GET changes nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["accepted", "tentative", "declined", "delegated", "", "bogus"])
def test_opening_an_answer_link_changes_nothing(client, group, chair, focal_point, answer):
    meeting = hybrid(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    before = snapshot(invitation)

    for _ in range(3):  # a mail scanner, a preview, the person
        response = client.get(answer_path(invitation, answer))
        assert response.status_code == 200

    assert snapshot(invitation) == before
    assert not RsvpAnswer.objects.exists()
    assert response["Cache-Control"].startswith("max-age=0")
    assert "noindex" in response["X-Robots-Tag"]


def test_head_request_changes_nothing_either(client, group, chair, focal_point):
    invitation = invite(make_meeting(group, chair), [focal_point])[0]

    client.head(answer_path(invitation, "accepted"))

    assert not RsvpAnswer.objects.exists()


# --- The page -----------------------------------------------------------------------------------------


def test_answer_page_speaks_the_invitees_language_not_the_browsers(client, group, chair):
    dutch = make_member(group, language="nl")
    meeting = make_meeting(group, chair, title_nl="Plenaire vergadering", title_en="Plenary meeting")
    invitation = invite(meeting, [dutch])[0]

    response = client.get(answer_path(invitation, "accepted"), HTTP_ACCEPT_LANGUAGE="fr")

    assert html_lang(response) == "nl"
    assert response["Content-Language"] == "nl"
    assert "Plenaire vergadering" in response.text


def test_guest_answer_page_uses_the_language_chosen_for_them(client, group, chair):
    meeting = make_meeting(group, chair)
    guest = Invitation.objects.create(meeting=meeting, email="gast@example.de", language="de")

    response = client.get(answer_path(guest))

    assert html_lang(response) == "de"
    # No colleagues to choose from: a guest names their substitute by email.
    assert 'name="substitute"' not in response.text
    assert 'name="substitute_email"' in response.text


def test_hybrid_meeting_asks_how_one_joins_and_records_it(client, group, chair, focal_point):
    meeting = hybrid(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    assert 'name="attendance_mode"' in client.get(answer_path(invitation, "accepted")).text

    client.post(answer_path(invitation), {"answer": "accepted", "attendance_mode": "online"})

    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.attendance_mode) == (Rsvp.ACCEPTED, "online")


def test_meeting_on_site_does_not_ask_how_one_joins(client, group, chair, focal_point):
    invitation = invite(make_meeting(group, chair), [focal_point])[0]

    page = client.get(answer_path(invitation, "accepted"))
    response = client.post(answer_path(invitation), {"answer": "accepted", "attendance_mode": "online"})

    assert 'name="attendance_mode"' not in page.text
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.attendance_mode) == (Rsvp.ACCEPTED, "")


def test_bad_answer_is_explained_next_to_the_field_and_changes_nothing(client, group, chair, focal_point):
    invitation = invite(make_meeting(group, chair), [focal_point])[0]

    response = client.post(answer_path(invitation), {"answer": "maybe", "comment": "x" * 1001})

    assert response.status_code == 200
    assert 'id="id_answer_error"' in response.text
    assert 'id="id_comment_error"' in response.text
    assert "Please correct the errors below." in response.text
    assert not RsvpAnswer.objects.exists()


# --- Substitutes from the link -----------------------------------------------------------------------


def test_link_holder_is_shown_no_colleague_of_the_invitee(client, group, chair, focal_point):
    """Invitation emails get forwarded: the link's page shows none of the administration's people."""
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    colleague = make_member(None, administration=focal_point.administration)
    colleague.job_title = "Head of the sustainability unit"
    colleague.save()

    page = client.get(answer_path(invitation, "delegated"))

    assert page.status_code == 200
    assert colleague.user.name not in page.text
    assert colleague.job_title not in page.text
    assert colleague.user.email not in page.text
    assert "<option" not in page.text
    assert 'name="substitute_email"' in page.text  # the address is asked for instead
    # A member may sign in to choose from the list.
    assert reverse("meetings:answer-web", args=[meeting.pk]) + "?a=delegated" in page.text


def test_invitee_sends_a_colleague_from_the_link_by_their_address(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    colleague = make_member(None, administration=focal_point.administration)

    response = client.post(
        answer_path(invitation), {"answer": "delegated", "substitute_email": colleague.user.email.upper()}
    )

    assert response.status_code == 200
    assert colleague.user.name not in response.text  # a signed-out page never shows a registered name
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DELEGATED
    assert invitation.delegated_to.member == colleague
    assert invitation.delegated_to.source == Invitation.Source.SUBSTITUTE


def test_invitee_sends_a_colleague_without_an_account_from_the_link(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]

    client.post(
        answer_path(invitation),
        {"answer": "delegated", "substitute_email": "new@example.be", "substitute_name": "New Colleague"},
    )

    invitation.refresh_from_db()
    assert invitation.delegated_to.email == "new@example.be"
    assert invitation.delegated_to.name == "New Colleague"


@pytest.mark.parametrize(
    "data",
    [
        {"answer": "delegated"},
        {"answer": "delegated", "substitute_email": "not-an-address"},
        {"answer": "delegated", "substitute": "999999"},
    ],
)
def test_sending_a_substitute_without_naming_one_is_explained_and_changes_nothing(
    client, group, chair, focal_point, data
):
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    make_member(None, administration=focal_point.administration)

    response = client.post(answer_path(invitation), data)

    assert response.status_code == 200
    assert re.search(r'id="id_substitute(_email)?_error"', response.text)
    assert not RsvpAnswer.objects.exists()
    assert meeting.invitations.count() == 1


def test_member_of_another_administration_named_on_the_link_is_invited_as_a_guest(
    client, group, chair, focal_point
):
    """Signed out, the page does not say whose address it is: the substitute is a guest, by address."""
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    stranger = make_member(group)

    response = client.post(
        answer_path(invitation), {"answer": "delegated", "substitute_email": stranger.user.email}
    )

    assert "same administration" not in response.text
    invitation.refresh_from_db()
    assert invitation.delegated_to.member is None
    assert invitation.delegated_to.email == stranger.user.email


# --- Links that do not work ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["garbage", "WzEsMV0:1uXyz:forged", signing.dumps([1, 1], salt="members.join", compress=False)],
)
def test_tampered_or_made_up_link_answers_404_and_changes_nothing(client, group, chair, focal_point, token):
    invitation = invite(make_meeting(group, chair), [focal_point])[0]

    for method in (client.get, client.post):
        response = method(reverse("meetings:answer", args=[token]), {"answer": "accepted"})
        assert response.status_code == 404
        assert "This link does not work" in response.text
    assert snapshot(invitation)[0] == Rsvp.NONE
    assert not RsvpAnswer.objects.exists()


def test_tampered_version_of_a_real_link_answers_404(client, group, chair, focal_point):
    invitation = invite(make_meeting(group, chair), [focal_point])[0]
    token = links.answer_token(invitation)
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")

    response = client.post(reverse("meetings:answer", args=[tampered]), {"answer": "accepted"})

    assert response.status_code == 404
    assert not RsvpAnswer.objects.exists()


def test_link_of_one_invitation_cannot_answer_for_another_meeting(client, group, chair, focal_point):
    first = invite(make_meeting(group, chair), [focal_point])[0]
    second = invite(make_meeting(group, chair), [focal_point])[0]
    # The first invitation's id with the second meeting: only a forger could sign it, and it is refused.
    forged = signing.dumps([first.pk, second.meeting_id], salt=links.TOKEN_SALT, compress=False)

    response = client.post(reverse("meetings:answer", args=[forged]), {"answer": "declined"})
    client.post(answer_path(first), {"answer": "declined"})

    assert response.status_code == 404
    assert snapshot(second)[0] == Rsvp.NONE
    assert snapshot(first)[0] == Rsvp.DECLINED


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("cancelled", links.Problem.CANCELLED),
        ("ended", links.Problem.EXPIRED),
        ("removed", links.Problem.REMOVED),
    ],
)
def test_expired_cancelled_or_withdrawn_link_answers_410_in_the_invitees_language(
    client, group, chair, focal_point, change, problem
):
    speaks(focal_point, "fr")
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    path = answer_path(invitation, "accepted")
    if change == "ended":
        now = timezone.now()
        Meeting.objects.filter(pk=meeting.pk).update(starts_at=now - timedelta(hours=3), ends_at=now)
    elif change == "removed":
        Invitation.objects.filter(pk=invitation.pk).update(removed_at=timezone.now())
    else:
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

    for method in (client.get, client.post):
        response = method(path, {"answer": "accepted"})
        assert response.status_code == 410
        assert html_lang(response) == "fr"
        assert response["Content-Language"] == "fr"
    assert not RsvpAnswer.objects.exists()
    with translation.override("fr"):
        title = str(links.PROBLEM_TEXTS[problem][0])
    assert html.unescape(re.search(r"<h1>(.+?)</h1>", response.text).group(1)) == title
    assert "Plénière sur le plan d'action RSE" in html.unescape(response.text)


def test_after_the_deadline_the_link_says_so_and_changes_nothing(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, rsvp_deadline=timezone.now() - timedelta(hours=1))
    invitation = invite(meeting, [focal_point], rsvp=Rsvp.ACCEPTED)[0]

    page = client.get(answer_path(invitation, "declined"))
    response = client.post(answer_path(invitation), {"answer": "declined"})

    for result in (page, response):
        assert result.status_code == 200
        assert "contact the chair or the secretariat" in result.text
        assert "<form" not in result.text.split("<main", 1)[1]
    assert snapshot(invitation)[0] == Rsvp.ACCEPTED
    assert not RsvpAnswer.objects.exists()


# --- CSRF: the page sets the cookie its form needs ---------------------------------------------------


def test_answer_form_is_protected_against_cross_site_posts(group, chair, focal_point):
    invitation = invite(make_meeting(group, chair), [focal_point])[0]
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post(answer_path(invitation), {"answer": "declined"})
    assert forged.status_code == 403
    assert not RsvpAnswer.objects.exists()

    page = browser.get(answer_path(invitation, "accepted"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post(answer_path(invitation), {"answer": "accepted", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert snapshot(invitation)[0] == Rsvp.ACCEPTED


# --- Signed in: the meeting page -------------------------------------------------------------------------


def test_member_answers_on_the_meeting_page(client, group, chair, focal_point):
    meeting = hybrid(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    client.force_login(focal_point.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert f'action="{reverse("meetings:answer-web", args=[meeting.pk])}"' in page.text
    assert 'id="my-answer-accepted"' in page.text and 'id="my-mode-online"' in page.text

    response = client.post(
        reverse("meetings:answer-web", args=[meeting.pk]),
        {"answer": "tentative", "attendance_mode": "on_site", "comment": "Late by 10 minutes"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("meetings:detail", args=[meeting.pk])
    assert "Your answer is saved: Tentative." in response.text
    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.attendance_mode, invitation.rsvp_comment) == (
        Rsvp.TENTATIVE,
        "on_site",
        "Late by 10 minutes",
    )
    answer = invitation.answers.get()
    assert (answer.channel, answer.answered_by) == (Channel.WEB, focal_point)


def test_member_sends_a_substitute_from_the_full_answer_page(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    colleague = make_member(None, administration=focal_point.administration)
    client.force_login(focal_point.user)
    url = reverse("meetings:answer-web", args=[meeting.pk])

    page = client.get(url + "?a=delegated")
    assert colleague.user.name in page.text
    response = client.post(url, {"answer": "delegated", "substitute": colleague.pk}, follow=True)

    assert f"{colleague.user.name} is invited in place of {focal_point.user.name}." in response.text
    invitation.refresh_from_db()
    assert invitation.delegated_to.member == colleague
    # The substitute now sees the meeting and answers for themself.
    client.force_login(colleague.user)
    client.post(url, {"answer": "accepted"})
    assert Invitation.objects.get(meeting=meeting, member=colleague).rsvp == Rsvp.ACCEPTED


def test_page_errors_are_shown_and_change_nothing(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invite(meeting, [focal_point])
    client.force_login(focal_point.user)

    response = client.post(reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "delegated"})

    assert response.status_code == 200
    assert 'id="id_substitute_email_error"' in response.text
    assert not RsvpAnswer.objects.exists()


# --- Observers: they say whether they come, but send nobody -------------------------------------------


@pytest.fixture
def observed(group, chair, observer):
    """A meeting the observer is invited to with the whole group, and their invitation."""
    speaks(observer, "en")
    meeting = make_meeting(group, chair)
    return meeting, invite(meeting, [observer])[0]


def test_observer_is_offered_no_substitute_on_the_meeting_page(client, observed, observer):
    meeting, _invitation = observed
    client.force_login(observer.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk]))

    assert 'id="my-answer-accepted"' in page.text and 'id="my-answer-declined"' in page.text
    assert "Send a substitute instead" not in page.text


@pytest.mark.parametrize("signed_in", [True, False])
def test_observer_answer_pages_offer_no_substitute_and_refuse_one_with_a_message(
    client, observed, observer, signed_in
):
    meeting, invitation = observed
    if signed_in:
        client.force_login(observer.user)
        url = reverse("meetings:answer-web", args=[meeting.pk])
    else:
        url = answer_path(invitation)

    page = client.get(url + "?a=delegated")

    assert 'value="accepted"' in page.text and 'value="declined"' in page.text
    assert 'value="delegated"' not in page.text
    assert 'name="substitute_email"' not in page.text
    assert "cannot send someone in their place" in page.text

    # A form or link from before, posting a substitute anyway.
    response = client.post(url, {"answer": "delegated", "substitute_email": "friend@elsewhere.example"})

    assert response.status_code == 200
    assert 'id="id_answer_error"' in response.text
    assert "cannot send someone in their place" in response.text
    assert snapshot(invitation) == (Rsvp.NONE, None, "", "")
    assert not Invitation.objects.filter(email="friend@elsewhere.example").exists()


def test_observer_accepts_from_the_link(client, observed):
    _meeting, invitation = observed

    response = client.post(answer_path(invitation), {"answer": "accepted"})

    assert response.status_code == 200
    assert snapshot(invitation)[0] == Rsvp.ACCEPTED


def test_group_member_who_is_not_invited_has_nothing_to_answer(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    client.force_login(focal_point.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    response = client.post(
        reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "accepted"}, follow=True
    )

    assert "my-answer-accepted" not in page.text
    assert "You are not invited to this meeting" in response.text
    assert not RsvpAnswer.objects.exists()


def test_outsider_cannot_answer_a_meeting_they_cannot_see(client, group, chair, outsider):
    meeting = make_meeting(group, chair)
    client.force_login(outsider.user)

    response = client.post(reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "accepted"})

    assert response.status_code == 404


def test_after_the_deadline_the_meeting_page_says_whom_to_ask(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, rsvp_deadline=timezone.now() - timedelta(hours=1))
    invitation = invite(meeting, [focal_point], rsvp=Rsvp.ACCEPTED)[0]
    client.force_login(focal_point.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    response = client.post(reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "declined"})

    assert "contact the chair or the secretariat" in page.text
    assert "my-answer-declined" not in page.text
    assert "contact the chair or the secretariat" in response.text
    assert snapshot(invitation)[0] == Rsvp.ACCEPTED
    assert not RsvpAnswer.objects.exists()


# --- The chair answers for someone ------------------------------------------------------------------------


def test_chair_records_an_invitees_answer_after_the_deadline(client, group, chair, focal_point):
    speaks(chair, "en")
    meeting = make_meeting(group, chair, rsvp_deadline=timezone.now() - timedelta(days=1))
    invitation = invite(meeting, [focal_point])[0]
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=3))
    client.force_login(chair.user)
    url = reverse("meetings:answer-for", args=[meeting.pk, invitation.pk])

    detail = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert f'href="{url}"' in detail.text
    response = client.post(url, {"answer": "declined", "comment": "Phoned the secretariat"}, follow=True)

    assert f"The answer of {focal_point.user.name} is saved: Declined." in response.text
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED
    answer = invitation.answers.get()
    assert (answer.channel, answer.answered_by, answer.comment) == (
        Channel.CHAIR,
        chair,
        "Phoned the secretariat",
    )


@pytest.mark.parametrize(("who", "status"), [("focal_point", 403), ("observer", 403), ("outsider", 404)])
def test_only_the_chair_and_secretariat_answer_for_others(request, client, group, chair, who, status):
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [chair])[0]
    client.force_login(request.getfixturevalue(who).user)
    url = reverse("meetings:answer-for", args=[meeting.pk, invitation.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"answer": "declined"}).status_code == status
    assert not RsvpAnswer.objects.exists()


def test_answer_for_an_invitation_of_another_meeting_is_not_found(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    elsewhere = invite(make_meeting(group, chair), [focal_point])[0]
    client.force_login(chair.user)

    response = client.post(
        reverse("meetings:answer-for", args=[meeting.pk, elsewhere.pk]), {"answer": "declined"}
    )

    assert response.status_code == 404
    assert not RsvpAnswer.objects.exists()


# --- Query budgets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 25])
def test_answer_link_page_queries_do_not_grow(
    client, group, chair, focal_point, django_assert_num_queries, size
):
    meeting = hybrid(group, chair)
    invitation = invite(meeting, [focal_point])[0]
    invite(meeting, bulk_members(size, administration=focal_point.administration))
    path = answer_path(invitation, "delegated")

    # The invitation with its meeting and people, the invitee's roles (observers send nobody);
    # the colleagues are not listed without signing in.
    with django_assert_num_queries(2):
        response = client.get(path)

    assert response.status_code == 200
    assert "<option" not in response.text


@pytest.mark.parametrize("size", [1, 25])
def test_answer_page_queries_do_not_grow(client, group, chair, focal_point, django_assert_num_queries, size):
    meeting = hybrid(group, chair)
    invite(meeting, [focal_point])
    invite(meeting, bulk_members(size, administration=focal_point.administration))
    client.force_login(focal_point.user)
    url = reverse("meetings:answer-web", args=[meeting.pk])

    # session, user, member, meeting, invitation, roles (observers send nobody), colleagues
    with django_assert_num_queries(7):
        response = client.get(url)

    assert response.status_code == 200
    assert response.text.count("<option") == size + 1
