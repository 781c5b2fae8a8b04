"""Calendar files (iCalendar, RFC 5545) for meetings: invitations, downloads and feeds.

Invitations follow iTIP (RFC 5546) so that Outlook, Google Calendar, Apple Calendar and
Thunderbird update one event in place: the UID never changes (Meeting.uid), SEQUENCE is the
meeting's revision, METHOD:REQUEST invites or updates, METHOD:CANCEL takes the event away.
Times are written in Europe/Brussels with its VTIMEZONE, so clients show them in their own zone.

ORGANIZER: invitations, updates and cancellations (REQUEST, CANCEL) name the invitation's own
secret address (meetings.links.organizer_address), where the invitee's calendar sends its REPLY
and where Concerto checks it came from that invitee's file. Downloads (PUBLISH) and feeds (no
METHOD) expect no reply and name the plain settings.CALENDAR_ORGANIZER_EMAIL: they must never
carry an invitation's secret address.

Every function returns the file as bytes and reads only what its caller loaded: pass
meetings from `with_calendar_data()` or `Meeting.objects.with_agenda_data()` (both add
`meeting.agenda`), or the agenda items are left out.

Feeds join serialised events: each meeting's VEVENT (without the member's own ATTENDEE line) is
kept per process, keyed by the meeting and language and checked against every column the event
is written from (MEETING_COLUMNS, AGENDA_COLUMNS), read as plain rows: a feed whose events are
cached makes no model instances and is mostly joining bytes, and a cached event is never stale.
The file is byte for byte what a fresh build writes.
"""

import hashlib
import re
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import (
    Calendar,
    Component,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)
from icalendar.parser import Contentline

from core.i18n import LANGUAGE_CODES, localized
from meetings.invitees import invitation_language
from meetings.links import meeting_url, organizer_address
from meetings.models import AgendaItem, Invitation, Meeting
from meetings.plaintext import markdown_as_text
from members.models import Group, Member, User

PRODID = "-//Concerto//Meetings//EN"
TZID = "Europe/Brussels"
BRUSSELS = zoneinfo.ZoneInfo(TZID)

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"

PARTSTAT = {
    Invitation.Rsvp.NONE: "NEEDS-ACTION",
    Invitation.Rsvp.ACCEPTED: "ACCEPTED",
    Invitation.Rsvp.TENTATIVE: "TENTATIVE",
    Invitation.Rsvp.DECLINED: "DECLINED",
    Invitation.Rsvp.DELEGATED: "DELEGATED",
}

# How often subscribed calendars should look for changes (a hint; clients decide).
FEED_REFRESH = "PT1H"

# Raise when the way files are written changes: feed validators (ETags) and cached events change too.
FILE_FORMAT = 2
END_CALENDAR = b"END:VCALENDAR\r\n"
END_EVENT = b"END:VEVENT\r\n"


def _fold(line: str) -> bytes:
    """One content line as icalendar writes it (icalendar.parser.string._foldline, then UTF-8):
    pieces of at most 74 octets, never split inside a character, and a backslash or caret that
    would end a piece starts the next one (an escape stays whole). Works on the encoded bytes,
    not character by character: same bytes, a fraction of the time on long descriptions."""
    data = line.encode()
    if len(data) <= 74:
        return data
    pieces = []
    start, size = 0, len(data)
    while size - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # a continuation byte: the character began before
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def ical_bytes(component: Component) -> bytes:
    """`component.to_ical()`, byte for byte (tests/meetings/test_calendar_folding.py), with the
    long lines folded by `_fold`: icalendar folds one character at a time, which is most of the
    time a feed of 2,000 meetings takes to write."""
    return b"\r\n".join(_fold(line) for line in component.content_lines() if line) + b"\r\n"


