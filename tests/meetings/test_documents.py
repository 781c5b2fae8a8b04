"""Meeting documents: type told from the content, size limit, versions, language editions, downloads."""

import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core import documents
from meetings import services
from meetings.models import Document, DocumentFile, Invitation
from tests.meetings.factories import (
    EXE,
    PDF,
    invite,
    make_document,
    make_items,
    make_meeting,
    odf_bytes,
    ooxml_bytes,
    plain_zip,
    speaks,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(chair):
    """The chair reads English in these tests, which read the page's messages."""
    return speaks(chair, "en")


# --- What may be uploaded ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("agenda.pdf", PDF, "pdf"),
        ("note.docx", ooxml_bytes("docx"), "docx"),
        ("budget.xlsx", ooxml_bytes("xlsx"), "xlsx"),
        ("slides.pptx", ooxml_bytes("pptx"), "pptx"),
        ("note.odt", odf_bytes("odt"), "odt"),
        ("budget.ods", odf_bytes("ods"), "ods"),
        ("slides.odp", odf_bytes("odp"), "odp"),
        ("list.csv", "name;administration\nÉlise;SPF Économie\n".encode(), "csv"),
        ("readme.TXT", "Plain text, ça va.\n".encode(), "txt"),
    ],
)
def test_allowed_types_are_recognised_from_their_content(name, content, extension):
    kind = documents.validate_upload(upload(name, content))
    assert kind.extension == extension


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("agenda.pdf", EXE),  # a program renamed .pdf
        ("agenda.exe", EXE),
        ("macro.docx", ooxml_bytes("docm")),  # a macro-enabled document renamed .docx
        ("archive.docx", plain_zip()),  # a zip that is not an office document
        ("binary.txt", b"abc\x00def"),
        ("latin1.csv", "Économie".encode("latin-1")),
        ("image.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
    ],
)
def test_disallowed_content_is_refused_whatever_its_name(name, content):
    with pytest.raises(ValidationError) as error:
        documents.validate_upload(upload(name, content))
    # The content is no allowed type, whatever the name claims: refused as such, not as a mismatch.
    assert error.value.code == "type"
    assert error.value.messages == [
        f"This type of file cannot be uploaded. Allowed types: {documents.allowed_types_text()}."
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [("agenda.docx", PDF), ("agenda", PDF), ("slides.pdf", ooxml_bytes("pptx")), ("notes.pdf", b"just text")],
)
def test_content_that_does_not_match_its_name_is_refused(name, content):
    with pytest.raises(ValidationError) as error:
        documents.validate_upload(upload(name, content))
    assert "does not match its name" in str(error.value)


def test_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        documents.validate_upload(upload("empty.txt", b""))


def test_oversized_file_is_refused_with_the_limit(settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        documents.validate_upload(upload("big.txt", b"a" * 5000))
    assert error.value.messages == ["The file is too large (4.9\xa0KB). The limit is 1000\xa0bytes."]


def test_limit_is_twenty_megabytes_by_default(settings):
    assert settings.DOCUMENT_MAX_BYTES == 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('../../etc/"pass wd".pdf', "_pass wd_.pdf"),
        ("C:\\Users\\me\\Plan d'action.pdf", "Plan d'action.pdf"),
        ("Résumé – été.pdf", "Résumé – été.pdf"),
        ("report.PDF", "report.pdf"),
        ("...", "document.pdf"),
        ("evil\r\nX-Header: 1.pdf", "evil__X-Header_ 1.pdf"),
    ],
)
def test_safe_filename_keeps_no_folders_quotes_or_control_characters(name, expected):
    assert documents.safe_filename(name, documents.KINDS["pdf"]) == expected


def test_reader_gets_their_language_edition_first_and_older_versions_apart():
    def file(language, version):
        return SimpleNamespace(language=language, version=version)

    files = [file("nl", 1), file("fr", 1), file("fr", 2), file("", 1), file("en", 1)]
    current, older = documents.arrange_files(files, "fr")
    assert [(f.language, f.version) for f in current] == [("fr", 2), ("", 1), ("en", 1), ("nl", 1)]
    assert [(f.language, f.version) for f in older] == [("fr", 1)]
    current, _older = documents.arrange_files(files, "nl")
    assert (current[0].language, current[0].version) == ("nl", 1)


# --- Services: versions and language editions -----------------------------------------------------


def test_new_versions_and_language_editions_keep_the_old_files(group, chair):
    meeting = make_meeting(group, chair)
    document = services.add_document(
        meeting=meeting, by=chair, upload=upload("plan-nl.pdf", PDF), title="Action plan", language="nl"
    )
    services.add_document_file(
        document=document, by=chair, upload=upload("plan-nl-v2.pdf", PDF), language="nl"
    )
    services.add_document_file(document=document, by=chair, upload=upload("plan-fr.pdf", PDF), language="fr")

    files = list(
        document.files.order_by("language", "version").values_list("language", "version", "original_name")
    )
    assert files == [("fr", 1, "plan-fr.pdf"), ("nl", 1, "plan-nl.pdf"), ("nl", 2, "plan-nl-v2.pdf")]
    assert all(f.file.storage.exists(f.file.name) for f in document.files.all())
    with document.files.get(language="fr").file.open("rb") as stored:
        assert stored.read() == PDF  # stored whole, although its type was read first


