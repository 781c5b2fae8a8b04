"""When a circulated meeting moves, the answers given stand but are to confirm for the new time."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import circulation, invitees, links, rsvp, services
from meetings.models import Invitation, Meeting, RsvpAnswer
from members.outbox import Kind, OutboundMessage
from tests.factories import make_member
from tests.meetings.helpers import invite, make_meeting, parse_calendar
from tests.meetings.test_itip import reply_ics, send_reply

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Source = Invitation.Source
Channel = RsvpAnswer.Channel
CONFIRM_TEXT = "Please confirm your answer for the new time"


@pytest.fixture
def people(group):
    """Invitees by the answer they give before the meeting moves."""
    return {answer: make_member(group, language="en") for answer in ("none", *invitees.ANSWERS)}


@pytest.fixture
def meeting(group, chair, people, secretariat):
    """Circulated, and answered by everyone but `none` (through the services, so with a history)."""
    meeting = make_meeting(
        group, chair, items=2, invite_whole_group=False, starts_at=timezone.now() + timedelta(days=20)
    )
    invite(meeting, list(people.values()), source=Source.PERSONAL)
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    for answer, member in people.items():
        invitation = meeting.invitations.get(member=member)
        if answer == Rsvp.DELEGATED:
            rsvp.delegate(invitation=invitation, by=member, email="stand-in@example.net", name="Stand In")
        elif answer != "none":
            rsvp.record_rsvp(invitation=invitation, answer=answer, by=member, channel=Channel.WEB)
    OutboundMessage.objects.all().delete()
    meeting.refresh_from_db()
    return meeting


def invitation_of(meeting, member) -> Invitation:
    return meeting.invitations.get(member=member)


def move(meeting: Meeting, by, hours: int = 24) -> Meeting:
    return services.update_meeting(
        meeting=meeting,
        by=by,
        starts_at=meeting.starts_at + timedelta(hours=hours),
        ends_at=meeting.ends_at + timedelta(hours=hours),
    )


def sent_to(member) -> OutboundMessage:
    return OutboundMessage.objects.get(to_email=member.user.email)


def attendee_of(row: OutboundMessage):
    """The ATTENDEE of the row's calendar part, read by icalendar and by vobject."""
    ical, vcal = parse_calendar(row.alternatives[0]["content"])
    (event,) = ical.walk("VEVENT")
    return event["ATTENDEE"], vcal.vevent.attendee


def test_moving_the_meeting_keeps_the_answers_and_marks_them_to_confirm(meeting, people, chair):
    history = RsvpAnswer.objects.count()

    move(meeting, chair)

    meeting.refresh_from_db()
    assert meeting.time_changed_at is not None
    assert RsvpAnswer.objects.count() == history  # the history stays
    for answer, member in people.items():
        invitation = invitation_of(meeting, member)
        assert invitation.rsvp == answer  # the answer stands …
        assert invitation.rsvp_to_confirm is (answer != "none")  # … to confirm


@pytest.mark.parametrize(
    "change",
    [
        {"location": "Koningsstraat 138, 1000 Brussel"},
        {"online_url": "https://meet.example.org/other-room"},
        {"title_en": "Plenary, with a new title"},
    ],
)
def test_a_change_of_place_link_or_title_keeps_the_answers_a_change_of_time_does_not(
    meeting, people, chair, secretariat, change
):
    services.update_meeting(meeting=meeting, by=chair, **change)
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    meeting.refresh_from_db()
    assert meeting.time_changed_at is None
    assert not meeting.invitations.filter(rsvp_to_confirm=True).exists()
    row = sent_to(people[Rsvp.ACCEPTED])
    for attendee in attendee_of(row):
        assert attendee.params["PARTSTAT"] in ("ACCEPTED", ["ACCEPTED"])
    assert CONFIRM_TEXT not in row.body_text

    OutboundMessage.objects.all().delete()
    move(meeting, chair, hours=2)
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    row = sent_to(people[Rsvp.ACCEPTED])
    for attendee in attendee_of(row):
        assert attendee.params["PARTSTAT"] in ("NEEDS-ACTION", ["NEEDS-ACTION"])
    assert CONFIRM_TEXT in row.body_text


