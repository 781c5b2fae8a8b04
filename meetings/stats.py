"""Participation statistics: per level and per administration, over a period, how many meetings
each was invited to, answered and attended; and the geometry of the bar chart that shows them.

Counts are of meetings, not of people: an administration with three invitees at one meeting
was invited to one meeting; it answered it if one of them answered (anything), and attended it
if one of them was recorded present or was represented by their substitute.
Only meetings that were held or are scheduled count (not drafts, not cancelled ones).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from meetings.models import Attendance, Invitation, Meeting
from members.models import Administration, Group

Level = Administration.Level

COUNTED = (Meeting.Status.SCHEDULED, Meeting.Status.HELD)


@dataclass
class ParticipationRow:
    key: str
    label: str
    invited: int
    answered: int
    attended: int
    # The full name of an administration (its label is the acronym); "" for a level.
    title: str = ""

    @property
    def answered_rate(self) -> int:
        """Percentage of the meetings invited to that were answered, rounded."""
        return round(100 * self.answered / self.invited) if self.invited else 0

    @property
    def attended_rate(self) -> int:
        return round(100 * self.attended / self.invited) if self.invited else 0


@dataclass
class Participation:
    start: date
    end: date
    meeting_count: int
    levels: list[ParticipationRow]
    administrations: list[ParticipationRow]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months: from the same day a year ago up to today."""
    today = today or timezone.localdate()
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start, today


# A day away from the ends of the calendar, where converting to UTC would overflow.
_FIRST_DAY = date.min + timedelta(days=2)
_LAST_DAY = date.max - timedelta(days=2)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of `start` to the start of the day after `end`, in the current time zone."""
    zone = timezone.get_current_timezone()
    start, end = max(start, _FIRST_DAY), min(end, _LAST_DAY)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def participation(*, groups: list[Group], start: date, end: date) -> Participation:
    """The statistics of the meetings of `groups` starting between `start` and `end` (both included).

    Four queries whatever the number of meetings and invitees.
    """
    since, until = _bounds(start, end)
    meetings = Meeting.objects.filter(
        group__in=groups, status__in=COUNTED, starts_at__gte=since, starts_at__lt=until
    )
    invitations = Invitation.objects.filter(
        meeting__in=meetings, removed_at__isnull=True, member__administration__isnull=False
    )
    counts = {
        "invited": Count("meeting", distinct=True),
        "answered": Count("meeting", distinct=True, filter=~Q(rsvp=Invitation.Rsvp.NONE)),
        "attended": Count(
            "meeting",
            distinct=True,
            filter=Q(attendance__status=Attendance.Status.PRESENT)
            | Q(attendance__represented_by__isnull=False),
        ),
    }
    by_level = {
        row["member__administration__level"]: row
        for row in invitations.values("member__administration__level").annotate(**counts).order_by()
    }
    by_administration = list(invitations.values("member__administration").annotate(**counts).order_by())
    names = Administration.objects.in_bulk([row["member__administration"] for row in by_administration])

    levels = [
        ParticipationRow(
            key=level,
            label=str(label),
            invited=by_level[level]["invited"],
            answered=by_level[level]["answered"],
            attended=by_level[level]["attended"],
        )
        for level, label in Level.choices
        if level in by_level
    ]
    order = {value: index for index, value in enumerate(Level.values)}
    administrations = sorted(
        (
            ParticipationRow(
                key=names[row["member__administration"]].level,
                label=names[row["member__administration"]].acronym,
                title=names[row["member__administration"]].name,
                invited=row["invited"],
                answered=row["answered"],
                attended=row["attended"],
            )
            for row in by_administration
        ),
        key=lambda r: (order.get(r.key, 99), r.label),
    )
    return Participation(
        start=start,
        end=end,
        meeting_count=meetings.count(),
        levels=levels,
        administrations=administrations,
    )


# --- The bar chart (drawn as SVG by the template, no JavaScript) ------------------------------

SERIES = ("invited", "answered", "attended")
LABEL_WIDTH = 170
BAR_AREA = 420
BAR_HEIGHT = 14
ROW_GAP = 14
TOP = 8


@dataclass
class Bar:
    series: str
    value: int
    x: int
    y: int
    width: int
    height: int
    text_x: int
    text_y: int


@dataclass
class ChartRow:
    label: str
    label_y: int
    bars: list[Bar]


def bar_chart(rows: list[ParticipationRow]) -> dict:
    """Horizontal grouped bars (invited, answered, attended) per row, scaled to the largest value.

    Returns {"rows", "width", "height", "label_width"}: coordinates the template writes out.
    """
    largest = max((row.invited for row in rows), default=0) or 1
    chart_rows = []
    y = TOP
    for row in rows:
        bars = []
        for index, series in enumerate(SERIES):
            value = getattr(row, series)
            width = round(BAR_AREA * value / largest)
            bar_y = y + index * BAR_HEIGHT
            bars.append(
                Bar(
                    series=series,
                    value=value,
                    x=LABEL_WIDTH,
                    y=bar_y,
                    width=width,
                    height=BAR_HEIGHT - 2,
                    text_x=LABEL_WIDTH + width + 4,
                    text_y=bar_y + BAR_HEIGHT - 4,
                )
            )
        chart_rows.append(
            ChartRow(label=row.label, label_y=y + (len(SERIES) * BAR_HEIGHT) // 2 + 4, bars=bars)
        )
        y += len(SERIES) * BAR_HEIGHT + ROW_GAP
    return {
        "rows": chart_rows,
        "width": LABEL_WIDTH + BAR_AREA + 40,
        "height": max(y, TOP + ROW_GAP),
        "label_width": LABEL_WIDTH - 8,
    }
