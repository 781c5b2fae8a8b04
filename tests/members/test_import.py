"""Bulk invitation from a CSV or XLSX file: every row is checked first; one error and nobody is invited."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from core.spreadsheets import IMPORT_MAX_ROWS
from members import invitations
from members.models import JoinInvitation, Membership
from members.outbox import Kind, OutboundMessage
from tests.factories import AdministrationFactory, make_member

Role = Membership.Role
pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(group):
    """An English-speaking chair: the assertions below read the messages as written in the code."""
    return make_member(group, Role.CHAIR, language="en")


@pytest.fixture
def administrations(db):
    return [AdministrationFactory(acronym="FOD-BOSA"), AdministrationFactory(acronym="DKO")]


def csv_file(text: str, name: str = "people.csv", *, bom: bool = False, encoding: str = "utf-8"):
    data = text.encode(encoding)
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


def xlsx_file(rows: list[list], name: str = "people.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def upload(client, group, uploaded):
    return client.post(reverse("members:group-import", args=[group.slug]), {"file": uploaded})


def row_errors(response) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in response.context["row_errors"]]


def file_errors(response) -> list[str]:
    return response.context["form"].errors.get("file", [])


def assert_nobody_invited():
    assert not JoinInvitation.objects.exists()
    assert not OutboundMessage.objects.exists()


# --- Files that are imported ------------------------------------------------------------------------


def test_chair_imports_a_belgian_excel_csv_with_semicolons_and_bom(
    client, group, chair, administrations, mailoutbox, django_capture_on_commit_callbacks
):
    text = (
        "E-mail;Name;Language;Administration;Role\r\n"
        "an.peeters@example.org;An Peeters;nl;fod-bosa;Secretariat\r\n"
        "Luc.Dubois@Example.org;Luc Dubois;FR;FOD-BOSA;vice_chair\r\n"
        ";;;;\r\n"
        "maria.schmitz@example.org;Maria Schmitz;de;DKO;\r\n"
        'jo@example.org;"Jo; the second";en;;observer\r\n'
    )
    client.force_login(chair.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, group, csv_file(text, bom=True))
    assert response.status_code == 302
    assert response["Location"] == reverse("members:group-invitations", args=[group.slug])
    page = client.get(response["Location"])
    assert "4 invitations were sent." in page.text

    found = {i.email: i for i in JoinInvitation.objects.select_related("administration")}
    assert set(found) == {
        "an.peeters@example.org",
        "luc.dubois@example.org",
        "maria.schmitz@example.org",
        "jo@example.org",
    }
    assert found["an.peeters@example.org"].role == Role.SECRETARIAT
    assert found["an.peeters@example.org"].administration.acronym == "FOD-BOSA"
    assert found["luc.dubois@example.org"].role == Role.VICE_CHAIR
    assert found["luc.dubois@example.org"].language == "fr"
    assert found["maria.schmitz@example.org"].role == Role.MEMBER  # empty role: member
    assert found["jo@example.org"].name == "Jo; the second" and found["jo@example.org"].administration is None
    assert all(i.invited_by == chair and i.group == group for i in found.values())
    # One email each, in each person's language, in one sending of the outbox.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(found)
    languages = {m.to[0]: m.extra_headers["Content-Language"] for m in mailoutbox}
    assert languages["maria.schmitz@example.org"] == "de"
    assert len(set(OutboundMessage.objects.filter(kind=Kind.JOIN_INVITATION).values_list("batch"))) == 1


def test_chair_imports_an_xlsx_file(client, group, chair, administrations):
    rows = [
        ["email", "name", "language", "administration", "role"],
        ["a@example.org", "A", "nl", "DKO", "Member"],
        [None, None, None, None, None],
        ["b@example.org", "B", "en", None, "Observer"],
    ]
    client.force_login(chair.user)
    response = upload(client, group, xlsx_file(rows))
    assert response.status_code == 302
    assert sorted(JoinInvitation.objects.values_list("email", "role")) == [
        ("a@example.org", Role.MEMBER),
        ("b@example.org", Role.OBSERVER),
    ]


def test_comma_separated_csv_without_bom_and_without_role_column(client, group, chair, administrations):
    text = "email,name,language,administration\nc@example.org,C,en,DKO\n"
    client.force_login(chair.user)
    assert upload(client, group, csv_file(text)).status_code == 302
    assert JoinInvitation.objects.get().role == Role.MEMBER


def test_importing_replaces_an_earlier_pending_invitation(client, group, chair, administrations):
    earlier = invitations.invite_to_group(
        by=chair, group=group, email="a@example.org", name="A", language="en"
    )
    client.force_login(chair.user)
    upload(client, group, csv_file("email,name,language,administration\na@example.org,A,nl,\n"))
    earlier.refresh_from_db()
    assert earlier.revoked_at is not None
    assert JoinInvitation.objects.pending().get().language == "nl"


def test_import_template_has_the_expected_columns(client, group, chair):
    client.force_login(chair.user)
    response = client.get(reverse("members:group-import-template", args=[group.slug]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == ["email", "name", "language", "administration", "role"]


# --- Files that are refused, row by row ----------------------------------------------------------------


def test_wrong_columns_are_reported_and_nothing_is_imported(client, group, chair, administrations):
    text = "email;full name;administration;phone\na@example.org;A;DKO;0470\n"
    client.force_login(chair.user)
    response = upload(client, group, csv_file(text))
    assert response.status_code == 200
    assert row_errors(response) == [(1, "full name"), (1, "phone"), (1, "name"), (1, "language")]
    assert "Unknown column “phone”" in response.text
    assert "The column “language” is missing." in response.text
    assert "<caption>Errors, row by row</caption>" in response.text
    assert 'role="alert"' in response.text
    assert_nobody_invited()


def test_duplicate_emails_are_reported_on_the_repeated_row(client, group, chair, administrations):
    text = (
        "email;name;language;administration\n"
        "a@example.org;A;nl;DKO\n"
        "b@example.org;B;nl;DKO\n"
        "A@Example.org;A again;fr;DKO\n"
    )
    client.force_login(chair.user)
    response = upload(client, group, csv_file(text))
    assert row_errors(response) == [(4, "email")]
    assert "a@example.org is already on row 2." in response.text
    assert "Nobody was invited" in response.text
    assert_nobody_invited()


def test_unknown_administration_is_reported(client, group, chair, administrations):
    inactive = AdministrationFactory(acronym="OLD", is_active=False)
    text = (
        "email,name,language,administration\n"
        "a@example.org,A,nl,DKO\n"
        "b@example.org,B,nl,NOPE\n"
        f"c@example.org,C,nl,{inactive.acronym}\n"
    )
    client.force_login(chair.user)
    response = upload(client, group, csv_file(text))
    assert row_errors(response) == [(3, "administration"), (4, "administration")]
    assert "No active administration has the acronym “NOPE”." in response.text
    assert_nobody_invited()


def test_invalid_emails_languages_roles_and_names_are_all_reported_at_once(
    client, group, chair, focal_point, administrations
):
    rows = [
        ["email", "name", "language", "administration", "role"],
        ["not-an-email", "A", "nl", "DKO", "member"],
        ["b@example.org", "B", "Nederlands", "DKO", "member"],
        ["c@example.org", "C", "en", "DKO", "boss"],
        ["d@example.org", "", "en", "DKO", "substitute"],
        [focal_point.user.email.upper(), "F", "en", "DKO", "member"],
        ["", "No address", "en", "DKO", ""],
    ]
    client.force_login(chair.user)
    response = upload(client, group, xlsx_file(rows))
    assert response.status_code == 200
    assert row_errors(response) == [
        (2, "email"),
        (3, "language"),
        (4, "role"),
        (5, "name"),
        (5, "role"),
        (6, "email"),
        (7, "email"),
    ]
    assert "“Nederlands” is not a language" in response.text
    assert "“boss” is not a role." in response.text
    assert "already a member of the group" in response.text
    assert_nobody_invited()


def test_errors_are_shown_in_the_uploaders_language(client, group, administrations):
    dutch_chair = make_member(group, Role.CHAIR, language="nl")
    client.force_login(dutch_chair.user)
    response = upload(
        client, group, csv_file("email,name,language,administration\na@example.org,A,nl,NOPE\n")
    )
    with translation.override("nl"):
        expected = translation.gettext("No active administration has the acronym “%(value)s”.") % {
            "value": "NOPE"
        }
        caption = translation.gettext("Errors, row by row")
    assert expected in response.text
    assert f"<caption>{caption}</caption>" in response.text
    assert_nobody_invited()


def test_a_10_mb_upload_is_refused(client, group, chair):
    big = "email,name,language,administration\n" + "x" * (10 * 1024 * 1024)
    client.force_login(chair.user)
    response = upload(client, group, csv_file(big))
    assert response.status_code == 200
    assert any("too large" in error for error in file_errors(response))
    assert 'aria-invalid="true"' in response.text
    assert_nobody_invited()


def test_a_pdf_renamed_csv_is_refused(client, group, chair):
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nemail,name,language,administration\n%%EOF\n"
    client.force_login(chair.user)
    response = upload(client, group, SimpleUploadedFile("people.csv", pdf, content_type="text/csv"))
    assert any("not a spreadsheet" in error for error in file_errors(response))
    assert_nobody_invited()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("people.csv", b"email,name\x00,language"),  # binary
        ("people.xlsx", b"email,name,language,administration\na@example.org,A,nl,\n"),  # text named .xlsx
        ("people.csv", b"PK\x03\x04 a zip named .csv"),
        ("people.xlsx", b"PK\x03\x04 not really a zip"),
        ("people.pdf", b"email,name,language,administration\n"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(client, group, chair, name, content):
    client.force_login(chair.user)
    response = upload(client, group, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert file_errors(response)
    assert_nobody_invited()


def test_a_csv_not_in_utf8_is_refused_with_advice(client, group, chair):
    text = "email;name;language;administration\nf@example.org;François;fr;\n"
    client.force_login(chair.user)
    response = upload(client, group, csv_file(text, encoding="cp1252"))
    assert any("CSV UTF-8" in error for error in file_errors(response))
    assert_nobody_invited()


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"email,name,language,administration\n"])
def test_an_empty_file_is_refused(client, group, chair, content):
    client.force_login(chair.user)
    response = upload(client, group, SimpleUploadedFile("people.csv", content))
    assert response.status_code == 200
    assert file_errors(response)
    assert_nobody_invited()


def test_an_empty_xlsx_is_refused(client, group, chair):
    client.force_login(chair.user)
    response = upload(client, group, xlsx_file([]))
    assert any("empty" in error for error in file_errors(response))
    assert_nobody_invited()


def test_too_many_rows_are_refused(client, group, chair):
    rows = "".join(f"p{n}@example.org,P{n},en,\n" for n in range(IMPORT_MAX_ROWS + 1))
    client.force_login(chair.user)
    response = upload(client, group, csv_file("email,name,language,administration\n" + rows))
    assert any("more than 1000 rows" in error for error in file_errors(response))
    assert_nobody_invited()


# --- Who may import ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["focal_point", "observer"])
def test_members_without_a_managing_role_cannot_import(client, group, persona, request, administrations):
    client.force_login(request.getfixturevalue(persona).user)
    response = upload(client, group, csv_file("email,name,language,administration\na@example.org,A,nl,\n"))
    assert response.status_code == 403
    assert_nobody_invited()


def test_outsider_cannot_import(client, group, outsider):
    client.force_login(outsider.user)
    response = upload(client, group, csv_file("email,name,language,administration\na@example.org,A,nl,\n"))
    assert response.status_code == 404
    assert_nobody_invited()


@pytest.mark.parametrize("count", [1, 30])
def test_import_page_queries_do_not_grow(client, group, chair, count, django_assert_num_queries):
    for _ in range(count):
        make_member(group, Role.MEMBER)
        AdministrationFactory()
    client.force_login(chair.user)
    # session, user, member, roles, group
    with django_assert_num_queries(5):
        response = client.get(reverse("members:group-import", args=[group.slug]))
    assert response.status_code == 200
    # The page explains the expected columns and values.
    assert "nl, fr, de, en" in response.text
    assert "chair, vice_chair, secretariat, member, observer." in response.text
