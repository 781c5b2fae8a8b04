"""Built PDFs of a meeting (the pack before it, the minutes after it), cached per language.

Each MeetingPack row holds the last PDF built for a meeting, kind and language, and `key`: the
sha256 of everything that went in. A request whose key matches a ready row gets that file; any
other starts a build. The pack is built by a background task (a pack can hold many papers) that
counts papers done, so the status page can show progress; the minutes are small and are built
in the request, then cached the same way.
"""

import hashlib
import json
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.tasks import task
from django.utils import timezone

from meetings import pdf
from meetings.attendance import attendance_sheet
from meetings.minutes_versions import items_with_texts
from meetings.models import Document, Meeting, MeetingPack, Minutes

logger = logging.getLogger(__name__)

Kind = MeetingPack.Kind
Status = MeetingPack.Status

# Raise when what the PDFs show changes (templates, layout), so cached files are built again.
LAYOUT_VERSION = 1
# A build queued or started longer ago than this is taken for lost (a worker that died) and
# is queued again on the next request.
BUILD_STALE_AFTER = timedelta(minutes=30)
ERROR_MAX_LENGTH = MeetingPack._meta.get_field("error").max_length


def pack_meeting(meeting_id: int) -> Meeting:
    """The meeting with what the pack reads: agenda items (presenters, documents, files), the
    documents of the whole meeting (`general_documents`), group and organiser. Six queries."""
    general = Document.objects.filter(agenda_item__isnull=True).prefetch_related("files")
    rows = Meeting.objects.with_agenda_data().prefetch_related(
        Prefetch("documents", queryset=general, to_attr="general_documents")
    )
    return rows.get(pk=meeting_id)


def load_minutes(meeting: Meeting) -> Minutes:
    """The meeting's minutes with what the PDF header reads (DoesNotExist when there are none)."""
    return Minutes.objects.select_related(
        "meeting__group", "chair__user", "approved_by__user", "approved_at_meeting"
    ).get(meeting=meeting)


def _translations(obj, name: str) -> list[str]:
    return [getattr(obj, f"{name}_{code}") for code, _label in settings.LANGUAGES]


def _pack_content(meeting: Meeting) -> list:
    """What goes into the pack, as JSON-able values (reads the prefetched agenda)."""

    def files(document: Document) -> list:
        return sorted(
            [f.pk, f.language, f.version, f.size, f.content_type, f.file.name] for f in document.files.all()
        )

    def document(doc: Document) -> list:
        return [doc.pk, doc.title, files(doc)]

    items = [
        [
            item.pk,
            item.position,
            item.kind,
            item.duration_minutes,
            item.presenter_id,
            item.presenter_administration_id,
            _translations(item, "title"),
            _translations(item, "description"),
            [document(doc) for doc in item.documents.all()],
        ]
        for item in meeting.agenda
    ]
    return [items, [document(doc) for doc in meeting.general_documents]]


def _minutes_content(minutes: Minutes, sheet: list) -> list:
    attendance = [[row.invitation.pk, row.status, row.representative_name] for row in sheet]
    return [
        minutes.pk,
        minutes.version,
        minutes.status,
        minutes.updated_at.isoformat(),
        minutes.chair_id,
        minutes.approved_at.isoformat() if minutes.approved_at else None,
        minutes.published_at.isoformat() if minutes.published_at else None,
        attendance,
    ]


