"""Fixes from the review of the minutes feature: each test failed before its fix."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from coordination.services import commitments_from_minutes
from meetings import minutes as service
from meetings.models import Decision, Meeting, Minutes
from members.outbox import Kind, OutboundMessage
from tests.factories import AdministrationFactory
from tests.meetings.factories import make_items, make_meeting, speaks
from tests.meetings.minutes_factories import attended, held_meeting, make_minutes

pytestmark = pytest.mark.django_db


def _minutes(group, secretariat, items: int = 2) -> Minutes:
    meeting = held_meeting(group, secretariat)
    make_items(meeting, items)
    return service.start_minutes(meeting=meeting, by=secretariat, language="en")


def _url(name: str, minutes: Minutes, *args) -> str:
    return reverse(f"minutes:{name}", args=[minutes.meeting_id, *args])


def _in(days: int):
    return timezone.now() + timedelta(days=days)


# --- Out for comments: a new deadline, sending again -------------------------------------------


def test_minutes_out_for_comments_take_a_later_deadline_and_can_be_sent_again(group, secretariat, focal_point):
    minutes = _minutes(group, secretariat)
    attended(minutes.meeting, focal_point)
    service.send_for_comments(minutes=minutes, by=secretariat, audience="attendees", deadline=_in(3))
    version = Minutes.objects.get().version

    later = _in(10)
    count = service.send_for_comments(minutes=minutes, by=secretariat, audience="attendees", deadline=later)
    minutes.refresh_from_db()
    assert count == 1
    assert (minutes.status, minutes.comment_deadline, minutes.version) == ("for_comments", later, version)
    assert OutboundMessage.objects.filter(kind=Kind.MINUTES, to_email=focal_point.user.email).count() == 2

    quiet = _in(12)
    assert service.send_for_comments(
        minutes=minutes, by=secretariat, audience="group", deadline=quiet, notify=False
    ) == 0
    minutes.refresh_from_db()
    assert (minutes.comment_deadline, minutes.comment_audience) == (quiet, "group")
    assert OutboundMessage.objects.filter(kind=Kind.MINUTES).count() == 2


def test_approved_minutes_cannot_be_sent_for_comments(group, chair, secretariat):
    minutes = _minutes(group, secretariat)
    service.approve(minutes=minutes, by=chair)
    with pytest.raises(ValidationError):
        service.send_for_comments(minutes=minutes, by=secretariat, audience="group", deadline=_in(3))
    assert Minutes.objects.get().status == "approved"


def test_the_secretariat_extends_the_deadline_from_the_minutes_page(client, group, secretariat, focal_point):
    minutes = _minutes(group, secretariat)
    service.send_for_comments(minutes=minutes, by=secretariat, audience="group", deadline=_in(3))
    client.force_login(speaks(secretariat, "en").user)
    page = client.get(_url("detail", minutes)).content.decode()
    assert _url("send", minutes) in page
    form = client.get(_url("send", minutes))
    assert form.status_code == 200 and 'name="notify"' in form.content.decode()
    new = timezone.localtime(_in(9)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_url("send", minutes), {"audience": "group", "deadline": new})
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert timezone.localtime(minutes.comment_deadline).strftime("%Y-%m-%dT%H:%M") == new
    assert not OutboundMessage.objects.filter(kind=Kind.MINUTES, batch__contains="-comments-v2-").exists()


# --- The difference of two versions marks text in another language --------------------------------


def test_the_difference_marks_an_item_shown_in_a_fallback_language(client, group, secretariat):
    minutes = _minutes(group, secretariat, items=1)
    item = minutes.items.get()
    service.save_item(
        item=item,
        by=secretariat,
        title={"en": "Budget"},
        summary={"en": "Figures for the year."},
        decisions=[],
        actions=[],
    )
    client.force_login(speaks(secretariat, "fr").user)
    page = client.get(_url("diff", minutes, 1, 2)).content.decode()
    assert '<span lang="en">Budget</span>' in page
    assert '<div class="diff prose" lang="en">' in page


# --- Decision numbers follow the site's calendar, not the editor's time zone -----------------------


def test_decision_numbers_do_not_depend_on_the_editors_time_zone(group, secretariat):
    brussels = zoneinfo.ZoneInfo("Europe/Brussels")
    # 23:30 on New Year's Eve in Brussels is already 1 January in Tokyo.
    meeting = make_meeting(
        group, secretariat, starts_at=datetime(2025, 12, 31, 23, 30, tzinfo=brussels), status=Meeting.Status.HELD
    )
    make_items(meeting, 1)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        minutes = service.start_minutes(meeting=meeting, by=secretariat, language="en")
        service.save_item(
            item=minutes.items.get(),
            by=secretariat,
            summary={"en": "Late meeting."},
            decisions=[service.DecisionText(text={"en": "Agreed."})],
            actions=[],
        )
    assert Decision.objects.get().number == "2025/01-1"


def test_the_commitments_source_reference_gives_the_meetings_day_in_brussels(group, chair, secretariat):
    brussels = zoneinfo.ZoneInfo("Europe/Brussels")
    meeting = make_meeting(
        group, chair, starts_at=datetime(2025, 12, 31, 23, 30, tzinfo=brussels), status=Meeting.Status.HELD
    )
    minutes = make_minutes(
        meeting, items=1, status=Minutes.Status.APPROVED, chair=chair, owner_administration=AdministrationFactory()
    )
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        made = commitments_from_minutes(minutes=minutes, by=chair)
    assert "2025" in made[0].source_reference and "2026" not in made[0].source_reference


# --- Removing an added item closes the gap in the numbering ----------------------------------------


def test_removing_an_added_item_renumbers_those_after_it(client, group, secretariat):
    minutes = _minutes(group, secretariat, items=2)
    first = service.add_item(minutes=minutes, by=secretariat, title={"en": "First other business"})
    second = service.add_item(minutes=minutes, by=secretariat, title={"en": "Second other business"})
    service.remove_item(item=first, by=secretariat)
    assert list(minutes.items.order_by("position").values_list("position", flat=True)) == [1, 2, 3]
    client.force_login(speaks(secretariat, "en").user)
    page = client.get(_url("item-edit", minutes, second.pk)).content.decode()
    assert "Minutes, item 3: Second other business" in page
