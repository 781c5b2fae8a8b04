"""Calendar files: each kind parses in icalendar and vobject (and ical.js when installed), per iTIP."""

from datetime import UTC, datetime, timedelta

import pytest

from meetings import calendar, links
from meetings.models import Invitation, Meeting
from tests.meetings.helpers import (
    BRUSSELS,
    brussels,
    icaljs_available,
    invitation_of,
    loaded,
    make_meeting,
    parse_calendar,
    parse_with_icaljs,
)

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp


def only_event(ical):
    events = ical.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_invitation_is_an_itip_request_in_brussels_time(group, chair, focal_point):
    meeting = make_meeting(
        group,
        chair,
        members=[focal_point],
        items=2,
        starts_at=brussels(2027, 1, 19, 10),
        status=Meeting.Status.SCHEDULED,
    )

    ical, vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point)))

    assert ical["METHOD"] == "REQUEST" and vcal.method.value == "REQUEST"
    assert ical["VERSION"] == "2.0" and ical["PRODID"] == calendar.PRODID
    event = only_event(ical)
    assert str(event["UID"]) == meeting.uid == vcal.vevent.uid.value
    assert event["SEQUENCE"] == 0
    assert "DTSTAMP" in event
    # A winter meeting at 10:00 in Brussels is 09:00 UTC, whichever parser reads it.
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 1, 19, 9, tzinfo=UTC)
    # vobject reads the time through the file's own VTIMEZONE (dateutil's tzical).
    assert repr(vcal.vevent.dtstart.value.tzinfo) == "<tzicalvtz 'Europe/Brussels'>"
    assert vcal.vevent.dtstart.value.astimezone(UTC) == datetime(2027, 1, 19, 9, tzinfo=UTC)
    assert vcal.vevent.dtend.value.astimezone(UTC) == datetime(2027, 1, 19, 11, tzinfo=UTC)
    assert [str(zone["TZID"]) for zone in ical.walk("VTIMEZONE")] == ["Europe/Brussels"]
    assert vcal.vtimezone.tzid.value == "Europe/Brussels"
    # Answers go to Concerto's address for this one invitation, under the organiser's name.
    invitation = invitation_of(meeting, focal_point)
    organizer = f"mailto:agenda+{invitation.pk}.{links._organizer_mac(invitation.pk)}@testserver"
    assert str(event["ORGANIZER"]) == organizer == f"mailto:{links.organizer_address(invitation)}"
    assert event["ORGANIZER"].params["CN"] == chair.user.name
    assert vcal.vevent.organizer.value == organizer
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{focal_point.user.email}"
    assert attendee.params["CN"] == focal_point.user.name
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert vcal.vevent.attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert str(event["LOCATION"]) == "Rue de la Loi 16, 1000 Brussels – https://meet.example.org/csr-plenary"
    assert str(event["URL"]) == f"http://testserver/meetings/{meeting.pk}/"
    assert event["STATUS"] == "CONFIRMED"


def test_summer_meeting_is_two_hours_ahead_of_utc(group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], starts_at=brussels(2027, 7, 6, 10))

    ical, vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point)))

    assert only_event(ical).decoded("DTSTART").astimezone(UTC) == datetime(2027, 7, 6, 8, tzinfo=UTC)
    assert vcal.vevent.dtstart.value.astimezone(UTC) == datetime(2027, 7, 6, 8, tzinfo=UTC)


def test_vtimezone_agrees_with_the_time_zone_database_for_years_to_come():
    ical, vcal = parse_calendar(calendar._calendar(None).to_ical())
    from_vobject = vcal.vtimezone.gettzinfo()
    from_icalendar = ical.walk("VTIMEZONE")[0].to_tz()
    checked = 0
    for year in range(2024, 2041):
        for month in (3, 10):
            # Every hour of the last eight days of the month: both changes of the clock.
            start = datetime(year, month, 24, tzinfo=UTC)
            for hour in range(8 * 24):
                moment = start + timedelta(hours=hour)
                expected = moment.astimezone(BRUSSELS).utcoffset()
                assert moment.astimezone(from_vobject).utcoffset() == expected, moment
                assert moment.astimezone(from_icalendar).utcoffset() == expected, moment
                checked += 1
    assert checked == 17 * 2 * 8 * 24


def test_texts_are_in_the_invitees_language_with_a_fallback(group, chair):
    from tests.factories import make_member

    dutch, french, german = (make_member(group, language=code) for code in ("nl", "fr", "de"))
    meeting = make_meeting(group, chair, members=[dutch, french, german], items=1)

    summaries = {}
    for member in (dutch, french, german):
        ical, _vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, member)))
        event = only_event(ical)
        summaries[member.language] = str(event["SUMMARY"])

    assert summaries == {
        "nl": "Plenaire over het MVO-actieplan",
        "fr": "Plénière sur le plan d'action RSE",
        "de": "Plenary on the CSR action plan",  # no German title: English
    }
    ical, _vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, dutch)))
    assert "1. Punt 1 in het Nederlands" in str(only_event(ical)["DESCRIPTION"])


