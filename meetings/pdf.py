"""The meeting pack and the minutes as PDF, for one reader's language and time zone.

HTML from templates/meetings/pdf/ is set by WeasyPrint (fonts from the system: DejaVu, Liberation;
nothing is fetched over the network), the papers are joined with pypdf. Builders only: they read
what they are handed (loaded by meetings.packs) and return bytes; they write nothing.

The pack is: a cover, the agenda with times, types and presenters, a table of contents giving the
page where each paper starts, then each PDF paper in agenda order, every page numbered
"page X of Y" across the whole pack, with a bookmark per paper. A paper that is not a PDF, or a
PDF that cannot be read (encrypted, broken), is listed in the contents and left out.
"""

import io
import logging
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.documents import arrange_files
from core.i18n import localized
from meetings.agenda import agenda_with_clock
from meetings.invitees import attendance_by_administration
from meetings.models import AgendaItem, Attendance, Document, DocumentFile, Meeting, Minutes

# WeasyPrint and pypdf are imported where a PDF is built or read, not with this module: importing
# WeasyPrint takes about a second (it loads Pango through cffi), and the URL configuration imports
# this module through the pack views, so every process (and the first request of each) would pay
# it whether or not it ever makes a PDF.
if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter
    from weasyprint.urls import URLFetcher

logger = logging.getLogger(__name__)

PDF_TYPE = "application/pdf"
# Rendering never reaches the network: only inline data: URLs may be read (none are used today).
ALLOWED_PROTOCOLS = frozenset({"data"})
# How many times the front matter is set again when its own length moves the papers' pages.
FRONT_MATTER_PASSES = 4

Progress = Callable[[int, int], None]


class Included:
    """What became of a paper in the pack (the values the contents template tests)."""

    YES = "included"
    NOT_PDF = "not_pdf"
    UNREADABLE = "unreadable"
    NO_FILE = "no_file"


@dataclass
class Paper:
    """One document of the pack, with the file chosen for the reader and where it starts."""

    document: Document
    item: AgendaItem | None
    file: DocumentFile | None
    # The language of the edition chosen when it is neither the reader's nor for every language.
    other_language: str = ""
    state: str = Included.NO_FILE
    type_label: str = ""
    pages: int = 0
    start: int = 0  # 1-based page of the pack where the paper starts
    reader: "PdfReader | None" = field(default=None, repr=False)

    @property
    def included(self) -> bool:
        return self.state == Included.YES

    @property
    def other_language_name(self) -> str:
        return str(translation.get_language_info(self.other_language)["name_translated"])


def _fetcher() -> "URLFetcher":
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, timeout=1, allow_redirects=False)


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return f'"{escaped}"'


def page_footer_css(total: int | None = None) -> SafeString:
    """CSS `content` for "Page X of Y" in the active language: Y is counter(pages), or `total`
    when the document is only the first part of a longer PDF."""
    pattern = gettext("Page %(page)s of %(pages)s")
    pages = "counter(pages)" if total is None else _css_string(str(total))
    parts = []
    for piece in re.split(r"(%\(page\)s|%\(pages\)s)", pattern):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append(pages)
        elif piece:
            parts.append(_css_string(piece))
    return mark_safe(" ".join(parts))  # built from escaped CSS strings and counters only


def render_html_pdf(template: str, context: dict) -> tuple[bytes, int]:
    """(PDF bytes, page count) of a template of templates/meetings/pdf/, in the active language."""
    from weasyprint import HTML

    html = render_to_string(template, context)
    document = HTML(string=html, url_fetcher=_fetcher()).render()
    return document.write_pdf(), len(document.pages)


def _type_label(file: DocumentFile) -> str:
    name = file.original_name or ""
    if "." in name:
        return name.rsplit(".", 1)[1].upper()[:10]
    return file.content_type.split("/")[-1].upper()[:10]


def choose_file(document: Document, language: str) -> tuple[DocumentFile | None, str]:
    """(the file for a reader of `language`, the edition's language when it is another one).

    The reader's edition, else the one for every language, else the first in the fallback order;
    the latest version of each. Reads the prefetched files.
    """
    current, _older = arrange_files(document.files.all(), language)
    if not current:
        return None, ""
    chosen = current[0]
    other = chosen.language if chosen.language not in {"", language} else ""
    return chosen, other


def _read_paper(paper: Paper) -> None:
    """Open the chosen file, or say why it is left out. Never raises for a bad file."""
    file = paper.file
    if file is None:
        paper.state = Included.NO_FILE
        return
    paper.type_label = _type_label(file)
    if file.content_type != PDF_TYPE:
        paper.state = Included.NOT_PDF
        return
    from pypdf import PdfReader, PdfWriter

    try:
        with file.file.open("rb") as handle:
            data = handle.read()
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("encrypted")
        # Copy it once in full: what cannot be copied here would break the pack later.
        copy = PdfWriter(clone_from=reader)
        buffer = io.BytesIO()
        copy.write(buffer)
        reader = PdfReader(io.BytesIO(buffer.getvalue()))
        pages = len(reader.pages)
        if pages == 0:
            raise ValueError("no pages")
    except Exception as error:  # any failure of a paper leaves it out, never stops the pack
        logger.warning("Paper %s (file %s) left out of the pack: %r", paper.document.pk, file.pk, error)
        paper.state = Included.UNREADABLE
        return
    paper.state, paper.reader, paper.pages = Included.YES, reader, pages


