"""Writes of the meetings app: keyword-only arguments, one transaction, side effects after commit.

Calendar rule (RFC 5546): once the agenda has been circulated (`circulated_at` set), every
change calendars must apply raises `sequence` by one, at most once per change. The chair
then re-circulates the update; invitees added or removed later are told through
meetings.circulation, in the same transaction as the change (the outbox delivers after commit).
"""

from collections.abc import Iterable
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, TextChoices
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core import documents
from core.i18n import LANGUAGE_CODES
from core.timezones import zone_or_default
from core.translated import translated_names
from meetings import sending
from meetings.models import AgendaItem, Document, DocumentFile, Invitation, Meeting, MeetingSeries
from members.history import create_recorded, update_recorded
from members.models import Administration, Group, Member, Membership, User

Source = Invitation.Source

MEETING_FIELDS = frozenset(
    {
        *translated_names("title", "description"),
        "kind",
        "format",
        "status",
        "starts_at",
        "ends_at",
        "location",
        "online_url",
        "rsvp_deadline",
        "organiser",
        "invite_whole_group",
        "is_public",
        "remind_unanswered_days",
        "remind_accepted_day_before",
    }
)
# What an invitee's calendar shows (the description is the event's DESCRIPTION): a change to
# any of these, after circulation, is an update.
CALENDAR_FIELDS = (
    "starts_at",
    "ends_at",
    "location",
    "format",
    "online_url",
    *translated_names("title", "description"),
)
AGENDA_ITEM_FIELDS = frozenset(
    {
        *translated_names("title", "description"),
        "kind",
        "presenter",
        "presenter_administration",
        "duration_minutes",
    }
)
# Invitations that sync_invitations manages; personal ones, guests and substitutes it keeps.
AUTOMATIC_SOURCES = frozenset({Source.GROUP, Source.ADMINISTRATION})
MAX_AGENDA_ITEM_MINUTES = 600
MAX_SERIES_OCCURRENCES = 52