def test_update_keeps_the_uid_and_raises_the_sequence(group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], starts_at=brussels(2027, 1, 19, 10))
    first, _ = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point)))

    meeting.starts_at, meeting.ends_at = brussels(2027, 1, 20, 14), brussels(2027, 1, 20, 16)
    meeting.sequence = 1
    meeting.save()
    second, vsecond = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point)))

    before, after = only_event(first), only_event(second)
    assert str(after["UID"]) == str(before["UID"]) == vsecond.vevent.uid.value
    # The same ORGANIZER, or calendars would not take it as an update from the same organizer.
    assert str(after["ORGANIZER"]) == str(before["ORGANIZER"]) != "mailto:agenda@testserver"
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert int(vsecond.vevent.sequence.value) == 1
    assert second["METHOD"] == "REQUEST"
    assert after.decoded("DTSTART").astimezone(UTC) == datetime(2027, 1, 20, 13, tzinfo=UTC)


def test_cancellation_cancels_the_same_event_with_a_higher_sequence(group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], status=Meeting.Status.SCHEDULED)
    request, _ = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point)))
    meeting.status, meeting.sequence = Meeting.Status.CANCELLED, 1
    meeting.save()

    ical, vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point), method="CANCEL"))

    event = only_event(ical)
    assert ical["METHOD"] == "CANCEL" and vcal.method.value == "CANCEL"
    assert event["STATUS"] == "CANCELLED" and vcal.vevent.status.value == "CANCELLED"
    assert str(event["UID"]) == str(only_event(request)["UID"])
    assert str(event["ORGANIZER"]) == str(only_event(request)["ORGANIZER"])
    assert event["SEQUENCE"] > only_event(request)["SEQUENCE"]
    assert "RSVP" not in event["ATTENDEE"].params


def test_uninviting_one_person_cancels_it_for_them_only(group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], status=Meeting.Status.SCHEDULED)

    ical, vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point), method="CANCEL"))

    event = only_event(ical)
    assert ical["METHOD"] == "CANCEL"
    # RFC 5546 3.2.5: removing attendees carries no STATUS; the event goes on for the others.
    assert "STATUS" not in event
    assert str(event["ATTENDEE"]) == f"mailto:{focal_point.user.email}"
    assert str(event["ORGANIZER"]) == f"mailto:{links.organizer_address(invitation_of(meeting, focal_point))}"
    assert vcal.vevent.uid.value == meeting.uid


@pytest.mark.parametrize(
    ("answer", "partstat"),
    [
        (Rsvp.NONE, "NEEDS-ACTION"),
        (Rsvp.ACCEPTED, "ACCEPTED"),
        (Rsvp.TENTATIVE, "TENTATIVE"),
        (Rsvp.DECLINED, "DECLINED"),
        (Rsvp.DELEGATED, "DELEGATED"),
    ],
)
def test_attendee_partstat_is_the_current_answer(group, chair, focal_point, answer, partstat):
    meeting = make_meeting(group, chair, members=[focal_point])
    meeting.invitations.update(rsvp=answer)

    ical, vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, focal_point)))

    assert only_event(ical)["ATTENDEE"].params["PARTSTAT"] == partstat
    assert vcal.vevent.attendee.params["PARTSTAT"] == [partstat]


def test_guest_invitation_names_the_guest(group, chair):
    meeting = make_meeting(group, chair)
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="Ann Guest", language="fr")

    ical, _vcal = parse_calendar(calendar.invitation_ics(invitation_of(meeting, email="guest@example.net")))

    attendee = only_event(ical)["ATTENDEE"]
    assert str(attendee) == "mailto:guest@example.net"
    assert attendee.params["CN"] == "Ann Guest"
    assert str(only_event(ical)["SUMMARY"]) == "Plénière sur le plan d'action RSE"
    # No account, so no link to the members' meeting page.
    assert "URL" not in only_event(ical)
    assert "/meetings/" not in str(only_event(ical)["DESCRIPTION"])


def test_each_invitee_has_their_own_organizer_address_and_feeds_have_none(
    group, chair, focal_point, observer
):
    meeting = make_meeting(group, chair, members=[focal_point, observer], status=Meeting.Status.SCHEDULED)
    mine, theirs = invitation_of(meeting, focal_point), invitation_of(meeting, observer)

    organizers = {
        str(only_event(parse_calendar(calendar.invitation_ics(invitation))[0])["ORGANIZER"])
        for invitation in (mine, theirs)
    }

    assert organizers == {
        f"mailto:{links.organizer_address(mine)}",
        f"mailto:{links.organizer_address(theirs)}",
    }
    assert len(organizers) == 2
    # A feed shows the member's ATTENDEE but expects no reply: the plain address, no secret one.
    feed, _vcal = parse_calendar(calendar.member_feed(focal_point))
    assert [str(e["ORGANIZER"]) for e in feed.walk("VEVENT")] == ["mailto:agenda@testserver"]
    group_feed, _vcal = parse_calendar(calendar.group_feed(group, "en"))
    assert [str(e["ORGANIZER"]) for e in group_feed.walk("VEVENT")] == ["mailto:agenda@testserver"]