def test_an_agenda_change_keeps_the_answers_a_change_of_end_time_does_not(
    meeting, people, chair, secretariat
):
    item = meeting.agenda_items.first()
    services.update_agenda_item(item=item, by=chair, title_en="A new title for the first item")
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    assert not meeting.invitations.filter(rsvp_to_confirm=True).exists()
    assert "PARTSTAT=ACCEPTED" in sent_to(people[Rsvp.ACCEPTED]).alternatives[0]["content"]

    meeting.refresh_from_db()
    services.update_meeting(meeting=meeting, by=chair, ends_at=meeting.ends_at + timedelta(hours=1))

    assert invitation_of(meeting, people[Rsvp.ACCEPTED]).rsvp_to_confirm is True


def test_the_update_asks_those_who_answered_to_confirm_for_the_new_time(meeting, people, chair, secretariat):
    move(meeting, chair)
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    for answer in (Rsvp.ACCEPTED, Rsvp.TENTATIVE, Rsvp.DECLINED, Rsvp.DELEGATED):
        row = sent_to(people[answer])
        ical_attendee, vobject_attendee = attendee_of(row)
        assert ical_attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert ical_attendee.params["RSVP"] == "TRUE"
        assert vobject_attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
        assert vobject_attendee.params["RSVP"] == ["TRUE"]
        assert CONFIRM_TEXT in row.body_text
        assert "Please confirm your answer." in row.body_html
        invitation = invitation_of(meeting, people[answer])
        # With the invitee's own answer links.
        tokens = re.findall(r"/meetings/answer/([^/\s]+)/\?a=accepted", row.body_text)
        assert tokens and all(links.invitation_from_token(t) == (invitation, None) for t in tokens)
    label = dict(Rsvp.choices)[Rsvp.DECLINED]
    assert f'since you answered "{label}"' in sent_to(people[Rsvp.DECLINED]).body_text
    not_answered = sent_to(people["none"])
    assert CONFIRM_TEXT not in not_answered.body_text
    assert attendee_of(not_answered)[0].params["PARTSTAT"] == "NEEDS-ACTION"


def test_answer_on_the_meeting_page_confirms(client, meeting, people, chair):
    member = people[Rsvp.ACCEPTED]
    move(meeting, chair)
    client.force_login(member.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk])).text
    assert "To confirm:" in page and "Please confirm your answer for the new time." in page

    client.post(reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "accepted"})

    invitation = invitation_of(meeting, member)
    assert (invitation.rsvp, invitation.rsvp_to_confirm) == (Rsvp.ACCEPTED, False)
    assert invitation.answers.count() == 2  # the first answer, and its confirmation
    assert "To confirm:" not in client.get(reverse("meetings:detail", args=[meeting.pk])).text


def test_answer_from_the_email_link_confirms(client, meeting, people, chair):
    member = people[Rsvp.DECLINED]
    move(meeting, chair)
    invitation = invitation_of(meeting, member)
    assert invitation.rsvp_to_confirm is True

    client.post(reverse("meetings:answer", args=[links.answer_token(invitation)]), {"answer": "accepted"})

    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.rsvp_to_confirm) == (Rsvp.ACCEPTED, False)


def test_calendar_reply_to_the_moved_meeting_confirms(meeting, people, chair, secretariat):
    member = people[Rsvp.TENTATIVE]
    move(meeting, chair)
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    meeting.refresh_from_db()
    email = member.user.email
    assert invitation_of(meeting, member).rsvp_to_confirm is True

    log = send_reply(meeting, email, reply_ics(meeting, email, "TENTATIVE"))

    assert log.outcome == log.Outcome.RECORDED
    invitation = invitation_of(meeting, member)
    assert (invitation.rsvp, invitation.rsvp_to_confirm) == (Rsvp.TENTATIVE, False)


def test_calendar_reply_to_the_version_before_the_move_does_not_confirm(meeting, people, chair):
    member = people[Rsvp.ACCEPTED]
    before = meeting.sequence
    move(meeting, chair)  # not circulated yet: their calendar still has the old time
    meeting.refresh_from_db()
    email = member.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email, "ACCEPTED", sequence=before))

    assert log.outcome == log.Outcome.RECORDED
    assert invitation_of(meeting, member).rsvp_to_confirm is True


