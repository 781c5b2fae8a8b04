"""Loading a plan from a spreadsheet: every row checked, all or nothing, errors by row and column in
the reader's language, the templates read back by openpyxl and the csv module, and arbitrary
cells that never give a server error nor leave part of a file behind."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from coordination import imports, services
from coordination.models import Chapter, Commitment, CommitmentPart, ProgressUpdate, Status
from members.models import Administration, Membership
from tests.coordination.factories import ChapterFactory, make_commitment, make_plan
from tests.factories import AdministrationFactory, make_member

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def administrations():
    return {
        "ECO": AdministrationFactory(acronym="ECO", level=Administration.Level.FEDERAL),
        "EWI": AdministrationFactory(
            acronym="EWI", level=Administration.Level.REGIONAL, entity=Administration.Entity.FLEMISH
        ),
        "SPW": AdministrationFactory(
            acronym="SPW", level=Administration.Level.REGIONAL, entity=Administration.Entity.WALLOON
        ),
    }


@pytest.fixture
def plan(group, administrations):
    plan, edition = make_plan(group, slug="nap")
    ChapterFactory(edition=edition, code="1", title_en="Public procurement")
    return plan


def _sign_in(client, member, language: str = "en") -> None:
    member.user.language = language
    member.user.save(update_fields=["language"])
    client.force_login(member.user)


def _csv(rows: list[list[str]], delimiter: str = ",") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile("plan.csv", buffer.getvalue().encode("utf-8"), content_type="text/csv")


def _xlsx(rows: list[list]) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("plan.xlsx", buffer.getvalue())


HEADER = [
    "reference",
    "chapter",
    "chapter_title",
    "title_nl",
    "title_fr",
    "title_en",
    "lead_administration",
    "other_administrations",
    "start_date",
    "due_date",
    "status",
    "completion",
    "progress",
]
GOOD_ROWS = [
    HEADER,
    [
        "1.1",
        "1",
        "",
        "Duurzame aankopen",
        "Achats durables",
        "",
        "ECO",
        "EWI, SPW",
        "2025-01-01",
        "2026-12-31",
        "in_progress",
        "limited",
        "40",
    ],
    ["2.1", "2", "Due diligence", "", "", "Helpdesk for companies", "EWI", "", "", "30/06/2026", "", "", ""],
    ["2.2", "2", "", "", "", "Peer learning", "SPW", "ECO", "", "", "Done", "completed", ""],
]


def _post(client, plan, upload):
    edition = plan.editions.get()
    return client.post(f"/commitments/plans/{plan.slug}/import/", {"edition": edition.pk, "file": upload})


def test_chair_imports_a_plan_with_its_parts_chapters_and_progress(client, chair, plan):
    _sign_in(client, chair)
    response = _post(client, plan, _csv(GOOD_ROWS, delimiter=";"))
    assert response.status_code == 302, response.text
    edition = plan.editions.get()
    first = Commitment.objects.get(edition=edition, reference="1.1")
    assert first.title_nl == "Duurzame aankopen" and first.title_fr == "Achats durables"
    assert first.chapter.code == "1" and first.lead_administration.acronym == "ECO"
    assert sorted(first.parts.values_list("administration__acronym", flat=True)) == ["ECO", "EWI", "SPW"]
    assert (first.status, first.completion, first.progress) == ("in_progress", "limited", 40)
    assert first.start_date == date(2025, 1, 1) and first.due_date == date(2026, 12, 31)
    # Status and progress are each part's first update, so the timeline says where they came from.
    assert ProgressUpdate.objects.filter(part__commitment=first).count() == 3
    new_chapter = Chapter.objects.get(edition=edition, code="2")
    assert new_chapter.title_en == "Due diligence"
    second = Commitment.objects.get(reference="2.1")
    assert second.chapter == new_chapter and second.due_date == date(2026, 6, 30)
    assert (
        second.status == Status.PLANNED
        and not ProgressUpdate.objects.filter(part__commitment=second).exists()
    )
    third = Commitment.objects.get(reference="2.2")
    assert (third.status, third.progress) == ("done", 100)  # a label, not the value; done means 100 %


def test_xlsx_with_date_cells_is_imported(client, chair, plan):
    _sign_in(client, chair)
    rows = [
        HEADER,
        [
            "3.1",
            "1",
            "",
            "",
            "",
            "Reporting guide",
            "ECO",
            "",
            date(2025, 3, 1),
            date(2026, 3, 1),
            "",
            "",
            "10",
        ],
    ]
    response = _post(client, plan, _xlsx(rows))
    assert response.status_code == 302
    commitment = Commitment.objects.get(reference="3.1")
    assert commitment.due_date == date(2026, 3, 1) and commitment.progress == 10


def test_errors_are_listed_by_row_and_column_and_nothing_is_saved(client, chair, plan):
    make_commitment(plan.editions.get(), lead=Administration.objects.get(acronym="ECO"), reference="9.9")
    before = (Commitment.objects.count(), CommitmentPart.objects.count(), Chapter.objects.count())
    rows = [
        *GOOD_ROWS,
        ["2.1", "1", "", "", "", "Twice", "ECO", "", "", "", "", "", ""],
        ["9.9", "", "", "", "", "", "XYZ", "ECO ABC", "2026-13-01", "2025-01-01", "maybe", "", "140"],
    ]
    _sign_in(client, chair)
    response = _post(client, plan, _csv(rows))
    assert response.status_code == 200
    assert (Commitment.objects.count(), CommitmentPart.objects.count(), Chapter.objects.count()) == before
    errors = response.text.split('id="import-errors"')[1].split("</table>")[0]
    cells = [
        (row.split("</th>")[0].rsplit(">", 1)[1], row.split("<td>")[1].split("</td>")[0])
        for row in errors.split("<tr>")[2:]
    ]
    assert ("5", "reference") in cells  # 2.1 is already on row 3
    assert {column for row, column in cells if row == "6"} == {
        "reference",
        "title_…",
        "lead_administration",
        "other_administrations",
        "start_date",
        "status",
        "progress",
    }
    assert "already on row 3" in errors
    assert "No active administration has the acronym “XYZ”." in errors


def test_a_service_error_while_writing_leaves_nothing(client, chair, plan, monkeypatch):
    real = services.create_commitment
    calls = []

    def failing_on_the_third(**kwargs):
        calls.append(kwargs["reference"])
        if len(calls) == 3:
            raise ValidationError({"reference": "Taken meanwhile."})
        return real(**kwargs)

    monkeypatch.setattr(services, "create_commitment", failing_on_the_third)
    _sign_in(client, chair)
    response = _post(client, plan, _csv(GOOD_ROWS))
    assert response.status_code == 200 and "Taken meanwhile." in response.text
    assert not Commitment.objects.exists()
    assert not ProgressUpdate.objects.exists()
    assert not Chapter.objects.filter(code="2").exists()  # the chapter of row 3 went too


def test_header_errors_in_the_readers_language(client, chair, plan):
    _sign_in(client, chair, "fr")
    response = _post(client, plan, _csv([["reference", "colour"], ["1", "red"]]))
    assert response.status_code == 200
    assert "Colonne inconnue" in response.text  # "Unknown column", as the member import says it
    assert not Commitment.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(client, chair, plan):
    _sign_in(client, chair)
    upload = SimpleUploadedFile("plan.csv", b"%PDF-1.4 nothing", content_type="text/csv")
    response = _post(client, plan, upload)
    assert response.status_code == 200 and "not a spreadsheet" in response.text
    assert not Commitment.objects.exists()


def test_only_managers_import(client, plan, group, other_group):
    member = make_member(group, Role.MEMBER)
    _sign_in(client, member)
    assert client.get(f"/commitments/plans/{plan.slug}/import/").status_code == 403
    assert _post(client, plan, _csv(GOOD_ROWS)).status_code == 403
    outsider = make_member(other_group, Role.CHAIR)
    _sign_in(client, outsider)
    assert client.get(f"/commitments/plans/{plan.slug}/import/").status_code == 404
    assert not Commitment.objects.exists()


def test_templates_read_back(client, chair):
    _sign_in(client, chair)
    response = client.get("/commitments/import-template.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert list(next(sheet.iter_rows(values_only=True))) == list(imports.COLUMNS)
    response = client.get("/commitments/import-template.csv")
    assert next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == list(imports.COLUMNS)
    assert client.get("/commitments/import-template.pdf").status_code == 404


def test_a_template_filled_in_imports(client, chair, plan):
    _sign_in(client, chair)
    template = client.get("/commitments/import-template.xlsx").content
    workbook = load_workbook(io.BytesIO(template))
    row = dict.fromkeys(imports.COLUMNS, None) | {
        "reference": "4.1",
        "title_de": "Leitfaden",
        "lead_administration": "SPW",
    }
    workbook.active.append([row[column] for column in imports.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _post(client, plan, SimpleUploadedFile("filled.xlsx", buffer.getvalue())).status_code == 302
    assert Commitment.objects.get().title_de == "Leitfaden"


fuzz = hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "ECO",
            "EWI SPW",
            "1",
            "2",
            "done",
            "100",
            "2026-02-30",
            "0001-01-01",
            "9999-12-31",
            "=1+1",
            "\x00",
            "x" * 600,
        ]
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=40),
)


@fuzz
@given(cells=st.lists(st.fixed_dictionaries({column: CELL for column in HEADER}), min_size=1, max_size=3))
def test_arbitrary_cells_never_give_a_server_error_nor_partial_data(client, chair, plan, cells):
    _sign_in(client, chair)
    rows = [HEADER, *[[row[column] for column in HEADER] for row in cells]]
    before = (Commitment.objects.count(), Chapter.objects.count(), ProgressUpdate.objects.count())
    try:
        response = _post(client, plan, _csv(rows))
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            after = (Commitment.objects.count(), Chapter.objects.count(), ProgressUpdate.objects.count())
            assert after == before
        else:
            assert Commitment.objects.count() == before[0] + len(cells)
    finally:
        Commitment.objects.all().delete()
        Chapter.objects.exclude(code="1").delete()


def test_unknown_choices_name_their_column_and_what_is_accepted(plan):
    header = ["reference", "title_en", "lead_administration", "source", "status", "completion"]
    rows = [
        (1, header),
        (2, ["1.1", "Known", "ECO", "", "in progress", "Limited"]),
        (3, ["1.2", "Unknown", "ECO", "rumour", "maybe", "half"]),
    ]
    planned, errors = imports.check_rows(plan.editions.get(), rows)
    assert (planned[0].source, planned[0].status, planned[0].completion) == (
        "action_plan",
        "in_progress",
        "limited",
    )
    messages = {error.column: error.message for error in errors}
    assert [error.row for error in errors] == [3, 3, 3]
    assert messages["source"].startswith("“rumour” is not a source: write one of action_plan,")
    assert messages["status"].startswith("“maybe” is not a status: write one of planned,")
    assert messages["completion"].startswith("“half” is not a completion level: write one of not_started,")