def pack_papers(meeting: Meeting, language: str) -> list[Paper]:
    """The pack's documents in agenda order (then those of the whole meeting), files chosen.

    `meeting` comes from meetings.packs.pack_meeting(): agenda, documents and files prefetched.
    """
    papers = []
    for item in meeting.agenda:
        for document in item.documents.all():
            papers.append(Paper(document, item, *choose_file(document, language)))
    for document in meeting.general_documents:
        papers.append(Paper(document, None, *choose_file(document, language)))
    return papers


def _number_papers(papers: list[Paper], front_pages: int) -> int:
    page = front_pages
    for paper in papers:
        if paper.included:
            paper.start = page + 1
            page += paper.pages
    return page


def _overlay(labels: list[tuple[float, float, str]]) -> "PdfReader":
    """One page per (width, height in points, text): the text at the foot of an empty page."""
    sizes: dict[tuple[float, float], int] = {}
    pages = []
    for width, height, text in labels:
        size = sizes.setdefault((round(width, 2), round(height, 2)), len(sizes))
        pages.append((size, text))
    context = {"sizes": [(index, w, h) for (w, h), index in sizes.items()], "pages": pages}
    from pypdf import PdfReader

    data, _count = render_html_pdf("meetings/pdf/overlay.html", context)
    return PdfReader(io.BytesIO(data))


def _stamp_papers(writer: "PdfWriter", first_index: int, total: int) -> None:
    """Write "Page X of Y" on every page from `first_index` (0-based) on: the papers' pages."""
    pattern = gettext("Page %(page)s of %(pages)s")
    labels, boxes = [], []
    for index in range(first_index, len(writer.pages)):
        page = writer.pages[index]
        if page.rotation:
            page.transfer_rotation_to_content()
        box = page.mediabox
        boxes.append((float(box.left), float(box.bottom)))
        labels.append((float(box.width), float(box.height), pattern % {"page": index + 1, "pages": total}))
    if not labels:
        return
    overlay = _overlay(labels)
    for offset, (left, bottom) in enumerate(boxes):
        page = writer.pages[first_index + offset]
        page.merge_translated_page(overlay.pages[offset], left, bottom, over=True)


def build_pack(meeting: Meeting, *, language: str, time_zone: str, progress: Progress | None = None) -> bytes:
    """The meeting pack as PDF bytes, for a reader of `language` in `time_zone`.

    `progress(done, total)` is called after each paper is read (the slow part).
    """
    from pypdf import PdfReader, PdfWriter

    zone = zoneinfo.ZoneInfo(time_zone)
    with translation.override(language), timezone.override(zone):
        agenda, agenda_end = agenda_with_clock(meeting, language)
        papers = pack_papers(meeting, language)
        for done, paper in enumerate(papers, start=1):
            _read_paper(paper)
            if progress is not None:
                progress(done, len(papers))
        title = pack_title(meeting, language)
        context = {
            "meeting": meeting,
            "agenda": agenda,
            "agenda_end": agenda_end,
            "papers": papers,
            "title": title,
            "language": language,
            "zone_name": time_zone,
            "built_at": timezone.now(),
        }
        front, front_pages = b"", 0
        for _attempt in range(FRONT_MATTER_PASSES):
            total = _number_papers(papers, front_pages)
            context["page_footer"] = page_footer_css(total)
            front, pages = render_html_pdf("meetings/pdf/pack.html", context)
            if pages == front_pages:
                break
            front_pages = pages
        total = _number_papers(papers, front_pages)

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(front)))
        for paper in papers:
            if paper.included:
                writer.append(paper.reader, import_outline=False)
        _stamp_papers(writer, front_pages, total)
        for paper in papers:
            if paper.included:
                writer.add_outline_item(title=paper.document.title, page_number=paper.start - 1)
        writer.add_metadata({"/Title": title})
        buffer = io.BytesIO()
        writer.write(buffer)
    return buffer.getvalue()


def pack_title(meeting: Meeting, language: str) -> str:
    with translation.override(language):
        return gettext("Meeting pack: %(title)s") % {"title": localized(meeting, "title", language)}


def minutes_title(meeting: Meeting, language: str) -> str:
    with translation.override(language):
        return gettext("Minutes: %(title)s") % {"title": localized(meeting, "title", language)}


def build_minutes(minutes: Minutes, *, sheet: list, items: list, language: str, time_zone: str) -> bytes:
    """The minutes as PDF bytes: header, attendance per administration, items with their summary,
    decisions and action items. `items` have `decisions` and `actions` prefetched; `sheet` is
    meetings.attendance.attendance_sheet(meeting, with_colleagues=False)."""
    meeting = minutes.meeting
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(time_zone)):
        status_labels = {value: str(label) for value, label in Attendance.Status.choices}
        groups = attendance_by_administration(sheet)
        for group in groups:
            for row in group.rows:
                row.status_label = status_labels.get(row.status, row.status)
        context = {
            "meeting": meeting,
            "minutes": minutes,
            "items": items,
            "attendance": groups,
            "title": minutes_title(meeting, language),
            "language": language,
            "zone_name": time_zone,
            "page_footer": page_footer_css(),
            "built_at": timezone.now(),
        }
        data, _pages = render_html_pdf("meetings/pdf/minutes.html", context)
    return data
