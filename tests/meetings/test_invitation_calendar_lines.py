"""Each invitee's own ORGANIZER and ATTENDEE lines in a circulation's calendar files are the bytes
icalendar writes for them (meetings.calendar.content_line), whatever the names and addresses hold."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, Event, vCalAddress, vText

from meetings import calendar, emails, sending
from meetings.models import Invitation, Meeting
from tests.factories import make_member
from tests.meetings.helpers import make_meeting

# Names as people type them: accents, other scripts, emoji, and every character the parameter
# syntax treats specially (quotes, carets, colons, semicolons, commas, apostrophes, backslashes).
NAMES = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)), st.sampled_from(" \"'’^\\:;,\t\néüçŁ😀")
    ),
    max_size=120,
)
LOCAL_PARTS = st.text(alphabet=st.sampled_from("abcxyz0123456789.-_+"), min_size=1, max_size=70)
ANSWERS = st.sampled_from(["NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"])


def icalendar_line(name: str, address: vCalAddress) -> bytes:
    event = Event()
    event.add(name, address)
    return event.to_ical().removeprefix(b"BEGIN:VEVENT\r\n").removesuffix(b"\r\nEND:VEVENT\r\n")


@given(name=NAMES, local=LOCAL_PARTS, partstat=ANSWERS, rsvp=st.booleans())
def test_an_attendee_line_is_the_one_icalendar_writes(name, local, partstat, rsvp):
    attendee = vCalAddress(f"mailto:{local}@example.be")
    attendee.params["CN"] = vText(name)
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = partstat
    if rsvp:
        attendee.params["RSVP"] = "TRUE"

    assert calendar.content_line("ATTENDEE", attendee) == icalendar_line("ATTENDEE", attendee)


@given(name=NAMES, local=LOCAL_PARTS)
def test_an_organizer_line_is_the_one_icalendar_writes(name, local):
    organizer = vCalAddress(f"mailto:{local}+12.a1b2c3@example.org")
    organizer.params["CN"] = vText(name)

    assert calendar.content_line("ORGANIZER", organizer) == icalendar_line("ORGANIZER", organizer)


@pytest.mark.django_db
def test_each_invitees_calendar_file_is_the_one_written_for_them_alone(group, chair):
    """The files of one rendering shared by many invitees: each with their own lines, the same
    bytes as calendar.invitation_ics writes for that invitee alone (but the time it was made)."""
    names = ['Zoë "Zo" Dupré-Łukasiewicz', "O'Brien, Siobhán; Ph.D.", "Ana^Maria \\ Pérez", "A" * 90]
    people = [make_member(group, language="fr") for _name in names]
    for person, name in zip(people, names, strict=True):
        person.user.name = name
        person.user.save(update_fields=["name"])
    meeting = make_meeting(group, chair, members=people, items=2, status=Meeting.Status.SCHEDULED)
    meeting.invitations.filter(member=people[1]).update(rsvp=Invitation.Rsvp.ACCEPTED)
    meeting = sending.with_email_data(meeting)
    invitations = [i for i in sending.invitations_to_send(meeting) if i.member in people]

    built = emails.invitation_emails(invitations)

    for invitation, email in zip(invitations, built, strict=True):
        alone = calendar.invitation_ics(invitation).decode()
        assert without_stamp(email.ics) == without_stamp(alone)
        (event,) = Calendar.from_ical(email.ics).walk("VEVENT")
        assert str(event["ATTENDEE"].params["CN"]) == invitation.display_name
        assert str(event["ATTENDEE"]) == f"mailto:{invitation.recipient_email}"


def without_stamp(ics: str) -> str:
    return "\r\n".join(line for line in ics.split("\r\n") if not line.startswith("DTSTAMP:"))
