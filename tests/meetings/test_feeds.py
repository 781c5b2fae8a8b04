"""Calendar feeds and the meeting download over HTTP: access, caching, query budgets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_http_date

from meetings import calendar, services
from meetings.models import Document, DocumentFile, Invitation, Meeting
from members.services import deactivate_member, regenerate_feed_token
from tests.meetings.factories import make_document
from tests.meetings.helpers import circulated, invite, make_meeting, parse_calendar

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Status = Meeting.Status


def feed_url(member) -> str:
    return reverse("meetings:member-feed", args=[member.feed_token])


def group_feed_url(group, member) -> str:
    return reverse("meetings:group-feed", args=[group.slug, member.feed_token])


def events_by_uid(response) -> dict:
    ical, _vcal = parse_calendar(response.content)
    return {str(event["UID"]): event for event in ical.walk("VEVENT")}


def test_member_feed_lists_the_meetings_the_member_is_invited_to_with_their_answer(
    client, group, other_group, chair, focal_point, outsider
):
    accepted = make_meeting(group, chair, members=[focal_point], status=Status.SCHEDULED)
    cancelled = make_meeting(group, chair, members=[focal_point], status=Status.CANCELLED, sequence=2)
    draft = make_meeting(group, chair, members=[focal_point])
    removed = make_meeting(group, chair, members=[focal_point], status=Status.SCHEDULED)
    not_invited = make_meeting(other_group, outsider, members=[outsider], status=Status.SCHEDULED)
    accepted.invitations.update(rsvp=Rsvp.ACCEPTED)
    removed.invitations.update(removed_at=timezone.now())

    response = client.get(feed_url(focal_point))  # no sign-in: the token is the key

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_by_uid(response)
    assert set(events) == {accepted.uid, cancelled.uid}
    assert draft.uid not in events and removed.uid not in events and not_invited.uid not in events
    assert events[accepted.uid]["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert events[accepted.uid]["STATUS"] == "CONFIRMED"
    assert events[cancelled.uid]["STATUS"] == "CANCELLED"
    assert events[cancelled.uid]["SEQUENCE"] == 2
    assert events[cancelled.uid]["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"


def test_member_feed_is_in_the_members_language(client, group, chair, secretariat):
    make_meeting(group, chair, members=[secretariat], status=Status.SCHEDULED)  # secretariat reads French

    events = events_by_uid(client.get(feed_url(secretariat)))

    assert [str(e["SUMMARY"]) for e in events.values()] == ["Plénière sur le plan d'action RSE"]


def test_feed_answers_not_modified_while_nothing_changed(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], status=Status.SCHEDULED)
    first = client.get(feed_url(focal_point))
    etag, last_modified = first["ETag"], first["Last-Modified"]

    again = client.get(feed_url(focal_point), headers={"If-None-Match": etag})
    both = client.get(
        feed_url(focal_point), headers={"If-None-Match": etag, "If-Modified-Since": last_modified}
    )

    assert (again.status_code, again.content) == (304, b"")
    assert both.status_code == 304
    # The member answers: the feed is new, and so is its ETag.
    meeting.invitations.update(rsvp=Rsvp.DECLINED, rsvp_at=timezone.now() + timedelta(seconds=2))
    changed = client.get(feed_url(focal_point), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert events_by_uid(changed)[meeting.uid]["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_feed_etag_changes_when_the_agenda_changes(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], items=2, status=Status.SCHEDULED)
    etag = client.get(feed_url(focal_point))["ETag"]

    # Before circulation no revision is raised: the meeting is saved, and the validator sees it.
    item = meeting.agenda_items.get(position=1)
    services.update_agenda_item(item=item, by=chair, title_en="A new first item")

    response = client.get(feed_url(focal_point), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "A new first item" in str(events_by_uid(response)[meeting.uid]["DESCRIPTION"])


def test_feed_never_answers_not_modified_to_if_modified_since_alone(client, group, chair, focal_point):
    make_meeting(group, chair, members=[focal_point], status=Status.SCHEDULED)
    first = client.get(feed_url(focal_point))

    # Agenda edits carry no timestamp, so the date cannot prove the copy is current.
    since = client.get(feed_url(focal_point), headers={"If-Modified-Since": first["Last-Modified"]})

    assert since.status_code == 200
    assert since.content == first.content


def settled_meeting(group, chair, members) -> Meeting:
    """A scheduled meeting with two items and a document, all last changed a day ago."""
    meeting = make_meeting(group, chair, members=members, items=2, status=Status.SCHEDULED)
    make_document(meeting)
    yesterday = timezone.now() - timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(updated_at=yesterday)
    Document.objects.filter(meeting=meeting).update(created_at=yesterday)
    DocumentFile.objects.filter(document__meeting=meeting).update(uploaded_at=yesterday)
    meeting.invitations.update(created_at=yesterday)
    return meeting


def add_document_version(meeting: Meeting) -> None:
    latest = DocumentFile.objects.get(document__meeting=meeting)
    DocumentFile.objects.create(
        document=latest.document,
        version=2,
        file=latest.file.name,
        original_name=latest.original_name,
        content_type=latest.content_type,
        size=latest.size,
    )


# What the chair and secretariat do to an agenda before it goes out: the meeting is saved (its
# `updated_at` moves), and the validator sees only that. The services are the agenda's only
# write paths.
# (Documents are not in the feed file: their dates count through Last-Modified, part of the ETag.)
AGENDA_AND_DOCUMENT_CHANGES = {
    "an item is added": lambda m: services.add_agenda_item(meeting=m, title_en="A late addition"),
    "an item is renamed": lambda m: services.update_agenda_item(
        item=m.agenda_items.get(position=2), title_en="Renamed"
    ),
    "items are reordered": lambda m: services.move_agenda_item(
        item=m.agenda_items.get(position=1), direction="down"
    ),
    "an item is removed": lambda m: services.remove_agenda_item(item=m.agenda_items.get(position=2)),
    "a document is added": lambda m: make_document(m, title="Late paper"),
    "a new version is uploaded": add_document_version,
}
FEEDS = {"member feed": lambda group, member: feed_url(member), "group feed": group_feed_url}


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
@pytest.mark.parametrize(
    "change", AGENDA_AND_DOCUMENT_CHANGES.values(), ids=AGENDA_AND_DOCUMENT_CHANGES.keys()
)
def test_feed_is_sent_again_after_an_agenda_or_document_change(
    client, group, chair, focal_point, feed, change
):
    meeting = settled_meeting(group, chair, [focal_point])
    url = feed(group, focal_point)
    first = client.get(url)
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304

    change(meeting)

    with_old_etag = client.get(url, headers={"If-None-Match": first["ETag"]})
    with_old_date = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert with_old_etag.status_code == 200
    assert with_old_etag["ETag"] != first["ETag"]
    assert with_old_date.status_code == 200


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
@pytest.mark.parametrize(
    "change",
    [AGENDA_AND_DOCUMENT_CHANGES["a document is added"], add_document_version],
    ids=["a document is added", "a new version is uploaded"],
)
def test_feed_last_modified_moves_when_a_document_is_uploaded(
    client, group, chair, focal_point, feed, change
):
    meeting = settled_meeting(group, chair, [focal_point])
    url = feed(group, focal_point)
    before = client.get(url)["Last-Modified"]

    change(meeting)

    after = client.get(url)["Last-Modified"]
    assert parse_http_date(after) > parse_http_date(before)


def test_regenerated_token_cuts_off_the_old_feed(client, group, chair, focal_point):
    make_meeting(group, chair, members=[focal_point], status=Status.SCHEDULED)
    old_url = feed_url(focal_point)

    regenerate_feed_token(member=focal_point)

    assert client.get(old_url).status_code == 404
    assert client.get(feed_url(focal_point)).status_code == 200


def test_unknown_token_finds_nothing(client, focal_point):
    assert client.get(reverse("meetings:member-feed", args=["not-a-token"])).status_code == 404


def test_deactivated_member_has_no_feed(client, group, chair, focal_point):
    make_meeting(group, chair, members=[focal_point], status=Status.SCHEDULED)

    deactivate_member(member=focal_point)

    assert client.get(feed_url(focal_point)).status_code == 404


def test_group_member_can_subscribe_to_the_group_feed(client, group, other_group, chair, observer, outsider):
    scheduled = make_meeting(group, chair, status=Status.SCHEDULED)
    draft = make_meeting(group, chair)
    elsewhere = make_meeting(other_group, outsider, status=Status.SCHEDULED)

    response = client.get(group_feed_url(group, observer))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_by_uid(response)
    assert set(events) == {scheduled.uid}
    assert draft.uid not in events and elsewhere.uid not in events
    assert (
        client.get(group_feed_url(group, observer), headers={"If-None-Match": response["ETag"]}).status_code
        == 304
    )


def test_outsider_cannot_read_the_group_feed(client, group, chair, outsider):
    make_meeting(group, chair, status=Status.SCHEDULED)

    assert client.get(group_feed_url(group, outsider)).status_code == 404
    missing = reverse("meetings:group-feed", args=["no-such-group", outsider.feed_token])
    assert client.get(missing).status_code == 404


def test_member_can_download_a_meeting_of_their_group(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, items=2, status=Status.SCHEDULED)
    client.force_login(focal_point.user)

    response = client.get(reverse("meetings:meeting-ics", args=[meeting.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="meeting-{meeting.pk}.ics"'
    ical, _vcal = parse_calendar(response.content)
    assert ical["METHOD"] == "PUBLISH"
    assert [str(e["UID"]) for e in ical.walk("VEVENT")] == [meeting.uid]


def test_outsider_cannot_download_a_meeting(client, group, chair, outsider):
    meeting = make_meeting(group, chair, status=Status.SCHEDULED)
    client.force_login(outsider.user)

    assert client.get(reverse("meetings:meeting-ics", args=[meeting.pk])).status_code == 404


def test_personally_invited_outsider_can_download_the_meeting(client, group, chair, outsider):
    meeting = make_meeting(group, chair, members=[outsider], status=Status.SCHEDULED)
    client.force_login(outsider.user)

    assert client.get(reverse("meetings:meeting-ics", args=[meeting.pk])).status_code == 200


def test_member_cannot_download_a_draft_but_the_chair_can(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    url = reverse("meetings:meeting-ics", args=[meeting.pk])

    client.force_login(focal_point.user)
    assert client.get(url).status_code == 404
    client.force_login(chair.user)
    assert client.get(url).status_code == 200


def test_anonymous_visitor_is_sent_to_sign_in_for_a_download(client, group, chair):
    meeting = make_meeting(group, chair, status=Status.SCHEDULED)

    response = client.get(reverse("meetings:meeting-ics", args=[meeting.pk]))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- Query budgets: the same number of queries for 5 or 300 invitees, 3 or 40 items -------


@pytest.mark.parametrize(("invitees", "items"), [(5, 3), (300, 40)])
def test_member_feed_queries_do_not_grow(
    client, group, chair, focal_point, django_assert_num_queries, invitees, items
):
    for _ in range(3):
        meeting = make_meeting(group, chair, members=[focal_point], invitees=invitees, items=items)
        circulated(meeting)

    calendar.event_cache.clear()
    # member, the totals of the validator (invitations, meetings and items, documents), then
    # the file: the meetings' and agenda items' columns (the events not cached are written from
    # them), my answers
    with django_assert_num_queries(7):
        response = client.get(feed_url(focal_point))
    # Every event cached: the same columns check them.
    with django_assert_num_queries(7):
        again = client.get(feed_url(focal_point))

    assert len(events_by_uid(response)) == 3
    assert again.content == response.content


@pytest.mark.parametrize(("invitees", "items"), [(5, 3), (300, 40)])
def test_group_feed_queries_do_not_grow(
    client, group, chair, focal_point, django_assert_num_queries, invitees, items
):
    for _ in range(3):
        circulated(make_meeting(group, chair, invitees=invitees, items=items))

    calendar.event_cache.clear()
    # member, group, role in the group, the totals of the validator (meetings and items,
    # documents), then the file: the meetings' and agenda items' columns (the events not cached
    # are written from them)
    with django_assert_num_queries(7):
        response = client.get(group_feed_url(group, focal_point))
    with django_assert_num_queries(7):
        again = client.get(group_feed_url(group, focal_point))

    assert len(events_by_uid(response)) == 3
    assert again.content == response.content


@pytest.mark.parametrize(("invitees", "items"), [(5, 3), (300, 40)])
def test_meeting_download_queries_do_not_grow(
    client, group, chair, focal_point, django_assert_num_queries, invitees, items
):
    meeting = circulated(make_meeting(group, chair, invitees=invitees, items=items))
    invite(meeting, [focal_point])
    client.force_login(focal_point.user)

    # session, user, member, then the agenda items with their meeting (if the member may see it)
    with django_assert_num_queries(4):
        response = client.get(reverse("meetings:meeting-ics", args=[meeting.pk]))

    assert response.status_code == 200
    event = events_by_uid(response)[meeting.uid]
    assert str(event["DESCRIPTION"]).count(" min)") == items


def test_meeting_without_agenda_is_downloaded_too(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, status=Status.SCHEDULED)
    client.force_login(focal_point.user)

    response = client.get(reverse("meetings:meeting-ics", args=[meeting.pk]))

    assert response.status_code == 200
    description = str(events_by_uid(response)[meeting.uid]["DESCRIPTION"])
    assert description.startswith("Yearly review.") and "Agenda\n" not in description