def _reject_unknown(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        # A programming error, not a user's: forms only pass known fields.
        raise TypeError(f"Unknown fields: {', '.join(unknown)}")


def _has_title(obj: object) -> bool:
    return any(str(getattr(obj, name, "") or "").strip() for name in translated_names("title"))


def _check_meeting(meeting: Meeting) -> None:
    """ValidationError (per field where there is one) when the meeting breaks a rule."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not _has_title(meeting):
        error(NON_FIELD_ERRORS, _("Give the meeting a title in at least one language."))
    if meeting.starts_at is None:
        error("starts_at", _("Say when the meeting starts."))
    if meeting.ends_at is None:
        error("ends_at", _("Say when the meeting ends."))
    if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
        error("ends_at", _("The meeting must end after it starts."))
    if meeting.format in (Meeting.Format.ONLINE, Meeting.Format.HYBRID):
        if not meeting.online_url:
            error("online_url", _("An online or hybrid meeting needs the link to join it."))
        elif not meeting.online_url.lower().startswith(("https://", "http://")):
            error("online_url", _("The link must start with https:// or http://."))
    if meeting.format in (Meeting.Format.ON_SITE, Meeting.Format.HYBRID) and not meeting.location.strip():
        error("location", _("A meeting on site or hybrid needs an address."))
    if meeting.format not in Meeting.Format.values:
        error("format", _("Choose on site, online or hybrid."))
    if meeting.kind not in Meeting.Kind.values:
        error("kind", _("Choose the kind of meeting."))
    if meeting.rsvp_deadline and meeting.starts_at and meeting.rsvp_deadline > meeting.starts_at:
        error("rsvp_deadline", _("The answer deadline must be before the meeting starts."))
    if errors:
        raise ValidationError(errors)


def _check_status(meeting: Meeting, now: datetime) -> None:
    """ValidationError on `status` when the meeting's status contradicts what happened."""
    if meeting.status == Meeting.Status.DRAFT and meeting.circulated_at is not None:
        raise ValidationError(
            {
                "status": _(
                    "The agenda was already sent to the invitees, so the meeting can no longer go "
                    "back to draft. To call it off, cancel it."
                )
            }
        )
    if meeting.status == Meeting.Status.HELD and meeting.starts_at and meeting.starts_at > now:
        raise ValidationError(
            {"status": _("The meeting has not started yet: it can be marked as held once it has started.")}
        )


def _check_changeable(meeting: Meeting) -> None:
    if meeting.is_cancelled:
        raise ValidationError(_("This meeting was cancelled; it can no longer be changed."))


def _locked(meeting: Meeting) -> Meeting:
    """The meeting's row, locked until the end of the transaction (one sequence raise at a time)."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _raise_sequence(meeting: Meeting) -> None:
    """After circulation, a change calendars must apply is one more revision of the event.

    Before circulation the meeting is still saved, so that its `updated_at` moves: feeds show
    scheduled meetings that were never circulated, and their validators read that timestamp.
    """
    if meeting.circulated_at is not None:
        meeting.sequence += 1
        meeting.save(update_fields=["sequence", "updated_at"])
    else:
        meeting.save(update_fields=["updated_at"])


# --- Meetings ---------------------------------------------------------------------------


@transaction.atomic
def schedule_meeting(
    *,
    group: Group,
    by: Member,
    invited_administrations: Iterable[Administration] = (),
    series: MeetingSeries | None = None,
    **fields,
) -> Meeting:
    """Create a meeting (organised by `by` unless said otherwise) and invite its invitees."""
    _reject_unknown(fields, MEETING_FIELDS)
    fields.setdefault("organiser", by)
    if fields.get("status") in (Meeting.Status.CANCELLED, Meeting.Status.HELD):
        raise ValidationError({"status": _("A new meeting is a draft or scheduled.")})
    meeting = Meeting(group=group, series=series, **fields)
    meeting.location = (meeting.location or "").strip()
    _check_meeting(meeting)
    meeting.save()
    administrations = list(invited_administrations)
    if administrations:
        meeting.invited_administrations.set(administrations)
    sync_invitations(meeting=meeting, by=by)
    return meeting


@transaction.atomic
def update_meeting(
    *,
    meeting: Meeting,
    by: Member,
    invited_administrations: Iterable[Administration] | None = None,
    **changes,
) -> Meeting:
    """Apply changes; after circulation a change of time, place, format, link, title or
    description raises SEQUENCE. A circulated meeting does not go back to draft, and a meeting
    is held only once it has started. When a circulated meeting's date or time moves, the answers
    already given are kept but marked `rsvp_to_confirm` (and `time_changed_at` is set)."""
    _reject_unknown(changes, MEETING_FIELDS)
    meeting = _locked(meeting)
    _check_changeable(meeting)
    if changes.get("status") == Meeting.Status.CANCELLED:
        raise ValidationError({"status": _("Use “Cancel the meeting” to cancel it and tell the invitees.")})
    before = {field: getattr(meeting, field) for field in CALENDAR_FIELDS}
    for field, value in changes.items():
        setattr(meeting, field, value)
    meeting.location = (meeting.location or "").strip()
    _check_meeting(meeting)
    _check_status(meeting, timezone.now())
    if meeting.circulated_at is not None and any(
        getattr(meeting, field) != value for field, value in before.items()
    ):
        meeting.sequence += 1
    time_moved = meeting.circulated_at is not None and (meeting.starts_at, meeting.ends_at) != (
        before["starts_at"],
        before["ends_at"],
    )
    if time_moved:
        meeting.time_changed_at = timezone.now()
    meeting.save()
    if time_moved:
        _ask_to_confirm_answers(meeting, by=by)

    resync = "invite_whole_group" in changes
    if invited_administrations is not None:
        wanted = {administration.pk for administration in invited_administrations}
        current = set(meeting.invited_administrations.values_list("pk", flat=True))
        if wanted != current:
            meeting.invited_administrations.set(wanted)
            resync = True
    if resync:
        sync_invitations(meeting=meeting, by=by)
    return meeting


# Why rows changed without being edited one by one (members.history shows them translated).
REASON_TIME_MOVED = gettext_noop("The meeting's date or time changed.")
REASON_RENUMBERED = gettext_noop("The agenda was renumbered.")
REASON_ITEM_REMOVED = gettext_noop("Its agenda item was removed.")
REASON_INVITEES = gettext_noop("The invitations follow the group and the invited administrations.")


def _ask_to_confirm_answers(meeting: Meeting, *, by: Member | None) -> None:
    """The meeting moved: answers given for the old time stand, but are to confirm (RFC 5546
    lets the organiser ask again). Their history is kept; each such invitee may be reminded once more."""
    answered = list(
        meeting.invitations.filter(removed_at__isnull=True)
        .exclude(rsvp=Invitation.Rsvp.NONE)
        .exclude(rsvp_to_confirm=True, unanswered_reminder_sent_at__isnull=True)
    )
    for invitation in answered:
        invitation.rsvp_to_confirm = True
        invitation.unanswered_reminder_sent_at = None
    update_recorded(
        answered, ["rsvp_to_confirm", "unanswered_reminder_sent_at"], by=by, reason=REASON_TIME_MOVED
    )


# --- Series -----------------------------------------------------------------------------


class Pattern(TextChoices):
    WEEKLY = "weekly", gettext_lazy("Every week, on the same weekday")
    MONTHLY = "monthly", gettext_lazy("Every month, on the same day of the month")
    NTH_WEEKDAY = "nth_weekday", gettext_lazy("A given weekday of each month (e.g. the third Wednesday)")
    QUARTERLY = "quarterly", gettext_lazy("The first given weekday of each quarter (e.g. the first Monday)")


RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ORDINALS = {
    1: gettext_lazy("first"),
    2: gettext_lazy("second"),
    3: gettext_lazy("third"),
    4: gettext_lazy("fourth"),
    -1: gettext_lazy("last"),
}


def series_rule(*, pattern: str, first_day: date, weekday: int | None = None, nth: int | None = None) -> str:
    """The RRULE (without COUNT/UNTIL) of a pattern; ValidationError when the pattern is incomplete."""
    day = RRULE_DAYS[first_day.weekday() if weekday is None else weekday]
    if pattern == Pattern.WEEKLY:
        return f"FREQ=WEEKLY;BYDAY={day}"
    if pattern == Pattern.MONTHLY:
        return f"FREQ=MONTHLY;BYMONTHDAY={first_day.day}"
    if pattern == Pattern.NTH_WEEKDAY:
        if nth not in ORDINALS:
            raise ValidationError({"nth": _("Choose which weekday of the month (first to fourth, or last).")})
        return f"FREQ=MONTHLY;BYDAY={nth:+d}{day}"
    if pattern == Pattern.QUARTERLY:
        return f"FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=+1{day}"
    raise ValidationError({"pattern": _("Choose how the meetings repeat.")})


def describe_pattern(
    *, pattern: str, first_day: date, weekday: int | None = None, nth: int | None = None
) -> str:
    """The pattern in words, in the active language (stored on the series)."""
    weekday_name = str(WEEKDAYS[first_day.weekday() if weekday is None else weekday])
    if not translation.get_language().startswith("de"):  # German writes weekdays with a capital
        weekday_name = weekday_name.lower()
    if pattern == Pattern.WEEKLY:
        return _("Every %(weekday)s") % {"weekday": weekday_name}
    if pattern == Pattern.MONTHLY:
        return _("Every month on day %(day)d") % {"day": first_day.day}
    if pattern == Pattern.NTH_WEEKDAY:
        return _("The %(nth)s %(weekday)s of each month") % {"nth": ORDINALS[nth], "weekday": weekday_name}
    return _("The first %(weekday)s of each quarter") % {"weekday": weekday_name}


def series_occurrences(
    *,
    rule: str,
    starts_at: datetime,
    ends_at: datetime,
    count: int | None = None,
    until: date | None = None,
    tz: str = settings.TIME_ZONE,
) -> list[tuple[datetime, datetime]]:
    """(start, end) of each occurrence, on or after `starts_at`, at the same local time of day.

    The rule runs on wall-clock time in `tz`, so a 10:00 meeting stays at 10:00 across the
    change to and from summer time.
    """
    if (count is None) == (until is None):
        raise ValidationError(_("Give either a number of meetings or an end date."))
    if count is not None and not 1 <= count <= MAX_SERIES_OCCURRENCES:
        raise ValidationError(
            {"count": _("A series has between 1 and %(max)d meetings.") % {"max": MAX_SERIES_OCCURRENCES}}
        )
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The meeting must end after it starts.")})
    zone = ZoneInfo(tz)
    local_start = timezone.localtime(starts_at, zone).replace(tzinfo=None)
    duration = ends_at - starts_at
    if until is not None:
        if until < local_start.date():
            raise ValidationError({"until": _("The end date must be after the first meeting.")})
        limit = f";UNTIL={until:%Y%m%d}T235959"
    else:
        limit = f";COUNT={count}"
    try:
        recurrence = rrulestr(rule + limit, dtstart=local_start)
    except (ValueError, TypeError) as exc:
        raise ValidationError(_("This repetition rule is not valid.")) from exc
    starts = list(islice(recurrence, MAX_SERIES_OCCURRENCES + 1))
    if len(starts) > MAX_SERIES_OCCURRENCES:
        raise ValidationError(
            {
                "until": _("A series has at most %(max)d meetings; choose an earlier end date.")
                % {"max": MAX_SERIES_OCCURRENCES}
            }
        )
    if not starts:
        raise ValidationError(_("This pattern gives no meeting in the chosen period."))
    return [(start.replace(tzinfo=zone), (start + duration).replace(tzinfo=zone)) for start in starts]


@transaction.atomic
def schedule_series(
    *,
    group: Group,
    by: Member,
    starts_at: datetime,
    ends_at: datetime,
    pattern: str = "",
    rule: str = "",
    weekday: int | None = None,
    nth: int | None = None,
    count: int | None = None,
    until: date | None = None,
    invited_administrations: Iterable[Administration] = (),
    **fields,
) -> MeetingSeries:
    """Schedule a meeting for each occurrence of a pattern (or RRULE), from `starts_at` on.

    Each occurrence is its own meeting, with its own agenda and invitations; the RSVP
    deadline, if any, keeps its distance to the start.
    """
    _reject_unknown(fields, MEETING_FIELDS - {"starts_at", "ends_at"})
    tz = zone_or_default(by.timezone).key  # the zone the organiser's pages read the times in
    first_day = timezone.localtime(starts_at, ZoneInfo(tz)).date()
    if not rule:
        rule = series_rule(pattern=pattern, first_day=first_day, weekday=weekday, nth=nth)
        description = describe_pattern(pattern=pattern, first_day=first_day, weekday=weekday, nth=nth)
    else:
        description = ""
    occurrences = series_occurrences(
        rule=rule, starts_at=starts_at, ends_at=ends_at, count=count, until=until, tz=tz
    )
    limit = f";UNTIL={until:%Y%m%d}T235959" if until else f";COUNT={count}"
    series = MeetingSeries.objects.create(
        group=group, rule=rule + limit, description=description[:255], created_by=by
    )
    deadline = fields.pop("rsvp_deadline", None)
    notice = starts_at - deadline if deadline else None
    administrations = list(invited_administrations)
    for start, end in occurrences:
        schedule_meeting(
            group=group,
            by=by,
            series=series,
            invited_administrations=administrations,
            starts_at=start,
            ends_at=end,
            rsvp_deadline=start - notice if notice is not None else None,
            **fields,
        )
    return series


# --- Agenda -----------------------------------------------------------------------------


def _check_item(item: AgendaItem) -> None:
    errors: dict[str, list[str]] = {}
    if not _has_title(item):
        errors[NON_FIELD_ERRORS] = [_("Give the item a title in at least one language.")]
    if not 1 <= (item.duration_minutes or 0) <= MAX_AGENDA_ITEM_MINUTES:
        errors["duration_minutes"] = [
            _("The planned duration is between 1 and %(max)d minutes.") % {"max": MAX_AGENDA_ITEM_MINUTES}
        ]
    if item.kind not in AgendaItem.Kind.values:
        errors["kind"] = [_("Choose information, discussion or decision.")]
    if errors:
        raise ValidationError(errors)


def _own_item(meeting: Meeting, item: AgendaItem) -> AgendaItem:
    """The item, freshly loaded, if it belongs to the meeting; ValidationError otherwise."""
    row = AgendaItem.objects.filter(pk=item.pk, meeting=meeting).first()
    if row is None:
        raise ValidationError(_("This agenda item belongs to another meeting."))
    return row


def _renumber(
    meeting: Meeting,
    items: list[AgendaItem] | None = None,
    *,
    by: Member | None,
    moved: AgendaItem | None = None,
) -> list[AgendaItem]:
    """Positions 1, 2, 3… in the given (or current) order, in one update and one history insert.
    The `moved` item's row reads as asked for; the others' as renumbered."""
    if items is None:
        items = list(meeting.agenda_items.order_by("position", "pk"))
    changed = []
    for number, item in enumerate(items, start=1):
        if item.position != number:
            item.position = number
            if moved is None or item.pk != moved.pk:
                item._change_reason = REASON_RENUMBERED
            changed.append(item)
    update_recorded(changed, ["position"], by=by)
    return items


@transaction.atomic
def add_agenda_item(*, meeting: Meeting, by: Member | None = None, **fields) -> AgendaItem:
    """Add an item at the end of the agenda."""
    _reject_unknown(fields, AGENDA_ITEM_FIELDS)
    meeting = _locked(meeting)
    _check_changeable(meeting)
    item = AgendaItem(meeting=meeting, **fields)
    _check_item(item)
    last = meeting.agenda_items.aggregate(last=Max("position"))["last"] or 0
    item.position = last + 1
    item.save()
    _raise_sequence(meeting)
    return item


@transaction.atomic
def update_agenda_item(*, item: AgendaItem, by: Member | None = None, **changes) -> AgendaItem:
    _reject_unknown(changes, AGENDA_ITEM_FIELDS)
    meeting = _locked(item.meeting)
    _check_changeable(meeting)
    item = _own_item(meeting, item)
    changed = False
    for field, value in changes.items():
        if getattr(item, field) != value:
            setattr(item, field, value)
            changed = True
    _check_item(item)
    if changed:
        item.save()
        _raise_sequence(meeting)
    return item


@transaction.atomic
def remove_agenda_item(*, item: AgendaItem, by: Member | None = None) -> None:
    """Remove an item and renumber the rest; its documents stay, attached to the meeting."""
    meeting = _locked(item.meeting)
    _check_changeable(meeting)
    item = _own_item(meeting, item)
    documents = list(Document.objects.filter(agenda_item=item))
    for document in documents:
        document.agenda_item = None
    update_recorded(documents, ["agenda_item"], by=by, reason=REASON_ITEM_REMOVED)
    item.delete()
    _renumber(meeting, by=by)
    _raise_sequence(meeting)


@transaction.atomic
def move_agenda_item(*, item: AgendaItem, direction: str, by: Member | None = None) -> AgendaItem:
    """Swap the item with its neighbour above ("up") or below ("down"); at an end nothing changes."""
    if direction not in ("up", "down"):
        raise ValidationError(_("An item moves up or down."))
    meeting = _locked(item.meeting)
    _check_changeable(meeting)
    item = _own_item(meeting, item)
    items = list(meeting.agenda_items.order_by("position", "pk"))
    index = next(i for i, row in enumerate(items) if row.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return item
    items[index], items[other] = items[other], items[index]
    _renumber(meeting, items, by=by, moved=item)
    _raise_sequence(meeting)
    return next(row for row in items if row.pk == item.pk)


# --- Documents --------------------------------------------------------------------------


def _check_language(language: str) -> str:
    if language and language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose one of the platform's languages.")})
    return language


def _validated(upload: UploadedFile) -> documents.FileKind:
    try:
        return documents.validate_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"upload": exc.messages}) from exc


def _store_file(
    *, document: Document, upload: UploadedFile, kind: documents.FileKind, language: str, by: Member | None
) -> DocumentFile:
    last = document.files.filter(language=language).aggregate(last=Max("version"))["last"] or 0
    return DocumentFile.objects.create(
        document=document,
        language=language,
        version=last + 1,
        file=upload,
        original_name=documents.safe_filename(upload.name or "", kind),
        content_type=kind.content_type,
        size=upload.size,
        uploaded_by=by,
    )


@transaction.atomic
def add_document(
    *,
    meeting: Meeting,
    by: Member | None,
    upload: UploadedFile,
    title: str = "",
    agenda_item: AgendaItem | None = None,
    language: str = "",
) -> Document:
    """A new document (for the meeting or one of its items) with its first file."""
    meeting = _locked(meeting)
    _check_changeable(meeting)
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise ValidationError({"agenda_item": _("This agenda item belongs to another meeting.")})
    _check_language(language)
    kind = _validated(upload)
    name = documents.safe_filename(upload.name or "", kind)
    document = Document.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        title=(title or "").strip()[:255] or name.rsplit(".", 1)[0],
        created_by=by,
    )
    _store_file(document=document, upload=upload, kind=kind, language=language, by=by)
    return document


@transaction.atomic
def add_document_file(
    *, document: Document, by: Member | None, upload: UploadedFile, language: str = ""
) -> DocumentFile:
    """A new version of a document, or its first file in another language. Older files are kept."""
    document = Document.objects.select_for_update().select_related("meeting").get(pk=document.pk)
    _check_changeable(document.meeting)
    _check_language(language)
    kind = _validated(upload)
    return _store_file(document=document, upload=upload, kind=kind, language=language, by=by)


# --- Invitations ------------------------------------------------------------------------


def _wanted_members(meeting: Meeting) -> dict[int, tuple[str, str]]:
    """{member_id: (source, language)} of those the group and administration settings invite."""
    wanted: dict[int, tuple[str, str]] = {}
    if meeting.invite_whole_group:
        rows = (
            Membership.objects.current()
            .filter(
                group_id=meeting.group_id, member__deactivated_at__isnull=True, member__user__is_active=True
            )
            .values_list("member_id", "member__user__language")
        )
        for member_id, language in rows:
            wanted[member_id] = (Source.GROUP, language)
    administration_ids = list(meeting.invited_administrations.values_list("pk", flat=True))
    if administration_ids:
        rows = (
            Member.objects.active()
            .filter(administration_id__in=administration_ids, anonymised_at__isnull=True)
            .values_list("pk", "user__language")
        )
        for member_id, language in rows:
            wanted.setdefault(member_id, (Source.ADMINISTRATION, language))
    return wanted


def invitations_to_add(meeting: Meeting) -> int:
    """How many people sync_invitations would invite now (e.g. who joined the group since). Reads only."""
    invited = set(
        meeting.invitations.filter(member__isnull=False, removed_at__isnull=True).values_list(
            "member_id", flat=True
        )
    )
    return len(set(_wanted_members(meeting)) - invited)


@transaction.atomic
def sync_invitations(
    *, meeting: Meeting, by: Member | None = None
) -> tuple[list[Invitation], list[Invitation]]:
    """Make the invitations match the whole-group and administration settings: (added, removed).

    When the agenda was already circulated, the added get the current version and the removed
    a cancellation, queued in this transaction (see `match_invitations` for the rules).
    """
    added, removed = match_invitations(meeting=meeting, by=by)
    sending.tell_invitees(meeting=meeting, added=added, removed=removed, by=by)
    return added, removed


@transaction.atomic
def match_invitations(
    *, meeting: Meeting, by: Member | None = None
) -> tuple[list[Invitation], list[Invitation]]:
    """The invitations made to match the settings, telling nobody: (added, removed).

    Personal invitations, guests and substitutes are kept. A removed invitation that is
    wanted again comes back without its old answer. The caller sends what is due
    (`sync_invitations`; circulating the agenda sends the added their invitation with everyone's).
    Each change is in the history, by `by` (else the request's user), in one insert per kind.
    """
    wanted = _wanted_members(meeting)
    existing = {
        invitation.member_id: invitation for invitation in meeting.invitations.filter(member__isnull=False)
    }
    now = timezone.now()
    to_create, restored, removed, retagged = [], [], [], []
    for member_id, (source, language) in wanted.items():
        invitation = existing.get(member_id)
        if invitation is None:
            to_create.append(
                Invitation(meeting=meeting, member_id=member_id, source=source, language=language)
            )
        elif invitation.removed_at is not None:
            invitation.removed_at = None
            invitation.source = source
            invitation.language = language
            invitation.rsvp = Invitation.Rsvp.NONE
            invitation.rsvp_at = None
            invitation.rsvp_to_confirm = False
            invitation.sent_sequence = None
            restored.append(invitation)
        elif invitation.source in AUTOMATIC_SOURCES and invitation.source != source:
            invitation.source = source
            retagged.append(invitation)
    for member_id, invitation in existing.items():
        if (
            invitation.removed_at is None
            and invitation.source in AUTOMATIC_SOURCES
            and member_id not in wanted
        ):
            invitation.removed_at = now
            removed.append(invitation)
    created = create_recorded(to_create, by=by, reason=REASON_INVITEES)
    fields = ["removed_at", "source", "language", "rsvp", "rsvp_at", "rsvp_to_confirm", "sent_sequence"]
    update_recorded([*restored, *removed, *retagged], fields, by=by, reason=REASON_INVITEES)
    return [*created, *restored], removed


@transaction.atomic
def add_guest(
    *, meeting: Meeting, email: str, name: str = "", language: str = "en", by: Member | None = None
) -> Invitation:
    """Invite someone by email address. A platform member's address invites them personally."""
    meeting = _locked(meeting)
    _check_changeable(meeting)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid email address.")}) from exc
    if language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose one of the platform's languages.")})

    user = User.objects.filter(email__iexact=email).select_related("member").first()
    member = getattr(user, "member", None) if user is not None else None
    if member is not None:
        invitation = meeting.invitations.filter(member=member).first()
        defaults = {"source": Source.PERSONAL, "language": member.language}
    else:
        invitation = meeting.invitations.filter(member__isnull=True, email__iexact=email).first()
        defaults = {"source": Source.GUEST, "language": language, "name": (name or "").strip()[:150]}
    if invitation is not None and invitation.removed_at is None:
        raise ValidationError({"email": _("%(email)s is already invited.") % {"email": email}})
    if invitation is None:
        invitation = Invitation(meeting=meeting, member=member, email="" if member else email)
    else:
        invitation.removed_at = None
        invitation.rsvp = Invitation.Rsvp.NONE
        invitation.rsvp_at = None
        invitation.rsvp_to_confirm = False
        invitation.sent_sequence = None
    for field, value in defaults.items():
        setattr(invitation, field, value)
    invitation.save()
    sending.tell_invitees(meeting=meeting, added=[invitation], removed=[], by=by)
    return invitation


@transaction.atomic
def remove_invitation(*, invitation: Invitation, by: Member | None = None) -> Invitation:
    """Withdraw a personal or guest invitation; once circulated the person gets a cancellation."""
    meeting = _locked(invitation.meeting)
    _check_changeable(meeting)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk, meeting=meeting)
    if invitation.removed_at is not None:
        raise ValidationError(_("This person is no longer invited."))
    if invitation.source in AUTOMATIC_SOURCES:
        raise ValidationError(
            _(
                "This person is invited as a member of the group or of an invited administration. "
                "Change those settings instead."
            )
        )
    invitation.removed_at = timezone.now()
    invitation.save(update_fields=["removed_at"])
    sending.tell_invitees(meeting=meeting, added=[], removed=[invitation], by=by)
    return invitation
