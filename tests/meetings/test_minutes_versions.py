"""Versions of minutes: what a snapshot keeps, the word difference, and who may see it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import minutes as service
from meetings.minutes_versions import diff, inline_diff, snapshot
from meetings.models import Minutes, MinutesVersion
from tests.meetings.factories import make_items, speaks
from tests.meetings.minutes_factories import held_meeting

pytestmark = pytest.mark.django_db


def _minutes(group, secretariat) -> Minutes:
    meeting = held_meeting(group, secretariat)
    make_items(meeting, 2)
    return service.start_minutes(meeting=meeting, by=secretariat, language="en")


def _save(minutes, item, by, summary: str, decisions=()):
    service.save_item(
        item=item,
        by=by,
        summary={"en": summary, "fr": f"FR {summary}"},
        decisions=[service.DecisionText(text={"en": text}) for text in decisions],
        actions=[service.ActionText(text={"en": "Report"}, owner_administration=by.administration)],
    )


def test_a_snapshot_keeps_every_text_in_every_language(group, secretariat):
    minutes = _minutes(group, secretariat)
    item = minutes.items.order_by("position").first()
    _save(minutes, item, secretariat, "We talked", ["Agreed"])
    content = snapshot(minutes)
    first = content["items"][0]
    assert first["title"] == {"nl": "", "fr": "Point 1", "de": "", "en": "Item 1"}
    assert first["summary"]["fr"] == "FR We talked"
    assert first["decisions"][0]["text"]["en"] == "Agreed" and first["decisions"][0]["number"]
    assert first["actions"][0]["owner_administration"] == secretariat.administration.acronym


def test_the_inline_difference_marks_words_and_escapes_everything():
    html = inline_diff("the group agrees <b>", "the group firmly agrees <i>")
    assert "<ins>firmly </ins>" in html
    assert "<del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>" in html
    assert "<b>" not in html and "<i>" not in html


def test_diff_shows_changed_added_and_removed_items(group, secretariat):
    minutes = _minutes(group, secretariat)
    first = minutes.items.order_by("position").first()
    old = snapshot(minutes)
    added = service.add_item(minutes=minutes, by=secretariat, title={"en": "AOB"})
    _save(minutes, first, secretariat, "New words")
    new = snapshot(minutes)
    states = [(d.title, d.state) for d in diff(old, new, "en")]
    assert states == [("Item 1", "changed"), ("Item 2", "same"), ("AOB", "added")]
    service.remove_item(item=added, by=secretariat)
    states = [(d.title, d.state) for d in diff(new, snapshot(minutes), "en")]
    assert states == [("Item 1", "same"), ("Item 2", "same"), ("AOB", "removed")]


def test_diff_falls_back_to_another_language(group, secretariat):
    minutes = _minutes(group, secretariat)
    old = snapshot(minutes)
    _save(minutes, minutes.items.order_by("position").first(), secretariat, "Words")
    # German texts are empty: English is shown.
    assert "<ins>" in diff(old, snapshot(minutes), "de")[0].html
    assert "Words" in diff(old, snapshot(minutes), "de")[0].html


PAYLOAD = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def test_a_script_in_a_summary_is_inert_in_the_version_diff(client, group, secretariat):
    minutes = _minutes(group, secretariat)
    _save(minutes, minutes.items.order_by("position").first(), secretariat, PAYLOAD)
    client.force_login(speaks(secretariat, "en").user)
    versions = client.get(reverse("minutes:versions", args=[minutes.meeting_id]))
    assert versions.status_code == 200
    page = client.get(reverse("minutes:diff", args=[minutes.meeting_id, 1, 2])).content.decode()
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "<ins>" in page


def test_readers_see_only_the_versions_of_what_they_may_read(
    client, group, chair, secretariat, observer, outsider
):
    minutes = _minutes(group, secretariat)
    _save(minutes, minutes.items.order_by("position").first(), secretariat, "Draft words")
    service.send_for_comments(
        minutes=minutes,
        by=secretariat,
        audience=Minutes.Audience.GROUP,
        deadline=timezone.now() + timedelta(days=2),
    )
    _save(minutes, minutes.items.order_by("position").first(), secretariat, "Amended words")
    numbers = dict(MinutesVersion.objects.filter(minutes=minutes).values_list("status", "number"))
    service.approve(minutes=minutes, by=chair)
    service.publish(minutes=minutes, by=secretariat)
    approved = MinutesVersion.objects.get(minutes=minutes, status="approved").number
    url = reverse("minutes:diff", args=[minutes.meeting_id, numbers["for_comments"], approved])

    client.force_login(observer.user)
    assert client.get(url).status_code == 404  # a version from before publication
    assert (
        client.get(reverse("minutes:diff", args=[minutes.meeting_id, approved, approved])).status_code == 200
    )
    client.force_login(secretariat.user)
    assert client.get(url).status_code == 200
    client.force_login(outsider.user)
    assert client.get(reverse("minutes:versions", args=[minutes.meeting_id])).status_code == 404