def test_document_for_an_item_of_another_meeting_is_refused(group, chair):
    meeting, other = make_meeting(group, chair), make_meeting(group, chair)
    [foreign] = make_items(other, 1)
    with pytest.raises(ValidationError) as error:
        services.add_document(meeting=meeting, by=chair, upload=upload("a.pdf", PDF), agenda_item=foreign)
    assert "agenda_item" in error.value.message_dict
    assert Document.objects.count() == 0


def test_refused_upload_creates_nothing(group, chair):
    meeting = make_meeting(group, chair)
    with pytest.raises(ValidationError) as error:
        services.add_document(meeting=meeting, by=chair, upload=upload("agenda.pdf", EXE), title="Agenda")
    assert "upload" in error.value.message_dict
    assert Document.objects.count() == 0 and DocumentFile.objects.count() == 0


def test_title_defaults_to_the_file_name(group, chair):
    meeting = make_meeting(group, chair)
    document = services.add_document(meeting=meeting, by=chair, upload=upload("Annual report.pdf", PDF))
    assert document.title == "Annual report"


# --- Upload page ---------------------------------------------------------------------------------


def test_chair_uploads_a_document_for_an_item(client, group, chair):
    meeting = make_meeting(group, chair)
    [item] = make_items(meeting, 1)
    client.force_login(chair.user)
    url = reverse("meetings:document-upload", args=[meeting.pk])
    assert f'value="{item.pk}" selected' in client.get(url, {"agenda_item": item.pk}).content.decode()

    response = client.post(
        url,
        {
            "title": "Draft",
            "agenda_item": str(item.pk),
            "language": "fr",
            "upload": upload("draft.docx", ooxml_bytes("docx")),
        },
    )

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.agenda_item, document.title) == (item, "Draft")
    file = document.files.get()
    assert (file.language, file.version, file.content_type) == ("fr", 1, documents.KINDS["docx"].content_type)


def test_chair_adds_a_new_version_from_the_page(client, group, chair):
    meeting = make_meeting(group, chair)
    document = make_document(meeting)
    client.force_login(chair.user)
    client.post(
        reverse("meetings:document-upload", args=[meeting.pk]),
        {"document": str(document.pk), "language": "", "upload": upload("plan-v2.pdf", PDF)},
    )
    assert list(document.files.values_list("version", flat=True).order_by("version")) == [1, 2]


def test_upload_page_explains_a_refused_file(client, group, chair):
    meeting = make_meeting(group, chair)
    client.force_login(chair.user)

    response = client.post(
        reverse("meetings:document-upload", args=[meeting.pk]),
        {"title": "Agenda", "upload": upload("agenda.pdf", EXE)},
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "This type of file cannot be uploaded." in text
    assert 'aria-describedby="id_upload_helptext id_upload_error"' in text or 'id="id_upload_error"' in text
    assert Document.objects.count() == 0


def test_upload_page_refuses_an_oversized_file(client, group, chair, settings):
    settings.DOCUMENT_MAX_BYTES = 100
    meeting = make_meeting(group, chair)
    client.force_login(chair.user)
    response = client.post(
        reverse("meetings:document-upload", args=[meeting.pk]), {"upload": upload("long.txt", b"x" * 101)}
    )
    assert "The file is too large" in response.content.decode()
    assert Document.objects.count() == 0


def test_upload_page_refuses_a_forged_item_of_another_meeting(client, group, chair):
    meeting, other = make_meeting(group, chair), make_meeting(group, chair)
    [foreign] = make_items(other, 1)
    client.force_login(chair.user)
    response = client.post(
        reverse("meetings:document-upload", args=[meeting.pk]),
        {"agenda_item": str(foreign.pk), "upload": upload("a.pdf", PDF)},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("agenda_item", "invalid_choice")
    assert Document.objects.count() == 0


# --- Downloads -----------------------------------------------------------------------------------


def download(client, file):
    return client.get(reverse("meetings:document-download", args=[file.pk]))


def test_group_member_downloads_an_attachment_with_a_safe_name(client, group, chair, observer):
    meeting = make_meeting(group, chair)
    document = make_document(meeting)
    file = document.files.get()
    file.original_name = 'Ordre du jour "final"/..\\été.pdf'
    file.save(update_fields=["original_name"])
    client.force_login(observer.user)

    response = download(client, file)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.replace("utf-8''", "") and "\\" not in disposition
    assert re.search(r"filename\*=utf-8''\S*%C3%A9t%C3%A9\.pdf", disposition)


def test_personally_invited_member_of_another_group_downloads(client, group, chair, outsider):
    meeting = make_meeting(group, chair)
    file = make_document(meeting).files.get()
    invite(meeting, [outsider], source=Invitation.Source.PERSONAL)
    client.force_login(outsider.user)
    assert download(client, file).status_code == 200


def test_outsider_and_removed_invitee_cannot_download(client, group, chair, outsider):
    meeting = make_meeting(group, chair)
    file = make_document(meeting).files.get()
    client.force_login(outsider.user)
    assert download(client, file).status_code == 404

    invite(meeting, [outsider], source=Invitation.Source.PERSONAL, removed_at=timezone.now())
    assert download(client, file).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, group, chair):
    file = make_document(make_meeting(group, chair)).files.get()
    response = download(client, file)
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_forged_file_id_is_not_found(client, focal_point):
    client.force_login(focal_point.user)
    assert client.get(reverse("meetings:document-download", args=[987654])).status_code == 404
