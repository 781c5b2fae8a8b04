"""The meeting pack and the minutes as PDF, read back with pdfminer.six (not our code, not pypdf)."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pdfminer.high_level import extract_text
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from meetings import packs, pdf
from meetings.models import Attendance, Document, DocumentFile, MeetingPack, Minutes
from tests.meetings.factories import make_items, make_meeting, speaks
from tests.meetings.minutes_factories import attended, held_meeting, make_minutes

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


def paper(*pages: str) -> bytes:
    """A real PDF with one page per text."""
    body = "".join(f'<p style="break-before: page">{text}</p>' for text in pages)
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def attach(meeting, item, title, *editions) -> Document:
    """A document with (language, content, name, content type) editions."""
    document = Document.objects.create(meeting=meeting, agenda_item=item, title=title)
    for language, content, name, content_type in editions:
        DocumentFile.objects.create(
            document=document,
            language=language,
            file=SimpleUploadedFile(name, content),
            original_name=name,
            content_type=content_type,
            size=len(content),
        )
    return document


def pdf_edition(language: str, *pages: str, name: str = "paper.pdf"):
    return (language, paper(*pages), name, "application/pdf")


def page_texts(data: bytes) -> list[str]:
    count = len(PdfReader(io.BytesIO(data)).pages)
    return [extract_text(io.BytesIO(data), page_numbers=[index]) for index in range(count)]


def flat(outline: list) -> list:
    """The outline's entries, nested ones included."""
    return [entry for item in outline for entry in (flat(item) if isinstance(item, list) else [item])]


def squash(text: str) -> str:
    return " ".join(text.split())


def read_back(pack: MeetingPack) -> str:
    with pack.file.open("rb") as handle:
        return extract_text(io.BytesIO(handle.read()))


def build(client, member, meeting, django_capture_on_commit_callbacks, lang: str = "") -> bytes:
    """Ask for the pack as `member` (the task runs at once), then download it."""
    client.force_login(member.user)
    query = f"?lang={lang}" if lang else ""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("packs:status", args=[meeting.pk]) + query)
    assert response.status_code == 302
    response = client.get(reverse("packs:pack-pdf", args=[meeting.pk]) + query)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)


@pytest.fixture
def meeting(group, chair, focal_point):
    speaks(focal_point, "en")
    meeting = make_meeting(group, chair)
    items = make_items(meeting, 3, minutes=20)
    items[0].presenter = chair
    items[0].save()
    attach(meeting, items[0], "Budget note", pdf_edition("", "Alpha paper page one", "Alpha paper page two"))
    attach(meeting, items[1], "Legal opinion", ("", b"PK\x03\x04 not really", "opinion.docx", DOCX))
    attach(meeting, items[2], "Gamma report", pdf_edition("", "Gamma paper only page"))
    return meeting


@pytest.mark.django_db
def test_pack_holds_cover_agenda_contents_and_papers_in_order(
    client, meeting, chair, focal_point, django_capture_on_commit_callbacks
):
    data = build(client, focal_point, meeting, django_capture_on_commit_callbacks)
    pages = page_texts(data)
    total = len(pages)
    text = squash(" ".join(pages))

    assert "Meeting pack" in pages[0] and "Plenary on the CSR action plan" in squash(pages[0])
    # The agenda: items with their times (20 minutes each from 10:00), types and presenter.
    assert "Item 1" in text and "Item 2" in text and "Item 3" in text
    assert "10:00–10:20" in text and "10:20–10:40" in text and "10:40–11:00" in text
    assert "Information" in text
    assert chair.user.name in text
    # Every page is numbered across the whole pack, papers included.
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in squash(page)
    # The papers, in agenda order, where the outline and the contents say they start.
    reader = PdfReader(io.BytesIO(data))
    starts = {item.title: reader.get_destination_page_number(item) + 1 for item in flat(reader.outline)}
    assert starts["Budget note"] < starts["Gamma report"]
    assert "Alpha paper page one" in pages[starts["Budget note"] - 1]
    assert "Alpha paper page two" in pages[starts["Budget note"]]
    assert "Gamma paper only page" in pages[starts["Gamma report"] - 1]
    assert starts["Gamma report"] == starts["Budget note"] + 2
    assert text.index("Alpha paper page one") < text.index("Gamma paper only page")
    contents = squash(next(page for page in pages if "Contents" in page))
    assert re.search(rf"\b{starts['Budget note']}\b", contents)
    assert re.search(rf"\b{starts['Gamma report']}\b", contents)
    # A paper that is not a PDF is listed with its type and name, not attached.
    assert "not included (DOCX): opinion.docx" in contents
    assert total == starts["Gamma report"]
    # The PDF says its language and title.
    assert reader.metadata.title == "Meeting pack: Plenary on the CSR action plan"
    assert reader.trailer["/Root"]["/Lang"] == "en"