def test_substitute_sent_after_the_move_confirms(meeting, people, chair):
    member = people[Rsvp.ACCEPTED]
    move(meeting, chair)
    assert invitation_of(meeting, member).rsvp_to_confirm is True

    rsvp.delegate(invitation=invitation_of(meeting, member), by=member, email="other@example.net")

    invitation = invitation_of(meeting, member)
    assert (invitation.rsvp, invitation.rsvp_to_confirm) == (Rsvp.DELEGATED, False)


def test_my_meetings_shows_the_answer_to_confirm_and_offers_to_confirm_it(client, meeting, people, chair):
    member = people[Rsvp.ACCEPTED]
    move(meeting, chair)
    client.force_login(member.user)

    page = client.get(reverse("meetings:my-meetings")).text

    card = page[page.index(f'id="meeting-{meeting.pk}"') :]
    card = card[: card.index("</li>")]
    assert "to confirm: the time changed after you answered" in card
    # Giving the same answer again confirms it: "Accept" is offered although already given.
    assert re.search(r'name="answer" value="accepted"', card)


def test_personal_calendar_feed_shows_the_answer_as_needing_action_until_confirmed(
    client, meeting, people, chair
):
    member = people[Rsvp.ACCEPTED]
    move(meeting, chair)
    url = reverse("meetings:member-feed", args=[member.feed_token])

    ical, vcal = parse_calendar(client.get(url).content)
    (event,) = ical.walk("VEVENT")
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert vcal.vevent.attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]

    rsvp.record_rsvp(
        invitation=invitation_of(meeting, member), answer=Rsvp.ACCEPTED, by=member, channel=Channel.WEB
    )

    (event,) = parse_calendar(client.get(url).content)[0].walk("VEVENT")
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


# --- Reminders --------------------------------------------------------------------------------------


def reminders() -> dict[str, OutboundMessage]:
    return {row.to_email: row for row in OutboundMessage.objects.filter(kind=Kind.MEETING_REMINDER)}


def test_those_whose_answer_is_to_confirm_are_reminded_once_they_have_the_new_time(
    meeting, people, chair, secretariat
):
    meeting.invitations.update(unanswered_reminder_sent_at=timezone.now() - timedelta(days=3))
    Meeting.objects.filter(pk=meeting.pk).update(remind_unanswered_days=30)
    move(meeting, chair)
    meeting.invitations.update(created_at=timezone.now() - timedelta(days=10))

    # Moved but not sent yet: nobody is asked to confirm a time they were not told.
    assert circulation.send_due_reminders() == 0

    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    Meeting.objects.filter(pk=meeting.pk).update(circulated_at=timezone.now() - timedelta(days=2))
    sent = circulation.send_due_reminders()

    rows = reminders()
    # Those to confirm are asked once more; "none" had its reminder already.
    to_confirm = {people[answer].user.email for answer in invitees.ANSWERS}
    assert set(rows) == to_confirm and sent == len(to_confirm)
    row = rows[people[Rsvp.ACCEPTED].user.email]
    assert row.batch.endswith("-reminder-unanswered")
    assert CONFIRM_TEXT in row.body_text and "please confirm your answer" in row.subject
    assert "You have not yet told us" not in row.body_text
    assert circulation.send_due_reminders() == 0  # once


def test_no_see_you_tomorrow_reminder_while_the_acceptance_is_to_confirm(meeting, people, chair, secretariat):
    move(meeting, chair, hours=-(20 * 24 - 12))  # tomorrow
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    circulation.send_due_reminders()

    assert not OutboundMessage.objects.filter(kind=Kind.MEETING_REMINDER, batch__endswith="accepted").exists()
    invitation = invitation_of(meeting, people[Rsvp.ACCEPTED])
    rsvp.record_rsvp(
        invitation=invitation, answer=Rsvp.ACCEPTED, by=people[Rsvp.ACCEPTED], channel=Channel.WEB
    )
    circulation.send_due_reminders()
    assert set(reminders()) >= {people[Rsvp.ACCEPTED].user.email}


def test_reinvited_member_starts_without_an_answer_to_confirm(meeting, people, chair):
    member = people[Rsvp.ACCEPTED]
    move(meeting, chair)
    invitation = invitation_of(meeting, member)
    assert invitation.rsvp_to_confirm is True
    services.remove_invitation(invitation=invitation, by=chair)

    services.add_guest(meeting=meeting, email=member.user.email, by=chair)

    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.rsvp_to_confirm) == (Rsvp.NONE, False)