def content_line(name: str, value: vCalAddress | vText) -> bytes:
    """The folded line `Event().add(name, value)` writes for a typed value (icalendar's own
    Contentline.from_parts quotes and orders the parameters), without building an Event around
    it: circulations write two per invitee, feeds one per answer."""
    return _fold(Contentline.from_parts(name, value.params, value))


def brussels_timezone() -> Timezone:
    """The VTIMEZONE of Europe/Brussels, written as the yearly EU rule.

    Written by hand rather than with Timezone.from_tzid(), which lists every transition as
    RDATEs: Outlook turns a VTIMEZONE into one yearly rule and mishandles RDATE lists. The EU
    rule (last Sunday of March and of October, at 01:00 UTC) has applied in Belgium since 1996;
    tests/meetings/test_calendar.py checks it against the zoneinfo database.
    """
    zone = Timezone()
    zone.add("TZID", TZID)
    zone.add("X-LIC-LOCATION", TZID)
    summer = TimezoneDaylight()
    summer.add("TZNAME", "CEST")
    summer.add("TZOFFSETFROM", timedelta(hours=1))
    summer.add("TZOFFSETTO", timedelta(hours=2))
    summer.add("DTSTART", datetime(1996, 3, 31, 2, 0))  # local time, by definition
    summer.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"})
    winter = TimezoneStandard()
    winter.add("TZNAME", "CET")
    winter.add("TZOFFSETFROM", timedelta(hours=2))
    winter.add("TZOFFSETTO", timedelta(hours=1))
    winter.add("DTSTART", datetime(1996, 10, 27, 3, 0))
    winter.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _calendar(method: str | None, *, name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    # A calendar's name is one line: a line break typed into a group's name is a space here.
    name = " ".join(name.split())
    if name:
        calendar.add("NAME", name)
        calendar.add("X-WR-CALNAME", name)
        calendar.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", FEED_REFRESH)
    calendar.add_component(brussels_timezone())
    return calendar


def location_text(meeting: Meeting) -> str:
    """The address on one line and/or the online link, as calendars show LOCATION."""
    address = ", ".join(line.strip() for line in meeting.location.splitlines() if line.strip())
    parts = []
    if meeting.format != Meeting.Format.ONLINE and address:
        parts.append(address)
    if meeting.format != Meeting.Format.ON_SITE and meeting.online_url:
        parts.append(meeting.online_url)
    return " – ".join(parts) or address or meeting.online_url


def presenter_text(item, language: str | None = None) -> str:
    """Who presents an agenda item: the person and/or their administration."""
    names = []
    if item.presenter_id:
        names.append(item.presenter.user.name)
    if item.presenter_administration_id:
        names.append(localized(item.presenter_administration, "name", language))
    return ", ".join(names)


# Markdown that cannot change when read as text: one line of words and plain punctuation, no
# list or heading marker, no HTML, escape, emphasis, code or link character.
_PLAIN_TEXT = re.compile(r"[^\W_]+(?:[ ,.;:!?'()/%€]+[^\W_]+)*[.!?)]?")


@lru_cache(maxsize=8192)
def _as_text(markdown: str) -> str:
    """meetings.plaintext.markdown_as_text, remembered per text (feeds repeat the same texts)."""
    if _PLAIN_TEXT.fullmatch(markdown) and "  " not in markdown and not re.match(r"\d+[.)]", markdown):
        return markdown
    return markdown_as_text(markdown)


@lru_cache(maxsize=16)
def _kind_labels(language: str) -> dict[str, str]:
    """Agenda item kinds as shown in `language` (get_kind_display, translated once, not per item)."""
    with translation.override(language):
        return {value: str(label) for value, label in AgendaItem.Kind.choices}


def _description(meeting: Meeting, language: str, *, page: str | None) -> str:
    """The meeting's description, its numbered agenda and the link to its page, in `language`.

    Descriptions are Markdown: calendars show DESCRIPTION as plain text, so they are written as
    readable text (meetings.plaintext).
    """
    parts = []
    if meeting.is_cancelled:
        parts.append(_("This meeting is cancelled."))
        note = _as_text(localized(meeting, "cancellation_note", language))
        if note:
            parts.append(note)
    description = _as_text(localized(meeting, "description", language))
    if description:
        parts.append(description)
    agenda = getattr(meeting, "agenda", None) or []
    if agenda:
        lines = [_("Agenda")]
        kinds = _kind_labels(language)
        for number, item in enumerate(agenda, start=1):
            line = f"{number}. {localized(item, 'title', language)} ({kinds.get(item.kind, item.kind)}"
            presenter = presenter_text(item, language)
            if presenter:
                line += f", {presenter}"
            line += f", {item.duration_minutes} min)"
            lines.append(line)
            details = _as_text(localized(item, "description", language))
            if details:
                lines.extend(f"   {text}" if text else "" for text in details.split("\n"))
        parts.append("\n".join(lines))
    if meeting.online_url and meeting.format != Meeting.Format.ON_SITE:
        parts.append(_("Join online: %(url)s") % {"url": meeting.online_url})
    if page:
        parts.append(_("Agenda, documents and your answer: %(url)s") % {"url": page})
    return "\n\n".join(parts)


def _organizer(meeting: Meeting, language: str, *, reply_to: Invitation | None) -> vCalAddress:
    # Concerto's own address, so that calendar answers (iMIP REPLY) come back to Concerto: for
    # an iTIP message, the invitation's secret address (see meetings.itip); the name shown is
    # the organiser's.
    address = organizer_address(reply_to) if reply_to else settings.CALENDAR_ORGANIZER_EMAIL
    organizer = vCalAddress(f"mailto:{address}")
    if meeting.organiser_id:
        organizer.params["CN"] = vText(meeting.organiser.user.name)
    else:
        organizer.params["CN"] = vText(localized(meeting.group, "name", language))
    return organizer


def _attendee(invitation: Invitation, *, rsvp: bool) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{invitation.recipient_email}")
    attendee.params["CN"] = vText(invitation.display_name)
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    # An answer given before the meeting moved is asked again (RFC 5546, 2.1.5).
    partstat = "NEEDS-ACTION" if invitation.rsvp_to_confirm else PARTSTAT.get(invitation.rsvp, "NEEDS-ACTION")
    attendee.params["PARTSTAT"] = partstat
    if rsvp:
        attendee.params["RSVP"] = "TRUE"
    return attendee


def _event(
    meeting: Meeting,
    *,
    language: str,
    stamp: datetime,
    invitation: Invitation | None = None,
    method: str | None = None,
) -> Event:
    """One VEVENT for the meeting, its texts in `language`."""
    with translation.override(language):
        summary = localized(meeting, "title", language)
        if meeting.is_cancelled and method != CANCEL:
            # Some subscribed calendars ignore STATUS: the title says it too.
            summary = _("Cancelled: %(title)s") % {"title": summary}
        # Guests have no account: the members' page is not for them.
        for_guest = invitation is not None and not invitation.member_id
        page = None if for_guest else meeting_url(meeting)
        description = _description(meeting, language, page=page)
    event = Event()
    event.add("UID", meeting.uid)
    event.add("SEQUENCE", meeting.sequence)
    event.add("DTSTAMP", stamp.astimezone(UTC))
    event.add("CREATED", meeting.created_at.astimezone(UTC))
    event.add("LAST-MODIFIED", meeting.updated_at.astimezone(UTC))
    event.add("DTSTART", meeting.starts_at.astimezone(BRUSSELS))
    event.add("DTEND", meeting.ends_at.astimezone(BRUSSELS))
    event.add("SUMMARY", summary)
    event.add("DESCRIPTION", description)
    location = location_text(meeting)
    if location:
        event.add("LOCATION", location)
    if meeting.online_url and meeting.format != Meeting.Format.ON_SITE:
        # RFC 7986: clients that know it show a "join" button.
        event.add("CONFERENCE", meeting.online_url, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    if page:
        event.add("URL", page)
    # Only an iTIP message to one invitee gets a reply address; feeds show an ATTENDEE too, but
    # are read by anyone the member shares the feed with, so they keep the plain address.
    itip_message = method in {REQUEST, CANCEL} and invitation is not None
    event.add("ORGANIZER", _organizer(meeting, language, reply_to=invitation if itip_message else None))
    if invitation is not None:
        event.add("ATTENDEE", _attendee(invitation, rsvp=method == REQUEST))
    # Uninviting one attendee (RFC 5546, 3.2.5) carries no STATUS: the event goes on for the others.
    uninvite = method == CANCEL and not meeting.is_cancelled
    if meeting.is_cancelled:
        event.add("STATUS", "CANCELLED")
    elif not uninvite:
        event.add("STATUS", "TENTATIVE" if meeting.status == Meeting.Status.DRAFT else "CONFIRMED")
    event.add("TRANSP", "TRANSPARENT" if meeting.is_cancelled or method == CANCEL else "OPAQUE")
    return event


def invitation_ics(invitation: Invitation, method: str = REQUEST) -> bytes:
    """The iTIP message for one invitee: REQUEST (invitation or update) or CANCEL."""
    if method not in {REQUEST, CANCEL}:
        raise ValueError(f"Unknown iTIP method {method!r}.")
    meeting = invitation.meeting
    calendar = _calendar(method)
    calendar.add_component(
        _event(
            meeting,
            language=invitation_language(invitation),
            stamp=timezone.now(),
            invitation=invitation,
            method=method,
        )
    )
    return ical_bytes(calendar)


def meeting_ics(meeting: Meeting, language: str) -> bytes:
    """A plain download of the meeting (METHOD:PUBLISH, no attendees)."""
    calendar = _calendar(PUBLISH)
    calendar.add_component(_event(meeting, language=language, stamp=timezone.now(), method=PUBLISH))
    return ical_bytes(calendar)


def file_salt(language: str) -> str:
    """What every file in `language` depends on besides the data: the settings it names and the
    translations of its fixed texts. Part of each feed validator and of each cached event's key."""
    with translation.override(language):
        texts = [
            _("This meeting is cancelled."),
            _("Agenda"),
            _("Join online: %(url)s"),
            _("Agenda, documents and your answer: %(url)s"),
            _("Cancelled: %(title)s"),
            _("Concerto – my meetings"),
            _("Concerto – %(group)s"),
            *(str(label) for label in AgendaItem.Kind.labels),
        ]
    settings_used = [settings.SITE_URL, settings.SITE_DOMAIN, settings.CALENDAR_ORGANIZER_EMAIL]
    parts = [str(FILE_FORMAT), PRODID, language, *settings_used, *texts]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _every_language(field: str) -> list[str]:
    return [f"{field}_{code}" for code in LANGUAGE_CODES]


# Every column a feed's VEVENT is written from (with file_salt: the settings and translations),
# as values() lookups. A feed reads them as plain rows to check its cached events, without making
# model instances, and writes the events it does not have from these rows (_meetings_from_rows).
MEETING_COLUMNS = (
    "pk",
    "sequence",
    "created_at",
    "updated_at",
    "starts_at",
    "ends_at",
    "status",
    "format",
    "location",
    "online_url",
    *_every_language("title"),
    *_every_language("description"),
    *_every_language("cancellation_note"),
    "organiser_id",
    "organiser__user__name",
    "group_id",
    *_every_language("group__name"),
)
AGENDA_COLUMNS = (
    "meeting_id",
    "pk",
    *_every_language("title"),
    "kind",
    "presenter_id",
    "presenter__user__name",
    "presenter_administration_id",
    *_every_language("presenter_administration__name"),
    "duration_minutes",
    *_every_language("description"),
)


class _FromRow:
    """Makes instances of `model` from rows of `lookups` (values_list): the model's own columns
    as loaded fields (Model.from_db, as a queryset with only() makes them), nothing else."""

    def __init__(self, model: type, lookups: tuple[str, ...]) -> None:
        own = {("id" if lookup == "pk" else lookup): n for n, lookup in enumerate(lookups) if "__" not in lookup}
        fields = [field.attname for field in model._meta.concrete_fields if field.attname in own]
        self.model, self.fields, self.positions = model, fields, [own[name] for name in fields]

    def __call__(self, row: tuple) -> object:
        return self.model.from_db(None, self.fields, [row[n] for n in self.positions])


def _meetings_from_rows(rows: list[tuple[tuple, tuple[tuple, ...]]]) -> list[Meeting]:
    """The meetings of `_feed_rows` as `_event` reads them, made from the rows already read, so
    that an event is written from the very values its cache entry is checked against, without
    reading the meetings again: Meeting instances with their group and organiser (their name),
    and `agenda`, each item a plain object of its row's values (all `_description` reads of it:
    its own columns, `presenter.user.name`, `presenter_administration.name_*`)."""
    meeting_from = _FromRow(Meeting, MEETING_COLUMNS)
    column = {name: n for n, name in enumerate(MEETING_COLUMNS)}
    group_names = [column[f"group__name_{code}"] for code in LANGUAGE_CODES]
    own = [(n, lookup) for n, lookup in enumerate(AGENDA_COLUMNS) if "__" not in lookup]
    item_column = {name: n for n, name in enumerate(AGENDA_COLUMNS)}
    presenter_name = item_column["presenter__user__name"]
    administration_names = [item_column[f"presenter_administration__name_{code}"] for code in LANGUAGE_CODES]
    groups: dict[int, Group] = {}
    people: dict[tuple[int, str], Member] = {}
    presenters: dict[str, SimpleNamespace] = {}
    administrations: dict[tuple, SimpleNamespace] = {}

    meetings = []
    for row, agenda in rows:
        meeting = meeting_from(row)
        group_id = row[column["group_id"]]
        if group_id not in groups:
            groups[group_id] = Group.from_db(
                None, ["id", *(f"name_{code}" for code in LANGUAGE_CODES)], [group_id, *(row[n] for n in group_names)]
            )
        meeting.group = groups[group_id]
        if meeting.organiser_id is not None:
            key = (meeting.organiser_id, row[column["organiser__user__name"]])
            if key not in people:
                people[key] = Member.from_db(None, ["id"], [key[0]])
                people[key].user = User(name=key[1])
            meeting.organiser = people[key]
        meeting.agenda = []
        for item_row in agenda:
            item = SimpleNamespace(**{lookup: item_row[n] for n, lookup in own})
            if item.presenter_id is not None:
                name = item_row[presenter_name]
                if name not in presenters:
                    presenters[name] = SimpleNamespace(user=SimpleNamespace(name=name))
                item.presenter = presenters[name]
            if item.presenter_administration_id is not None:
                names = tuple(item_row[n] for n in administration_names)
                if names not in administrations:
                    administrations[names] = SimpleNamespace(
                        **{f"name_{code}": name for code, name in zip(LANGUAGE_CODES, names, strict=True)}
                    )
                item.presenter_administration = administrations[names]
            meeting.agenda.append(item)
        meetings.append(meeting)
    return meetings


def _feed_rows(meetings: QuerySet[Meeting]) -> list[tuple[tuple, tuple[tuple, ...]]]:
    """Each of `meetings` (in their order) as (its row, its agenda items' rows): two queries."""
    rows = list(meetings.values_list(*MEETING_COLUMNS))
    agenda: dict[int, list[tuple]] = {}
    items = AgendaItem.objects.filter(meeting__in=meetings.values("pk")).order_by("meeting", "position", "pk")
    for item in items.values_list(*AGENDA_COLUMNS):
        agenda.setdefault(item[0], []).append(item)
    return [(row, tuple(agenda.get(row[0], ()))) for row in rows]


class EventCache:
    """Serialised feed events per (meeting, language), each with the inputs it was written from.

    Per process and bounded in size: an entry is only used when its inputs equal the meeting's
    current ones, so the cache needs no invalidation (an old entry is overwritten when met again,
    or dropped as least recently used).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[tuple[int, str], tuple[tuple, tuple[bytes, bytes]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[int, str], inputs: tuple) -> tuple[bytes, bytes] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] != inputs:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[int, str], inputs: tuple, data: tuple[bytes, bytes]) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= sum(map(len, old[1]))
            self.entries[key] = (inputs, data)
            self.size += sum(map(len, data))
            while self.size > self.max_bytes and self.entries:
                _key, (_inputs, dropped) = self.entries.popitem(last=False)
                self.size -= sum(map(len, dropped))

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


# About 1.5 KB an event: some 20,000 events (a large installation's feeds in two languages).
event_cache = EventCache(max_bytes=32 * 1024 * 1024)


# Where a member's ATTENDEE line goes in a cached event: icalendar writes properties in a fixed
# order, so the event is written once with this line and kept as what comes before and after it.
_ATTENDEE_MARK = b"\r\nATTENDEE:mailto:attendee@invalid\r\n"


def _event_parts(meeting: Meeting, language: str) -> tuple[bytes, bytes]:
    """The meeting's VEVENT in a feed, as the bytes before and after its ATTENDEE line."""
    event = _event(meeting, language=language, stamp=meeting.updated_at)
    event.add("ATTENDEE", vCalAddress(_ATTENDEE_MARK.strip().removeprefix(b"ATTENDEE:").decode()))
    before, mark, after = ical_bytes(event).partition(_ATTENDEE_MARK)
    if not mark:
        raise ValueError("The ATTENDEE line of a feed event was not found.")
    return before + b"\r\n", after


def _feed_events(meetings: QuerySet[Meeting], language: str) -> list[tuple[int, tuple[bytes, bytes]]]:
    """(pk, the VEVENT's bytes around its ATTENDEE line) of each of `meetings`, in their order.

    Events are taken from the cache when every column they are written from is as it was; the
    others are written from those same rows (_meetings_from_rows) and kept with them: an entry
    always matches its bytes, and a feed reads two queries whether its events are cached or not.
    """
    salt = file_salt(language)
    rows = _feed_rows(meetings)
    found: dict[int, tuple[bytes, bytes]] = {}
    missing = []
    for row, agenda in rows:
        parts = event_cache.get((row[0], language), (salt, row, agenda))
        if parts is None:
            missing.append((row, agenda))
        else:
            found[row[0]] = parts
    for (row, agenda), meeting in zip(missing, _meetings_from_rows(missing), strict=True):
        parts = _event_parts(meeting, language)
        event_cache.put((row[0], language), (salt, row, agenda), parts)
        found[row[0]] = parts
    return [(row[0], found[row[0]]) for row, _agenda in rows]


def _attendee_line(invitation: Invitation) -> bytes:
    return content_line("ATTENDEE", _attendee(invitation, rsvp=False)) + b"\r\n"


def _feed(name: str, events: Iterable[tuple[int, tuple[bytes, bytes]]], attendees: dict[int, bytes]) -> bytes:
    # No METHOD: a feed is a plain calendar, not an iTIP message (PUBLISH forbids ATTENDEE),
    # and DTSTAMP is the event's last change, so the file stays identical between polls.
    # The calendar's head (with the VTIMEZONE once), then each event's cached bytes and, in the
    # member's feed, their own ATTENDEE line: the same bytes as one icalendar Calendar.
    parts = [ical_bytes(_calendar(None, name=name)).removesuffix(END_CALENDAR)]
    for pk, (before, after) in events:
        parts.append(before)
        if pk in attendees:
            parts.append(attendees[pk])
        parts.append(after)
    parts.append(END_CALENDAR)
    return b"".join(parts)


def member_feed(member: Member) -> bytes:
    """Every meeting the member is invited to (not removed), with their answer as PARTSTAT.

    Reads `member.user`. Three queries.
    """
    events = _feed_events(_member_feed_meetings(member), member.language)
    answers = Invitation.objects.filter(member=member, removed_at__isnull=True).values_list(
        "meeting_id", "rsvp", "rsvp_to_confirm"
    )
    # The member's ATTENDEE line differs only by their answer: one line per answer.
    lines: dict[tuple[str, bool], bytes] = {}
    attendees = {}
    for meeting_id, rsvp, to_confirm in answers:
        if (rsvp, to_confirm) not in lines:
            lines[rsvp, to_confirm] = _attendee_line(
                Invitation(member=member, rsvp=rsvp, rsvp_to_confirm=to_confirm)
            )
        attendees[meeting_id] = lines[rsvp, to_confirm]
    with translation.override(member.language):
        name = _("Concerto – my meetings")
    return _feed(name, events, attendees)


def group_feed(group: Group, language: str) -> bytes:
    """The group's meetings (scheduled, held or cancelled; drafts are not announced).

    Two queries.
    """
    events = _feed_events(_group_feed_meetings(group), language)
    with translation.override(language):
        name = _("Concerto – %(group)s") % {"group": localized(group, "name", language)}
    return _feed(name, events, {})


# --- What the files read: one queryset each, a fixed number of queries --------------------


def with_calendar_data(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Everything a calendar file reads: group, organiser, and `agenda` with its presenters."""
    items = AgendaItem.objects.select_related("presenter__user", "presenter_administration")
    return meetings.select_related("group", "organiser__user").prefetch_related(
        Prefetch("agenda_items", queryset=items, to_attr="agenda")
    )


def meeting_with_agenda(meetings: QuerySet[Meeting], pk: int) -> Meeting | None:
    """The meeting `pk` among `meetings`, loaded as `with_calendar_data()` loads it, in one query
    when it has agenda items (the items are read with their meeting); None if it is not there."""
    items = list(
        AgendaItem.objects.filter(meeting__in=meetings.filter(pk=pk).values("pk"))
        .select_related(
            "meeting__group", "meeting__organiser__user", "presenter__user", "presenter_administration"
        )
        .order_by("position", "pk")
    )
    if not items:
        meeting = meetings.filter(pk=pk).select_related("group", "organiser__user").first()
        if meeting is not None:
            meeting.agenda = []
        return meeting
    meeting = items[0].meeting
    for item in items:
        item.meeting = meeting
    meeting.agenda = items
    return meeting


def _member_feed_meetings(member: Member) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(invitations__member=member, invitations__removed_at__isnull=True)
    return meetings.exclude(status=Meeting.Status.DRAFT).order_by("starts_at", "pk")


def _group_feed_meetings(group: Group) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(group=group).exclude(status=Meeting.Status.DRAFT)
    return meetings.order_by("starts_at", "pk")


def feed_meetings_for(member: Member) -> QuerySet[Meeting]:
    """Meetings of the member's feed: announced ones they are invited to and not removed from.

    Each meeting has `my_invitations` (a one-item list) and `agenda`.
    """
    mine = Invitation.objects.filter(member=member, removed_at__isnull=True).select_related("member__user")
    meetings = _member_feed_meetings(member).prefetch_related(
        Prefetch("invitations", queryset=mine, to_attr="my_invitations")
    )
    return with_calendar_data(meetings)


def feed_meetings_of(group: Group) -> QuerySet[Meeting]:
    """Meetings of a group's feed: everything but drafts, with `agenda`."""
    return with_calendar_data(_group_feed_meetings(group))
