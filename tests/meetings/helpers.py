"""Meetings built directly with the ORM, independent of meetings.services."""

import json
import secrets
import shutil
import subprocess
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from meetings.models import AgendaItem, Invitation, Meeting
from members.models import Group, Member, User
from tests.factories import AdministrationFactory

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


def brussels(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def next_winter_day(hour: int = 10) -> datetime:
    """A Tuesday in January after today, at `hour` Brussels time (winter: UTC+1)."""
    year = timezone.now().year + 1
    day = datetime(year, 1, 13, hour, tzinfo=BRUSSELS)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def bulk_members(count: int, languages=("en",), *, timezone_name: str = "Europe/Brussels") -> list[Member]:
    """`count` active members in a few queries (no memberships), languages taken in turn."""
    if count == 0:
        return []
    administration = AdministrationFactory()
    start = secrets.token_hex(4)
    users = User.objects.bulk_create(
        [
            User(
                email=f"invitee{start}-{i}@example.org",
                name=f"Invitee {start}-{i}",
                language=languages[i % len(languages)],
            )
            for i in range(count)
        ]
    )
    return Member.objects.bulk_create(
        [
            Member(
                user=user,
                administration=administration,
                timezone=timezone_name,
                feed_token=secrets.token_urlsafe(32),
            )
            for user in users
        ]
    )


def make_meeting(
    group: Group,
    organiser: Member | None = None,
    *,
    invitees: int = 0,
    items: int = 0,
    languages=("en",),
    members: list[Member] = (),
    starts_at: datetime | None = None,
    duration: timedelta = timedelta(hours=2),
    status: str = Meeting.Status.DRAFT,
    **fields,
) -> Meeting:
    """A meeting of `group` with `items` agenda items, invitations for `members` and for
    `invitees` new members (their languages taken in turn from `languages`)."""
    starts_at = starts_at or next_winter_day()
    defaults = {
        "title_en": "Plenary on the CSR action plan",
        "title_nl": "Plenaire over het MVO-actieplan",
        "title_fr": "Plénière sur le plan d'action RSE",
        "description_en": "Yearly review.",
        "format": Meeting.Format.HYBRID,
        "location": "Rue de la Loi 16\n1000 Brussels",
        "online_url": "https://meet.example.org/csr-plenary",
    }
    meeting = Meeting.objects.create(
        group=group,
        organiser=organiser,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        status=status,
        **{**defaults, **fields},
    )
    kinds = list(AgendaItem.Kind)
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                position=i + 1,
                title_en=f"Item {i + 1} in English",
                title_nl=f"Punt {i + 1} in het Nederlands",
                title_fr=f"Point {i + 1} en français",
                kind=kinds[i % len(kinds)],
                duration_minutes=15 + 5 * (i % 3),
                presenter=organiser if i == 0 else None,
                presenter_administration=organiser.administration if organiser and i % 2 else None,
            )
            for i in range(items)
        ]
    )
    invite(meeting, [*members, *bulk_members(invitees, languages)])
    return meeting


def invite(meeting: Meeting, members, **fields) -> list[Invitation]:
    return Invitation.objects.bulk_create(
        [Invitation(meeting=meeting, member=member, language=member.language, **fields) for member in members]
    )


def circulated(meeting: Meeting, sequence: int | None = None) -> Meeting:
    """Mark the meeting as circulated to all its invitees (without sending anything)."""
    meeting.status = Meeting.Status.SCHEDULED
    meeting.circulated_at = timezone.now() - timedelta(days=10)
    if sequence is not None:
        meeting.sequence = sequence
    meeting.save()
    meeting.invitations.update(sent_sequence=meeting.sequence)
    return meeting


def parse_calendar(data: bytes | str):
    """(icalendar.Calendar, vobject component): the file must satisfy both parsers."""
    import icalendar
    import vobject

    text = data.decode() if isinstance(data, bytes) else data
    return icalendar.Calendar.from_ical(text), vobject.readOne(text, validate=True)


def loaded(meeting: Meeting) -> Meeting:
    """The meeting as the calendar and email code expect it: agenda and documents loaded."""
    return Meeting.objects.with_detail_data().get(pk=meeting.pk)


def invitation_of(meeting: Meeting, member: Member | None = None, **lookup) -> Invitation:
    """The meeting's invitation of `member` (or matching `lookup`), pointing at loaded(meeting)."""
    if member is not None:
        lookup["member"] = member
    invitation = meeting.invitations.select_related("member__user").get(**lookup)
    invitation.meeting = loaded(meeting)
    return invitation


ICALJS = Path(__file__).parent / "icaljs"


def icaljs_available() -> bool:
    """Node and ical.js installed (`npm ci --prefix tests/meetings/icaljs`)."""
    return bool(shutil.which("node")) and (ICALJS / "node_modules" / "ical.js").is_dir()


def parse_with_icaljs(data: bytes) -> dict:
    """What Mozilla's ical.js (Thunderbird's parser) reads in the file; see icaljs/parse.mjs."""
    result = subprocess.run(
        ["node", str(ICALJS / "parse.mjs")], input=data, capture_output=True, check=True, timeout=60
    )
    return json.loads(result.stdout)
