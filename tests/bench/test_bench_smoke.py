"""`make bench` cannot rot: its data generator (in miniature) and its report run without error."""

import pytest

from meetings.models import AgendaItem, Invitation, Meeting
from members.models import Group, Member
from tests.bench import data, report


@pytest.mark.django_db
def test_the_generator_makes_the_cases_the_bench_measures():
    scenario = data.generate(data.TINY)
    size = data.TINY
    assert Member.objects.count() == size.members
    assert Meeting.objects.count() == size.meetings
    assert Invitation.objects.count() == size.invitations
    assert Meeting.objects.filter(group__slug=scenario.big_group).count() == size.big_group_meetings
    assert AgendaItem.objects.filter(meeting_id=scenario.heavy_meeting).count() == size.heavy_items
    assert Invitation.objects.filter(meeting_id=scenario.heavy_meeting).count() == size.plenary_members
    busy = Member.objects.get(user_id=scenario.busy_user)
    upcoming = Meeting.objects.upcoming().filter(invitations__member=busy).count()
    assert upcoming == size.upcoming_in_big_group
    assert {code for (code,) in Invitation.objects.values_list("language").distinct()} == {"nl", "fr", "de", "en"}
    assert Invitation.objects.exclude(rsvp="none").exists()
    assert Group.objects.count() == size.groups
    extra = data.add_minutes_and_commitments(scenario)
    assert extra["commitments"] == 5


def test_the_report_judges_every_target_and_writes_markdown(tmp_path):
    results = {
        "pages": {
            "floor": {"status": 200, "bytes": 9000, "queries": 4, "median_ms": 5.0, "p95_ms": 6.0, "rps": 200.0},
            "meeting 40 items": {"status": 200, "bytes": 300000, "queries": 10, "median_ms": 150.0, "rps": 10.0},
            "meeting 20 items": {"status": 200, "bytes": 90000, "queries": 10, "median_ms": 20.0, "rps": 90.0},
            "group feed 2000": {"status": 200, "bytes": 4_000_000, "median_ms": 1200.0, "rps": 1.0},
            "group feed 2000, If-None-Match": {"status": 304, "bytes": 0, "median_ms": 8.0, "rps": 500.0},
            "one .ics": {"status": 200, "queries": 5},
        },
        "icalendar_floor_ms": 1000.0,
        "circulation": {"end_to_end_s": 12.5, "end_to_end_msg_per_s": 160.0, "smtplib_s": 6.6, "plain_smtplib_msg_per_s": 300.0},
        "memory": {"gunicorn worker peak RSS (VmHWM), largest of 4": "120 MiB"},
    }
    verdicts = {v.target: v.word for v in report.verdicts(results)}
    assert verdicts["meeting page, 40 items, 300 invitees"] == "FAIL"  # 5 % of the floor
    assert verdicts["meeting page, 20 items"] == "PASS"  # 45 %
    assert verdicts["group feed, 2,000 meetings, first request"] == "PASS"
    assert verdicts["the same feed, repeated (If-None-Match)"] == "PASS"
    assert verdicts["one meeting .ics"] == "FAIL"
    assert verdicts["circulating to 2,000 invitees, end to end"] == "PASS"
    assert verdicts["attendance page, 300 invitees"] == "FAIL"  # not measured
    path = report.write(results, tmp_path, "smoke.md")
    text = path.read_text()
    assert "| meeting 40 items | 200 |" in text and "**FAIL**" in text
    assert (tmp_path / "latest.md").read_text() == text


def test_the_feed_is_judged_on_its_first_request_when_its_events_are_kept():
    results = {
        "pages": {"group feed 2000": {"status": 200, "median_ms": 100.0}},
        "icalendar_floor_ms": 1000.0,
        "group_feed_cold_ms": 1600.0,  # the first request: no event kept yet
    }
    verdict = next(v for v in report.verdicts(results) if v.target.startswith("group feed"))
    assert verdict.word == "FAIL"
    assert "1600 ms = 1.60x" in verdict.measured and "kept: 100 ms" in verdict.measured