def pack_key(
    meeting: Meeting,
    kind: str,
    language: str,
    *,
    time_zone: str = settings.TIME_ZONE,
    minutes: Minutes | None = None,
    sheet: list | None = None,
) -> str:
    """sha256 of what goes into the PDF: the meeting (updated_at, sequence), its agenda (texts,
    positions) and documents' files (ids, versions, sizes); for minutes, their version and status
    and the attendance. A pack is loaded with pack_meeting() when `meeting` is not."""
    base = [
        LAYOUT_VERSION,
        kind,
        language,
        time_zone,
        meeting.pk,
        meeting.updated_at.isoformat(),
        meeting.sequence,
    ]
    if kind == Kind.PACK:
        loaded = meeting if hasattr(meeting, "general_documents") else pack_meeting(meeting.pk)
        content = _pack_content(loaded)
    else:
        minutes = minutes if minutes is not None else load_minutes(meeting)
        sheet = sheet if sheet is not None else attendance_sheet(meeting, with_colleagues=False)
        content = _minutes_content(minutes, sheet)
    text = json.dumps([base, content], default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def is_current(pack: MeetingPack | None, key: str) -> bool:
    """The row holds a built file for `key`."""
    return pack is not None and pack.key == key and pack.status == Status.READY and bool(pack.file)


def find_pack(meeting: Meeting, kind: str, language: str) -> MeetingPack | None:
    return MeetingPack.objects.filter(meeting=meeting, kind=kind, language=language).first()


def _row_for(meeting: Meeting, kind: str, language: str, key: str) -> tuple[MeetingPack, bool]:
    """The locked row for meeting/kind/language; created (queued for `key`) when missing."""
    rows = MeetingPack.objects.select_for_update()
    try:
        with transaction.atomic():
            return rows.get_or_create(meeting=meeting, kind=kind, language=language, defaults={"key": key})
    except IntegrityError:  # made at the same moment by another request
        return rows.get(meeting=meeting, kind=kind, language=language), False


@transaction.atomic
def request_pack(
    *, meeting: Meeting, kind: str, language: str, time_zone: str = settings.TIME_ZONE
) -> MeetingPack:
    """The PDF for `meeting` in `language`: the ready row when nothing changed since it was built,
    else a row being built. A pack is queued for the background worker (after commit); minutes
    are built here and come back ready (or failed)."""
    if kind == Kind.MINUTES:
        return _minutes_now(meeting=meeting, language=language, time_zone=time_zone)
    loaded = meeting if hasattr(meeting, "general_documents") else pack_meeting(meeting.pk)
    key = pack_key(loaded, kind, language, time_zone=time_zone)
    pack, created = _row_for(meeting, kind, language, key)
    if not created and pack.key == key:
        fresh = pack.requested_at > timezone.now() - BUILD_STALE_AFTER
        if is_current(pack, key) or (pack.status in {Status.QUEUED, Status.BUILDING} and fresh):
            return pack
    papers = sum(len(item.documents.all()) for item in loaded.agenda) + len(loaded.general_documents)
    _reset(pack, key, total=papers)
    # After commit: the worker must find the row as queued, and a rollback must queue nothing.
    transaction.on_commit(partial(build_meeting_pack.enqueue, pack.pk, key, time_zone))
    return pack


def _reset(pack: MeetingPack, key: str, *, total: int) -> None:
    pack.key, pack.status, pack.done, pack.total, pack.error = key, Status.QUEUED, 0, total, ""
    pack.requested_at, pack.built_at = timezone.now(), None
    pack.save(update_fields=["key", "status", "done", "total", "error", "requested_at", "built_at"])


def _store(pack: MeetingPack, key: str, data: bytes) -> bool:
    """Save the built file on the row if it still waits for `key`; False when superseded."""
    old_name = pack.file.name if pack.file else ""
    storage = pack.file.storage
    pack.key = key
    name = storage.save(pack.file.field.generate_filename(pack, "pack.pdf"), ContentFile(data))
    updated = MeetingPack.objects.filter(pk=pack.pk, key=key).update(
        status=Status.READY, file=name, size=len(data), built_at=timezone.now(), done=pack.total, error=""
    )
    if not updated:
        storage.delete(name)
        return False
    if old_name and old_name != name:
        storage.delete(old_name)
    pack.file.name, pack.size, pack.status = name, len(data), Status.READY
    return True


def _fail(pack_id: int, key: str, error: Exception) -> None:
    logger.exception("PDF %s (key %s) could not be built", pack_id, key[:12])
    reason = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    MeetingPack.objects.filter(pk=pack_id, key=key).update(status=Status.FAILED, error=reason)


def _minutes_now(*, meeting: Meeting, language: str, time_zone: str) -> MeetingPack:
    minutes = load_minutes(meeting)
    sheet = attendance_sheet(minutes.meeting, with_colleagues=False)
    key = pack_key(minutes.meeting, Kind.MINUTES, language, time_zone=time_zone, minutes=minutes, sheet=sheet)
    pack, _created = _row_for(meeting, Kind.MINUTES, language, key)
    if is_current(pack, key):
        return pack
    _reset(pack, key, total=1)
    try:
        items = items_with_texts(minutes)
        data = pdf.build_minutes(minutes, sheet=sheet, items=items, language=language, time_zone=time_zone)
    except Exception as error:  # a PDF that cannot be set is reported on the row, not as a 500
        _fail(pack.pk, key, error)
        pack.refresh_from_db()
        return pack
    _store(pack, key, data)
    return pack


@task
def build_meeting_pack(pack_id: int, key: str, time_zone: str) -> str:
    """Build the pack row `pack_id` for `key`; a row since asked for another key is left alone.
    Returns what happened: "ready", "failed" or "skipped". Safe to run twice."""
    claimed = MeetingPack.objects.filter(
        pk=pack_id, key=key, status__in=[Status.QUEUED, Status.BUILDING]
    ).update(status=Status.BUILDING)
    if not claimed:
        return "skipped"
    pack = MeetingPack.objects.get(pk=pack_id)

    def progress(done: int, total: int) -> None:
        MeetingPack.objects.filter(pk=pack_id, key=key).update(done=done, total=total)
        pack.total = total

    try:
        meeting = pack_meeting(pack.meeting_id)
        data = pdf.build_pack(meeting, language=pack.language, time_zone=time_zone, progress=progress)
    except Exception as error:  # reported on the status page; the log has the traceback
        _fail(pack_id, key, error)
        return "failed"
    return "ready" if _store(pack, key, data) else "skipped"
