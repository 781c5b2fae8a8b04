"""The agenda and documents as a meeting's pages show them. Reads only."""

from datetime import datetime, timedelta

from core.documents import arrange_files
from meetings.models import AgendaItem, Meeting


def with_arranged_files(document, language: str):
    """The document, with `current_files` and `older_files` as its page lists them for `language`."""
    document.current_files, document.older_files = arrange_files(document.files.all(), language)
    return document


def agenda_with_clock(meeting: Meeting, language: str) -> tuple[list[AgendaItem], datetime]:
    """The prefetched agenda, each item with its planned start and end, and when the agenda ends."""
    clock = meeting.starts_at
    for item in meeting.agenda:
        item.planned_start = clock
        clock += timedelta(minutes=item.duration_minutes)
        item.planned_end = clock
        item.document_list = [with_arranged_files(document, language) for document in item.documents.all()]
    return meeting.agenda, clock
