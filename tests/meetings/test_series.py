"""Series of meetings scheduled from a pattern: each occurrence is its own meeting."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from meetings import services
from meetings.models import Meeting, MeetingSeries
from meetings.services import Pattern
from tests.meetings.factories import BRUSSELS, speaks

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(chair):
    """The chair reads English in these tests, which read the page's messages."""
    return speaks(chair, "en")


NEXT_YEAR = timezone.now().year + 1
WEDNESDAY, MONDAY = 2, 0


def first(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(NEXT_YEAR, month, day, hour, tzinfo=BRUSSELS)


def schedule(group, chair, **overrides) -> MeetingSeries:
    values = {
        "title_en": "Working group",
        "format": Meeting.Format.ONLINE,
        "online_url": "https://meet.example.org/wg",
        "starts_at": first(2, 1),
        "ends_at": first(2, 1, 12),
        "pattern": Pattern.NTH_WEEKDAY,
        "nth": 3,
        "weekday": WEDNESDAY,
        "count": 4,
    }
    values.update(overrides)
    return services.schedule_series(group=group, by=chair, **values)


def local_starts(series: MeetingSeries) -> list[datetime]:
    return [timezone.localtime(m.starts_at, BRUSSELS) for m in series.meetings.order_by("starts_at")]


def test_every_third_wednesday_keeps_its_local_time_across_summer_time(group, chair):
    with translation.override("en"):  # the pattern is described in the language of the one scheduling
        series = schedule(group, chair)

    starts = local_starts(series)
    assert [s.date() for s in starts] == [
        d
        for d in (date(NEXT_YEAR, m, day) for m in (2, 3, 4, 5) for day in range(15, 22))
        if d.weekday() == WEDNESDAY
    ]
    assert {(s.hour, s.minute) for s in starts} == {(10, 0)}
    # Stored in UTC: 09:00 in winter, 08:00 in summer.
    assert {m.starts_at.astimezone(BRUSSELS).utcoffset() for m in series.meetings.all()} == {
        timedelta(hours=1),
        timedelta(hours=2),
    }
    assert all(m.ends_at - m.starts_at == timedelta(hours=2) for m in series.meetings.all())
    assert series.rule == "FREQ=MONTHLY;BYDAY=+3WE;COUNT=4"
    assert series.description == "The third wednesday of each month"


def test_first_monday_of_each_quarter(group, chair):
    series = schedule(
        group,
        chair,
        pattern=Pattern.QUARTERLY,
        weekday=MONDAY,
        nth=None,
        starts_at=first(1, 1),
        ends_at=first(1, 1, 11),
    )

    starts = local_starts(series)
    assert [s.month for s in starts] == [1, 4, 7, 10]
    assert all(s.weekday() == MONDAY and s.day <= 7 for s in starts)


def test_weekly_and_monthly_patterns_follow_the_first_date(group, chair):
    weekly = schedule(
        group,
        chair,
        pattern=Pattern.WEEKLY,
        weekday=None,
        nth=None,
        count=3,
        starts_at=first(3, 4, 9),
        ends_at=first(3, 4, 10),
    )
    assert [s.date() for s in local_starts(weekly)] == [
        date(NEXT_YEAR, 3, 4) + timedelta(weeks=n) for n in range(3)
    ]

    monthly = schedule(
        group,
        chair,
        pattern=Pattern.MONTHLY,
        weekday=None,
        nth=None,
        count=3,
        starts_at=first(3, 12),
        ends_at=first(3, 12, 11),
    )
    assert [(s.month, s.day) for s in local_starts(monthly)] == [(3, 12), (4, 12), (5, 12)]


def test_series_until_a_date(group, chair):
    series = schedule(group, chair, count=None, until=date(NEXT_YEAR, 6, 30))
    assert [s.month for s in local_starts(series)] == [2, 3, 4, 5, 6]


def test_an_organiser_with_an_unknown_time_zone_schedules_in_brussels_time(group, chair):
    chair.timezone = "Mars/Olympus"
    series = schedule(group, chair, count=2)
    assert [(s.month, s.hour) for s in local_starts(series)] == [(2, 10), (3, 10)]


def test_each_occurrence_is_its_own_meeting_with_its_own_invitations(group, chair, focal_point):
    series = schedule(group, chair, rsvp_deadline=first(1, 25))  # a week before the first possible date

    meetings = list(series.meetings.all())
    assert len(meetings) == 4
    assert len({m.uid for m in meetings}) == 4
    for meeting in meetings:
        assert set(meeting.invitations.values_list("member_id", flat=True)) == {chair.pk, focal_point.pk}
        assert meeting.organiser == chair
        # The deadline keeps its notice: 7 days before the first date of the pattern, i.e. the same
        # distance before each meeting as before the series' start.
        assert meeting.starts_at - meeting.rsvp_deadline == first(2, 1) - first(1, 25)


@pytest.mark.parametrize(
    "overrides",
    [
        {"count": None},  # neither count nor end date
        {"until": date(NEXT_YEAR, 6, 1)},  # both
        {"count": 53},
        {"count": None, "until": date(NEXT_YEAR, 1, 1)},  # before the first meeting
        {"count": None, "until": date(NEXT_YEAR + 3, 1, 1), "pattern": Pattern.WEEKLY},  # too many
        {"nth": None},
        {"pattern": "fortnightly"},
        {"ends_at": first(2, 1, 9)},
        {"format": Meeting.Format.ONLINE, "online_url": ""},
    ],
)
def test_bad_series_is_refused_and_schedules_nothing(group, chair, overrides):
    with pytest.raises(ValidationError):
        schedule(group, chair, **overrides)
    assert Meeting.objects.count() == 0
    assert MeetingSeries.objects.count() == 0


def test_chair_schedules_a_series_from_the_page(client, group, chair):
    client.force_login(chair.user)
    data = {
        "title_en": "Working group",
        "kind": Meeting.Kind.WORKING_GROUP,
        "status": Meeting.Status.SCHEDULED,
        "starts_at": f"{NEXT_YEAR}-02-01T10:00",
        "ends_at": f"{NEXT_YEAR}-02-01T12:00",
        "format": Meeting.Format.ON_SITE,
        "location": "Rue de la Loi 16",
        "invite_whole_group": "on",
        "pattern": Pattern.NTH_WEEKDAY,
        "nth": "3",
        "weekday": str(WEDNESDAY),
        "count": "3",
    }

    response = client.post(reverse("meetings:series-create", args=[group.slug]), data)

    assert response.status_code == 302
    assert Meeting.objects.filter(series__isnull=False).count() == 3
    assert "3 meetings scheduled." in client.get(response.url).content.decode()


def test_series_form_without_count_or_end_date_says_so(client, group, chair):
    client.force_login(chair.user)
    data = {
        "title_en": "Working group",
        "kind": Meeting.Kind.WORKING_GROUP,
        "status": Meeting.Status.SCHEDULED,
        "starts_at": f"{NEXT_YEAR}-02-01T10:00",
        "ends_at": f"{NEXT_YEAR}-02-01T12:00",
        "format": Meeting.Format.ON_SITE,
        "location": "Rue de la Loi 16",
        "pattern": Pattern.WEEKLY,
    }

    response = client.post(reverse("meetings:series-create", args=[group.slug]), data)

    assert response.status_code == 200
    assert "Give either a number of meetings or an end date." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert Meeting.objects.count() == 0