def test_download_is_published_without_attendees(group, chair):
    meeting = make_meeting(
        group, chair, items=3, status=Meeting.Status.SCHEDULED, format=Meeting.Format.ON_SITE
    )

    ical, vcal = parse_calendar(calendar.meeting_ics(loaded(meeting), "fr"))

    event = only_event(ical)
    assert ical["METHOD"] == "PUBLISH" and vcal.method.value == "PUBLISH"
    assert "ATTENDEE" not in event
    assert str(event["ORGANIZER"]) == "mailto:agenda@testserver"
    assert str(event["SUMMARY"]) == "Plénière sur le plan d'action RSE"
    assert "3. Point 3 en français" in str(event["DESCRIPTION"])
    # On site only: the address, not the online link.
    assert str(event["LOCATION"]) == "Rue de la Loi 16, 1000 Brussels"
    assert "CONFERENCE" not in event


def test_online_meeting_location_is_the_link(group, chair):
    meeting = make_meeting(group, chair, format=Meeting.Format.ONLINE, location="")

    ical, _vcal = parse_calendar(calendar.meeting_ics(loaded(meeting), "en"))

    event = only_event(ical)
    assert str(event["LOCATION"]) == "https://meet.example.org/csr-plenary"
    assert str(event["CONFERENCE"]) == "https://meet.example.org/csr-plenary"


def test_unknown_method_is_refused(group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point])

    with pytest.raises(ValueError, match="PUBLISH"):
        calendar.invitation_ics(invitation_of(meeting, focal_point), method="PUBLISH")


@pytest.mark.skipif(not icaljs_available(), reason="needs node and `npm ci --prefix tests/meetings/icaljs`")
def test_every_calendar_file_parses_in_mozilla_icaljs(group, chair, focal_point):
    meeting = make_meeting(
        group,
        chair,
        members=[focal_point],
        items=2,
        starts_at=brussels(2027, 1, 19, 10),
        status=Meeting.Status.SCHEDULED,
    )
    meeting.invitations.update(rsvp=Rsvp.ACCEPTED)
    request = calendar.invitation_ics(invitation_of(meeting, focal_point))
    uninvite = calendar.invitation_ics(invitation_of(meeting, focal_point), method="CANCEL")
    download = calendar.meeting_ics(loaded(meeting), "nl")
    member_feed = calendar.member_feed(focal_point)
    group_feed = calendar.group_feed(group, "fr")
    meeting.status, meeting.sequence = Meeting.Status.CANCELLED, 1
    meeting.save()
    cancel = calendar.invitation_ics(invitation_of(meeting, focal_point), method="CANCEL")

    organizer = f"mailto:{links.organizer_address(invitation_of(meeting, focal_point))}"
    files = {
        "REQUEST": request,
        "CANCEL": uninvite,
        "PUBLISH": download,
        None: member_feed,
        "cancelled": cancel,
        "group": group_feed,
    }
    for method, data in files.items():
        parse_calendar(data)  # icalendar and vobject too
        parsed = parse_with_icaljs(data)
        assert parsed["timezones"] == ["Europe/Brussels"]
        (event,) = parsed["events"]
        assert event["uid"] == meeting.uid
        assert event["tzid"] == "Europe/Brussels"
        assert event["start_utc"] == "2027-01-19T09:00:00.000Z"
        if method in {"REQUEST", "CANCEL", "cancelled"}:
            assert event["organizer"] == organizer
        else:
            assert event["organizer"] == "mailto:agenda@testserver"
        if method in {"REQUEST", "CANCEL", "PUBLISH"}:
            assert parsed["method"] == method
    assert parse_with_icaljs(request)["events"][0]["attendees"] == [
        {"address": f"mailto:{focal_point.user.email}", "partstat": "ACCEPTED", "rsvp": "TRUE"}
    ]
    cancelled = parse_with_icaljs(cancel)
    assert cancelled["method"] == "CANCEL"
    assert cancelled["events"][0]["status"] == "CANCELLED"
    assert cancelled["events"][0]["sequence"] == 1
    assert parse_with_icaljs(member_feed)["events"][0]["attendees"][0]["partstat"] == "ACCEPTED"
    assert parse_with_icaljs(group_feed)["events"][0]["summary"] == "Plénière sur le plan d'action RSE"