@pytest.mark.django_db
def test_reader_language_edition_is_chosen(
    group, chair, focal_point, django_capture_on_commit_callbacks, client
):
    meeting = make_meeting(group, chair)
    [item] = make_items(meeting, 1)
    attach(
        meeting,
        item,
        "Note",
        pdf_edition("en", "English edition text"),
        pdf_edition("fr", "Texte de l'édition française"),
        pdf_edition("", "Neutral edition text"),
    )
    attach(meeting, item, "German only", pdf_edition("de", "Nur auf Deutsch"))
    speaks(focal_point, "en")

    english = squash(
        " ".join(page_texts(build(client, focal_point, meeting, django_capture_on_commit_callbacks)))
    )
    assert "English edition text" in english and "Neutral edition text" not in english
    assert "Nur auf Deutsch" in english
    assert "in German: no edition in your language" in english

    french = squash(
        " ".join(page_texts(build(client, focal_point, meeting, django_capture_on_commit_callbacks, "fr")))
    )
    assert "Texte de l'édition française" in french and "English edition text" not in french
    assert MeetingPack.objects.filter(meeting=meeting).count() == 2  # one per language


@pytest.mark.django_db
def test_cached_pack_is_reused_until_a_document_or_the_agenda_changes(
    meeting, django_capture_on_commit_callbacks
):
    def ask():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            pack = packs.request_pack(meeting=meeting, kind=MeetingPack.Kind.PACK, language="en")
        pack.refresh_from_db()
        return pack, len(callbacks)

    first, queued = ask()
    assert first.status == MeetingPack.Status.READY and queued == 1 and first.size > 0
    again, queued = ask()
    assert queued == 0 and again.file.name == first.file.name  # nothing changed: the same file

    item = meeting.agenda_items.get(position=1)
    attach(meeting, item, "Late annex", pdf_edition("", "Annex added later"))
    after_upload, queued = ask()
    assert queued == 1 and after_upload.key != first.key and after_upload.file.name != first.file.name
    assert "Annex added later" in read_back(after_upload)

    item.title_en = "Item 1, renamed"
    item.save()
    after_edit, queued = ask()
    assert queued == 1 and after_edit.key != after_upload.key
    assert "Item 1, renamed" in read_back(after_edit)


