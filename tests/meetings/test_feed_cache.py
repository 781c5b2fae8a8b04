"""Feeds from cached events, and the feed validator (ETag) decided before any file is built."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from icalendar import Calendar

from meetings import calendar, circulation, rsvp, services
from meetings.models import AgendaItem, Document, Invitation, Meeting, RsvpAnswer
from meetings.plaintext import markdown_as_text
from members.models import User
from tests.meetings.factories import PDF, make_document
from tests.meetings.helpers import circulated, invitation_of, make_meeting, parse_calendar

pytestmark = pytest.mark.django_db
Status = Meeting.Status


def member_feed_url(member) -> str:
    return reverse("meetings:member-feed", args=[member.feed_token])


def group_feed_url(group, member) -> str:
    return reverse("meetings:group-feed", args=[group.slug, member.feed_token])


@pytest.fixture
def feed_meetings(group, chair, focal_point, observer):
    """Three announced meetings of the group, both members invited; one is cancelled."""
    meetings = [
        circulated(make_meeting(group, chair, members=[focal_point, observer], items=3)),
        circulated(
            make_meeting(group, chair, members=[focal_point, observer], items=1, description_en="**Bold**")
        ),
        make_meeting(group, chair, members=[focal_point], items=2, status=Status.CANCELLED, sequence=2),
    ]
    Invitation.objects.filter(meeting=meetings[0], member=focal_point).update(rsvp=Invitation.Rsvp.ACCEPTED)
    return meetings


def whole_calendar(name: str, meetings, language: str, invitations=None) -> bytes:
    """The feed as one icalendar Calendar, written at once: what the joined bytes must equal."""
    invitations = invitations or {}
    whole = calendar._calendar(None, name=name)
    for meeting in meetings:
        event = calendar._event(meeting, language=language, stamp=meeting.updated_at)
        if meeting.pk in invitations:
            event.add("ATTENDEE", calendar._attendee(invitations[meeting.pk], rsvp=False))
        whole.add_component(event)
    return whole.to_ical()


def test_feed_from_cached_events_is_the_file_built_afresh(group, focal_point, observer, feed_meetings):
    calendar.event_cache.clear()
    fresh_group = calendar.group_feed(group, "fr")
    fresh_mine = calendar.member_feed(focal_point)
    assert calendar.event_cache.entries  # the events are kept

    warm_group = calendar.group_feed(group, "fr")
    warm_mine = calendar.member_feed(focal_point)
    warm_theirs = calendar.member_feed(observer)  # the same cached events, another ATTENDEE
    calendar.event_cache.clear()

    assert warm_group == fresh_group == calendar.group_feed(group, "fr")
    assert warm_mine == fresh_mine == calendar.member_feed(focal_point)
    assert warm_theirs == calendar.member_feed(observer)
    # Joining bytes writes what one icalendar Calendar writes.
    meetings = list(calendar.feed_meetings_of(group))
    assert fresh_group == whole_calendar(f"Concerto – {group.name_fr or group.name_en}", meetings, "fr")
    mine = list(calendar.feed_meetings_for(focal_point))
    invitations = {meeting.pk: meeting.my_invitations[0] for meeting in mine}
    assert fresh_mine == whole_calendar("Concerto – my meetings", mine, "en", invitations)
    # Each member finds only their own answer.
    attendees = {
        member: [str(event["ATTENDEE"]) for event in parse_calendar(feed)[0].walk("VEVENT")]
        for member, feed in ((focal_point, warm_mine), (observer, warm_theirs))
    }
    assert attendees == {
        focal_point: [f"mailto:{focal_point.user.email}"] * 3,
        observer: [f"mailto:{observer.user.email}"] * 2,
    }


def test_every_line_is_folded_at_75_octets_with_crlf(group, chair, focal_point):
    long_title = "Plénière – " + "très longue réunion sur le plan d'action " * 5  # under 255 characters
    circulated(make_meeting(group, chair, members=[focal_point], items=4, title_fr=long_title))

    for feed in (calendar.group_feed(group, "fr"), calendar.group_feed(group, "fr")):  # fresh, then cached
        assert feed.endswith(b"END:VCALENDAR\r\n")
        lines = feed.split(b"\r\n")
        assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
        assert max(len(line) for line in lines) <= 75
        ical, _vcal = parse_calendar(feed)
        assert str(ical.walk("VEVENT")[0]["SUMMARY"]) == long_title


def test_a_cached_event_is_not_used_once_its_meeting_changed(group, chair, focal_point):
    meeting = circulated(make_meeting(group, chair, members=[focal_point], items=2))
    calendar.group_feed(group, "en")  # cached

    services.update_meeting(meeting=meeting, by=chair, title_en="Plenary on the new plan")
    item = meeting.agenda_items.get(position=2)
    services.update_agenda_item(item=item, by=chair, title_en="Item 2, retitled")

    events = Calendar.from_ical(calendar.group_feed(group, "en")).walk("VEVENT")
    assert str(events[0]["SUMMARY"]) == "Plenary on the new plan"
    assert "2. Item 2, retitled" in str(events[0]["DESCRIPTION"])
    assert events[0]["SEQUENCE"] == 2


def test_a_cached_event_follows_a_renamed_presenter_and_the_site_address(group, chair, settings):
    circulated(make_meeting(group, chair, items=1))  # the chair presents the first item
    calendar.group_feed(group, "en")

    User.objects.filter(pk=chair.user_id).update(name="Renamed Chair")
    settings.SITE_URL = "https://concerto.example.eu"
    event = Calendar.from_ical(calendar.group_feed(group, "en")).walk("VEVENT")[0]

    assert "Renamed Chair" in str(event["DESCRIPTION"])
    assert event["ORGANIZER"].params["CN"] == "Renamed Chair"
    assert str(event["URL"]).startswith("https://concerto.example.eu/meetings/")


def test_cached_events_are_checked_without_being_built_again(monkeypatch, group, chair, focal_point):
    # Every kind of meeting a feed shows: with and without organiser, presenters (a person, an
    # administration), online only, cancelled with a note, texts in one language only.
    circulated(make_meeting(group, chair, members=[focal_point], items=4))
    circulated(make_meeting(group, None, items=0, format=Meeting.Format.ONLINE, location=""))
    make_meeting(
        group,
        chair,
        members=[focal_point],
        items=2,
        status=Status.CANCELLED,
        cancellation_note_en="Moved to spring.",
        title_nl="",
        title_fr="",
    )
    calendar.event_cache.clear()
    fresh = calendar.group_feed(group, "fr"), calendar.member_feed(focal_point)

    # The columns read for the check are those the events were kept with: nothing is built.
    def built(*args, **kwargs):
        raise AssertionError("An event was built again.")

    monkeypatch.setattr(calendar, "_event_parts", built)
    assert (calendar.group_feed(group, "fr"), calendar.member_feed(focal_point)) == fresh


BULK_CHANGES = {
    "an agenda item": (
        lambda meeting: AgendaItem.objects.filter(meeting=meeting, position=2).update(title_en="Edited item"),
        "2. Edited item",
    ),
    "the meeting's place": (
        lambda meeting: Meeting.objects.filter(pk=meeting.pk).update(location="Boulevard Albert II 16"),
        "Boulevard Albert II 16",
    ),
    "a presenting administration": (
        lambda meeting: (
            type(meeting.organiser.administration)
            .objects.filter(pk=meeting.organiser.administration_id)
            .update(name_en="Renamed FPS")
        ),
        "Renamed FPS",
    ),
    "the organiser": (
        lambda meeting: User.objects.filter(pk=meeting.organiser.user_id).update(name="Renamed Chair"),
        'CN="Renamed Chair"',
    ),
    "a presenter": (
        lambda meeting: User.objects.filter(
            pk__in=AgendaItem.objects.filter(meeting=meeting, position=1).values("presenter__user")
        ).update(name="Renamed Speaker"),
        "Renamed Speaker",
    ),
}


@pytest.mark.parametrize(("change", "shown"), BULK_CHANGES.values(), ids=BULK_CHANGES.keys())
def test_a_cached_event_follows_changes_made_without_saving_the_meeting(
    group, chair, focal_point, change, shown
):
    # The cache is checked against the columns, not against the meeting's last save: a write that
    # bypasses the services is seen by the next file all the same.
    meeting = circulated(make_meeting(group, chair, members=[focal_point], items=2))
    assert meeting.organiser.administration_id
    # Someone else than the organiser presents, so that each name is read on its own.
    AgendaItem.objects.filter(meeting=meeting, position=1).update(presenter=focal_point)
    calendar.group_feed(group, "en")
    calendar.member_feed(focal_point)

    change(meeting)

    for feed in (calendar.group_feed(group, "en"), calendar.member_feed(focal_point)):
        assert shown in feed.decode().replace("\r\n ", "")


def test_member_feed_shows_each_answer_as_its_partstat(group, chair, focal_point):
    answers = {
        (Invitation.Rsvp.ACCEPTED, False): "ACCEPTED",
        (Invitation.Rsvp.DECLINED, False): "DECLINED",
        (Invitation.Rsvp.ACCEPTED, True): "NEEDS-ACTION",  # to confirm since the meeting moved
        (Invitation.Rsvp.TENTATIVE, False): "TENTATIVE",
        (Invitation.Rsvp.NONE, False): "NEEDS-ACTION",
    }
    expected = {}
    for (answer, to_confirm), partstat in answers.items():
        meeting = circulated(make_meeting(group, chair, members=[focal_point]))
        Invitation.objects.filter(meeting=meeting).update(rsvp=answer, rsvp_to_confirm=to_confirm)
        expected[meeting.uid] = partstat

    events = Calendar.from_ical(calendar.member_feed(focal_point)).walk("VEVENT")

    assert {str(event["UID"]): event["ATTENDEE"].params["PARTSTAT"] for event in events} == expected
    assert {str(event["ATTENDEE"]) for event in events} == {f"mailto:{focal_point.user.email}"}
    assert {event["ATTENDEE"].params["CN"] for event in events} == {focal_point.user.name}


@pytest.mark.parametrize(
    "text",
    [
        "Yearly review.",
        "Review of the plan: costs, risks (and the budget) for 2027!",
        "2027. A year",
        "1) first",
        "Two  spaces",
        "Bold **text** and _this_",
        "A [link](https://example.org)",
        "# Heading",
        "Tom & Jerry <b>x</b>",
        "l'action d'été à 20 %",
        "    indented code",
        "line one\nline two",
    ],
)
def test_plain_descriptions_read_as_their_markdown_does(text):
    assert calendar._as_text(text) == markdown_as_text(text)


# --- The validator: decided before building, and moved by every change of the file --------


def etag_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304
    return response["ETag"]


def upload(name: str = "annex.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _first_item(meeting: Meeting) -> AgendaItem:
    return meeting.agenda_items.order_by("position").first()


def _answer(meeting, member):
    invitation = invitation_of(meeting, member)
    rsvp.record_rsvp(
        invitation=invitation, answer=Invitation.Rsvp.DECLINED, by=member, channel=RsvpAnswer.Channel.WEB
    )


def _remove_invitation(meeting, member):
    invitation = meeting.invitations.get(member=member)
    Invitation.objects.filter(pk=invitation.pk).update(source=Invitation.Source.PERSONAL)
    invitation.refresh_from_db()
    services.remove_invitation(invitation=invitation, by=None)


CHANGES = {
    "the meeting is edited": lambda m, chair, member: services.update_meeting(
        meeting=m, by=chair, location="Rue Royale 1, 1000 Brussels"
    ),
    "the meeting is cancelled": lambda m, chair, member: circulation.cancel_meeting(meeting=m, by=chair),
    "another meeting is announced": lambda m, chair, member: make_meeting(
        m.group, chair, members=[member], status=Status.SCHEDULED
    ),
    "the meeting is deleted": lambda m, chair, member: Meeting.objects.filter(pk=m.pk).delete(),
    "an item is added": lambda m, chair, member: services.add_agenda_item(
        meeting=m, by=chair, title_en="A late addition"
    ),
    "an item is retitled": lambda m, chair, member: services.update_agenda_item(
        item=_first_item(m),
        by=chair,
        title_en="Item 1 in Englisx",  # the same length
    ),
    "an item's duration changes": lambda m, chair, member: services.update_agenda_item(
        item=_first_item(m), by=chair, duration_minutes=45
    ),
    "an item moves down": lambda m, chair, member: services.move_agenda_item(
        item=_first_item(m), direction="down", by=chair
    ),
    "an item is removed": lambda m, chair, member: services.remove_agenda_item(item=_first_item(m), by=chair),
    "a document is added": lambda m, chair, member: services.add_document(
        meeting=m, by=chair, upload=upload(), title="Annex"
    ),
    "a file is added": lambda m, chair, member: services.add_document_file(
        document=m.documents.get(), by=chair, upload=upload(), language="fr"
    ),
    "a document is removed": lambda m, chair, member: Document.objects.filter(meeting=m).delete(),
    # (The validator fingerprints names by length: a rename of the same length is a known gap.)
    "the organiser is renamed": lambda m, chair, member: User.objects.filter(pk=chair.user_id).update(
        name=chair.user.name + " Jr"
    ),
    "the reader's language changes": lambda m, chair, member: User.objects.filter(pk=member.user_id).update(
        language="fr"
    ),
}
# What only the member's own feed shows.
MEMBER_CHANGES = {
    "the member answers": lambda m, chair, member: _answer(m, member),
    "the member is uninvited": lambda m, chair, member: _remove_invitation(m, member),
    "the member is renamed": lambda m, chair, member: User.objects.filter(pk=member.user_id).update(
        name="Someone Else"
    ),
}
FEEDS = {"member feed": lambda group, member: member_feed_url(member), "group feed": group_feed_url}


def circulated_with_document(group, chair, member) -> Meeting:
    meeting = circulated(make_meeting(group, chair, members=[member], items=3))
    make_document(meeting)
    return meeting


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_of_the_file_changes_the_etag(client, group, chair, focal_point, feed, change):
    meeting = circulated_with_document(group, chair, focal_point)
    url = feed(group, focal_point)
    etag = etag_of(client, url)

    change(meeting, chair, focal_point)

    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_a_renamed_group_changes_the_etag(client, group, focal_point, feed):
    # Without an organiser, the group's name is the ORGANIZER's; in the group feed, also its title.
    meeting = circulated(make_meeting(group, None, members=[focal_point], items=1))
    url = feed(group, focal_point)
    etag = etag_of(client, url)

    type(group).objects.filter(pk=group.pk).update(name_en="A new name", name_nl="", name_fr="", name_de="")

    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    events = parse_calendar(response.content)[0].walk("VEVENT")
    assert [event["ORGANIZER"].params["CN"] for event in events] == ["A new name"]
    assert meeting.uid == str(events[0]["UID"])


@pytest.mark.parametrize("change", MEMBER_CHANGES.values(), ids=MEMBER_CHANGES.keys())
def test_every_change_of_the_members_answers_changes_their_etag(client, group, chair, focal_point, change):
    meeting = circulated_with_document(group, chair, focal_point)
    url = member_feed_url(focal_point)
    etag = etag_of(client, url)
    body = client.get(url).content

    change(meeting, chair, focal_point)

    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.content != body


def test_site_address_and_membership_change_the_group_feeds_etag(client, group, chair, focal_point, settings):
    circulated_with_document(group, chair, focal_point)
    url = group_feed_url(group, focal_point)
    etag = etag_of(client, url)

    settings.SITE_URL = "https://concerto.example.eu"
    moved = client.get(url, headers={"If-None-Match": etag})
    assert moved.status_code == 200
    assert b"https://concerto.example.eu/meetings/" in moved.content

    membership = focal_point.memberships.get(group=group)
    membership.role = "chair"
    membership.save()
    assert client.get(url, headers={"If-None-Match": moved["ETag"]}).status_code == 200


def test_a_same_length_retitle_before_circulation_changes_the_etag(client, group, chair, focal_point):
    make_meeting(group, chair, members=[focal_point], items=2, status=Status.SCHEDULED)
    url = member_feed_url(focal_point)
    etag = etag_of(client, url)

    item = AgendaItem.objects.get(meeting__group=group, position=1)
    services.update_agenda_item(item=item, by=chair, title_en="Item 1 in Englisx")

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize(("meetings", "items"), [(2, 3), (30, 20)])
def test_not_modified_builds_nothing_in_a_fixed_number_of_queries(
    client, group, chair, focal_point, django_assert_num_queries, meetings, items
):
    for _ in range(meetings):
        circulated_with_document(group, chair, focal_point)
    for url, queries in ((member_feed_url(focal_point), 4), (group_feed_url(group, focal_point), 5)):
        etag = client.get(url)["ETag"]
        calendar.event_cache.clear()
        # member (, group, role), the meetings' and items' totals, the documents' (, the invitations')
        with django_assert_num_queries(queries):
            response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert not calendar.event_cache.entries  # nothing was built


def test_an_agenda_edit_in_the_admin_changes_the_etag(client, rf, admin_user, group, chair, focal_point):
    """The admin saves agenda items without the services: it moves the meeting's updated_at."""
    from django.contrib.admin import site

    make_meeting(group, chair, members=[focal_point], items=2, status=Meeting.Status.SCHEDULED)
    url = member_feed_url(focal_point)
    item_admin = site._registry[AgendaItem]
    request = rf.post("/admin/")
    request.user = admin_user

    etag = etag_of(client, url)
    item = AgendaItem.objects.get(meeting__group=group, position=1)
    item.title_en = "Item 1 in Englisx"  # the same length: only updated_at can tell
    item_admin.save_model(request, item, None, True)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200

    etag = etag_of(client, url)
    item_admin.delete_model(request, AgendaItem.objects.get(meeting__group=group, position=2))
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200

    etag = etag_of(client, url)
    item_admin.delete_queryset(request, AgendaItem.objects.filter(meeting__group=group))
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200