@pytest.mark.django_db
def test_broken_and_encrypted_pdfs_do_not_stop_the_build(
    client, group, chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    items = make_items(meeting, 2)
    locked = PdfWriter(clone_from=PdfReader(io.BytesIO(paper("Secret text"))))
    locked.encrypt("secret")
    buffer = io.BytesIO()
    locked.write(buffer)
    attach(meeting, items[0], "Broken", ("", b"%PDF-1.4\nnot a pdf at all", "broken.pdf", "application/pdf"))
    attach(meeting, items[0], "Locked", ("", buffer.getvalue(), "locked.pdf", "application/pdf"))
    attach(meeting, items[1], "Good", pdf_edition("", "The good paper"))
    speaks(focal_point, "en")

    text = squash(
        " ".join(page_texts(build(client, focal_point, meeting, django_capture_on_commit_callbacks)))
    )
    assert "The good paper" in text
    assert "could not be included: broken.pdf" in text
    assert "could not be included: locked.pdf" in text
    assert "Secret text" not in text


@pytest.mark.django_db
def test_pack_pdf_before_it_is_built_leads_to_the_status_page(client, meeting, focal_point):
    client.force_login(focal_point.user)
    response = client.get(reverse("packs:pack-pdf", args=[meeting.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("packs:status", args=[meeting.pk]))
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'name="lang"' in page.content and b"<progress" not in page.content


@pytest.mark.django_db
def test_status_page_shows_progress_while_building(client, meeting, focal_point):
    client.force_login(focal_point.user)
    # Queued, not run: the task is enqueued on commit, which this test does not reach.
    pack = packs.request_pack(meeting=meeting, kind=MeetingPack.Kind.PACK, language="en")
    MeetingPack.objects.filter(pk=pack.pk).update(status=MeetingPack.Status.BUILDING, done=1, total=3)
    page = client.get(reverse("packs:status", args=[meeting.pk]))
    assert b'<progress id="pack-progress" max="3" value="1">' in page.content
    status = client.get(reverse("packs:status-json", args=[meeting.pk])).json()
    assert status["counts"] == {"done": 1, "total": 3} and status["pending"] == 1
    # A language that is not offered falls back to the reader's: the same English pack.
    unknown = client.get(reverse("packs:status-json", args=[meeting.pk]) + "?lang=xx' OR 1=1").json()
    assert unknown["counts"] == {"done": 1, "total": 3}


@pytest.mark.django_db
def test_outsider_cannot_get_the_pack_or_the_minutes(client, meeting, outsider):
    make_minutes(meeting, status=Minutes.Status.PUBLISHED)
    client.force_login(outsider.user)
    for name in ("packs:status", "packs:pack-pdf", "packs:minutes-pdf", "packs:status-json"):
        assert client.get(reverse(name, args=[meeting.pk])).status_code == 404
    assert client.post(reverse("packs:status", args=[meeting.pk])).status_code == 404
    assert not MeetingPack.objects.exists()


@pytest.mark.django_db
def test_member_cannot_get_draft_minutes_pdf(client, group, chair, focal_point):
    meeting = held_meeting(group, chair)
    make_minutes(meeting, chair=chair)  # a draft: for the managers only
    client.force_login(focal_point.user)
    assert client.get(reverse("packs:minutes-pdf", args=[meeting.pk])).status_code == 404


@pytest.mark.django_db
def test_minutes_pdf_holds_attendance_decisions_and_action_items(
    client, group, chair, focal_point, observer, outsider
):
    speaks(focal_point, "en")
    meeting = held_meeting(group, chair)
    minutes = make_minutes(meeting, chair=chair, status=Minutes.Status.PUBLISHED)
    attended(meeting, chair)
    attended(meeting, focal_point, Attendance.Status.EXCUSED)
    absent = attended(meeting, observer, Attendance.Status.ABSENT)
    Attendance.objects.filter(invitation=absent).update(represented_by_name="Jo Stand-In")
    client.force_login(focal_point.user)

    response = client.get(reverse("packs:minutes-pdf", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="minutes-')
    data = b"".join(response.streaming_content)
    text = squash(extract_text(io.BytesIO(data)))

    assert "Minutes" in text and "Plenary on the CSR action plan" in text
    for decision in minutes.decisions.all():
        assert decision.number in text and decision.text_en in text
    assert "Send the figures for item 1." in text and chair.administration.acronym in text
    for member in (chair, focal_point, observer):
        assert member.user.name in text
    assert "Present" in text and "Excused" in text and "Absent" in text and "Jo Stand-In" in text
    assert "The group discussed Item 1." in text  # the summary's Markdown, set as text
    assert re.search(r"Page 1 of \d", text)
    assert PdfReader(io.BytesIO(data)).metadata.title == "Minutes: Plenary on the CSR action plan"

    # Built once: the next download reuses the stored file.
    stored = MeetingPack.objects.get(meeting=meeting, kind=MeetingPack.Kind.MINUTES)
    client.get(reverse("packs:minutes-pdf", args=[meeting.pk]))
    assert MeetingPack.objects.get(pk=stored.pk).file.name == stored.file.name


def test_rendering_refuses_to_fetch_from_the_network():
    fetcher = pdf._fetcher()
    for url in ("http://example.com/logo.png", "https://example.com/style.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher(url)


@pytest.mark.django_db
@pytest.mark.parametrize("items", [3, 40])
@pytest.mark.parametrize("built", [False, True])
def test_status_page_queries_do_not_grow(
    client, group, chair, focal_point, items, built, django_assert_num_queries
):
    meeting = make_meeting(group, chair)
    for item in make_items(meeting, items):
        attach(meeting, item, f"Paper {item.position}", ("", b"%PDF-1.4", "p.pdf", "application/pdf"))
    if built:
        MeetingPack.objects.create(
            meeting=meeting,
            language="en",
            key=packs.pack_key(meeting, MeetingPack.Kind.PACK, "en"),
            status=MeetingPack.Status.READY,
            file="packs/x.pdf",
            size=10,
        )
    client.force_login(focal_point.user)
    # Sign-in and member (3), the meeting and the right to download (2), agenda with presenters,
    # documents and files, the meeting's own documents and files (5), the pack row (1).
    with django_assert_num_queries(11):
        response = client.get(reverse("packs:status", args=[meeting.pk]))
    assert response.status_code == 200
    assert (b"Download the meeting pack" in response.content) == built
