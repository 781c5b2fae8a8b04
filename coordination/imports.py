"""An existing plan loaded from a spreadsheet (CSV or XLSX) into one of its editions.

Every row is checked against the others and the database before anything is written; then all
rows are created in one transaction through the services (create_chapter, create_commitment,
record_progress), or none: any error, found before or while writing, leaves the database as it
was. Errors are listed by row (as numbered in the spreadsheet) and column, in the reader's
language. Reading the file (size, type by content, CSV or XLSX), the header's known, required
and repeated columns and the row limit are core.spreadsheets'; the title columns are checked here.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from coordination import services
from coordination.models import Chapter, Commitment, Completion, PlanEdition, Status
from core import date_window
from core.i18n import LANGUAGE_CODES
from core.spreadsheets import (
    ImportRejected,
    RowError,
    Rows,
    parse_header,
    read_spreadsheet,
    row_values,
    split_rows,
)
from core.translated import translated_names
from members.models import Administration, Member

TITLE_COLUMNS = tuple(translated_names("title"))
DESCRIPTION_COLUMNS = tuple(translated_names("description"))
COLUMNS = (
    "reference",
    "chapter",
    "chapter_title",
    *TITLE_COLUMNS,
    *DESCRIPTION_COLUMNS,
    "source",
    "source_reference",
    "lead_administration",
    "other_administrations",
    "start_date",
    "due_date",
    "status",
    "completion",
    "progress",
    "public",
)
REQUIRED_COLUMNS = ("reference", "lead_administration")
_COLUMN_ALIASES = {
    "lead": "lead_administration",
    "lead_admin": "lead_administration",
    "administration": "lead_administration",
    "other_owners": "other_administrations",
    "other_owner_administrations": "other_administrations",
    "owners": "other_administrations",
    "start": "start_date",
    "due": "due_date",
    "progress_%": "progress",
    "progress_(%)": "progress",
    "is_public": "public",
}
_YES = {"yes", "y", "true", "1", "x", "ja", "oui", "public"}
_NO = {"no", "n", "false", "0", "nee", "non", "nein"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_SEPARATORS = re.compile(r"[,;\s]+")
_MAX_LENGTHS = {
    "reference": 30,
    "chapter": 20,
    "chapter_title": 255,
    "source_reference": 255,
    **{name: 500 for name in TITLE_COLUMNS},
    **{name: 20_000 for name in DESCRIPTION_COLUMNS},
}


def _key(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _choice_lookup(choices) -> dict[str, str]:
    """Accepted spellings of each choice: its value, and its label in every language."""
    lookup = {}
    for code in LANGUAGE_CODES:
        with translation.override(code):
            for value, label in choices:
                lookup[str(label).strip().lower()] = value
    for value, _label in choices:
        lookup[value] = value
        lookup[value.replace("_", " ")] = value
        lookup[value.replace("_", "-")] = value
    return lookup


@dataclass
class PlannedRow:
    """One valid row, ready to be created."""

    number: int
    reference: str
    chapter_code: str
    chapter_title: str
    texts: dict[str, str]
    source: str
    source_reference: str
    lead: Administration
    others: list[Administration]
    start_date: date | None
    due_date: date | None
    status: str
    completion: str
    progress: int | None
    is_public: bool
    errors: list[RowError] = field(default_factory=list)


def _header(cells: list[str], number: int) -> tuple[dict[str, int], list[RowError]]:
    """{column: index}, or the errors of a header row that lacks, repeats or misnames columns."""
    positions, errors = parse_header(
        cells, number, columns=COLUMNS, required=REQUIRED_COLUMNS, aliases=_COLUMN_ALIASES, key=_key
    )
    if not any(name in positions for name in TITLE_COLUMNS):
        errors.append(
            RowError(
                number,
                "title_…",
                _("A title column is missing: add at least one of %(columns)s.")
                % {"columns": ", ".join(TITLE_COLUMNS)},
            )
        )
    return positions, errors


def _parse_date(text: str) -> date | None:
    # An XLSX date cell arrives as "2026-06-30 00:00:00".
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]00:00(:00)?", text):
        text = text[:10]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class _RowChecker:
    """Checks the data rows against each other and the database, in a fixed number of queries."""

    def __init__(self, edition: PlanEdition) -> None:
        self.edition = edition
        self.administrations = {a.acronym.lower(): a for a in Administration.objects.filter(is_active=True)}
        self.chapters = {c.code.lower(): c for c in edition.chapters.exclude(code="")}
        self.taken = {
            reference.lower()
            for reference in Commitment.objects.filter(edition=edition)
            .exclude(reference="")
            .values_list("reference", flat=True)
        }
        self.statuses = _choice_lookup(Status.choices)
        self.completions = _choice_lookup(Completion.choices)
        self.sources = _choice_lookup(Commitment.Source.choices)
        self.first_row_of: dict[str, int] = {}
        self.new_chapters: dict[str, str] = {}

    def check(self, number: int, values: dict[str, str]) -> PlannedRow:
        errors: list[RowError] = []

        def error(column: str, message: str) -> None:
            errors.append(RowError(number, column, message))

        def choice(
            column: str, lookup: dict[str, str], default: str, accepted: list[str], message: str
        ) -> str:
            """The choice the cell names (`default` when empty), or "" and an error."""
            if not values[column]:
                return default
            found = lookup.get(values[column].strip().lower(), "")
            if not found:
                error(column, message % {"value": values[column], "choices": ", ".join(accepted)})
            return found

        for column, value in values.items():
            if "\x00" in value:
                error(column, _("The cell contains a null character, which cannot be stored."))
                values[column] = value.replace("\x00", "")
            limit = _MAX_LENGTHS.get(column)
            if limit and len(value) > limit:
                error(column, _("The text is longer than %(limit)d characters.") % {"limit": limit})

        reference = values["reference"]
        if not reference:
            error("reference", _("The reference is missing."))
        elif reference.lower() in self.first_row_of:
            error(
                "reference",
                _("The reference %(reference)s is already on row %(row)d.")
                % {"reference": reference, "row": self.first_row_of[reference.lower()]},
            )
        elif reference.lower() in self.taken:
            error(
                "reference",
                _("The edition already has a commitment with the reference %(reference)s.")
                % {"reference": reference},
            )
        if reference:
            self.first_row_of.setdefault(reference.lower(), number)

        texts = {name: values[name] for name in (*TITLE_COLUMNS, *DESCRIPTION_COLUMNS) if values[name]}
        if not any(values[name] for name in TITLE_COLUMNS):
            error("title_…", _("The commitment has no title: fill in at least one title column."))

        chapter_code, chapter_title = values["chapter"], values["chapter_title"]
        if chapter_code and chapter_code.lower() not in self.chapters:
            known_title = self.new_chapters.get(chapter_code.lower())
            if chapter_title:
                self.new_chapters.setdefault(chapter_code.lower(), chapter_title)
            elif known_title is None:
                error(
                    "chapter",
                    _(
                        "The edition has no chapter %(code)s: give its title in the column "
                        "chapter_title to create it."
                    )
                    % {"code": chapter_code},
                )
        elif chapter_title and not chapter_code:
            error("chapter", _("A chapter title needs a chapter number in the column chapter."))

        source = choice(
            "source",
            self.sources,
            Commitment.Source.ACTION_PLAN.value,
            Commitment.Source.values,
            _("“%(value)s” is not a source: write one of %(choices)s."),
        )

        lead = None
        if not values["lead_administration"]:
            error("lead_administration", _("The lead administration is missing."))
        else:
            lead = self.administrations.get(values["lead_administration"].lower())
            if lead is None:
                error(
                    "lead_administration",
                    _("No active administration has the acronym “%(value)s”.")
                    % {"value": values["lead_administration"]},
                )
        others = []
        for acronym in _SEPARATORS.split(values["other_administrations"]):
            if not acronym:
                continue
            other = self.administrations.get(acronym.lower())
            if other is None:
                error(
                    "other_administrations",
                    _("No active administration has the acronym “%(value)s”.") % {"value": acronym},
                )
            elif other not in others and other != lead:
                others.append(other)

        dates = {}
        for column in ("start_date", "due_date"):
            dates[column] = None
            if values[column]:
                parsed = _parse_date(values[column])
                if parsed is None:
                    error(
                        column,
                        _("“%(value)s” is not a date: write it as 2026-06-30 or 30/06/2026.")
                        % {"value": values[column]},
                    )
                else:
                    try:
                        date_window.validate(parsed)
                    except ValidationError as problem:
                        error(column, problem.messages[0])
                    else:
                        dates[column] = parsed
        if dates["start_date"] and dates["due_date"] and dates["due_date"] < dates["start_date"]:
            error("due_date", _("The due date is before the start date."))

        status = choice(
            "status",
            self.statuses,
            Status.PLANNED.value,
            Status.values,
            _("“%(value)s” is not a status: write one of %(choices)s."),
        )
        completion = choice(
            "completion",
            self.completions,
            Completion.NOT_STARTED.value,
            Completion.values,
            _("“%(value)s” is not a completion level: write one of %(choices)s."),
        )
        progress = None
        if values["progress"]:
            text = values["progress"].strip().rstrip("%").strip()
            if re.fullmatch(r"\d{1,3}", text) and int(text) <= 100:
                progress = int(text)
            else:
                error("progress", _("The progress is a whole number from 0 to 100."))
        if status == Status.DONE:
            if progress is None:
                progress = 100
            elif progress != 100:
                error(
                    "progress", _("A commitment marked done is at 100 %; correct the status or the progress.")
                )

        is_public = True
        if values["public"]:
            answer = values["public"].strip().lower()
            if answer in _YES:
                is_public = True
            elif answer in _NO:
                is_public = False
            else:
                error("public", _("Write yes or no."))

        return PlannedRow(
            number=number,
            reference=reference,
            chapter_code=chapter_code,
            chapter_title=chapter_title,
            texts=texts,
            source=source,
            source_reference=values["source_reference"],
            lead=lead,
            others=others,
            start_date=dates["start_date"],
            due_date=dates["due_date"],
            status=status,
            completion=completion,
            progress=progress,
            is_public=is_public,
            errors=errors,
        )


def check_rows(edition: PlanEdition, rows: Rows) -> tuple[list[PlannedRow], list[RowError]]:
    """The rows to create, or every error of the file (header first: without columns, rows mean nothing)."""
    no_commitment = _("The file has a header row but no commitment.")
    positions, data_rows, errors = split_rows(rows, header=_header, no_data_message=no_commitment)
    if errors:
        return [], errors
    checker = _RowChecker(edition)
    planned = [checker.check(number, row_values(cells, positions, COLUMNS)) for number, cells in data_rows]
    errors = [error for row in planned for error in row.errors]
    return planned, errors


def _service_errors(number: int, error: ValidationError) -> ImportRejected:
    if hasattr(error, "error_dict"):
        return ImportRejected(
            [
                RowError(number, column, message)
                for column, messages in error.message_dict.items()
                for message in messages
            ]
        )
    return ImportRejected([RowError(number, "", message) for message in error.messages])


def import_plan(*, by: Member, edition: PlanEdition, uploaded_file: UploadedFile) -> list[Commitment]:
    """Create every commitment of a CSV or XLSX file in `edition`, or none: raises ImportRejected
    with every error found. Chapters named by number are created when the edition lacks them."""
    rows = read_spreadsheet(uploaded_file)
    planned, errors = check_rows(edition, rows)
    if errors:
        raise ImportRejected(errors)
    language = translation.get_language() or ""
    title_column = f"title_{language}" if language in LANGUAGE_CODES else TITLE_COLUMNS[-1]
    note = _("Imported from a spreadsheet.")
    created = []
    with transaction.atomic():
        chapters: dict[str, Chapter] = {c.code.lower(): c for c in edition.chapters.exclude(code="")}
        for row in planned:
            try:
                chapter = None
                if row.chapter_code:
                    chapter = chapters.get(row.chapter_code.lower())
                    if chapter is None:
                        chapter = services.create_chapter(
                            edition=edition,
                            by=by,
                            code=row.chapter_code,
                            texts={title_column: row.chapter_title},
                        )
                        chapters[row.chapter_code.lower()] = chapter
                commitment = services.create_commitment(
                    by=by,
                    texts=row.texts,
                    lead_administration=row.lead,
                    edition=edition,
                    chapter=chapter,
                    reference=row.reference,
                    source=row.source,
                    source_reference=row.source_reference,
                    start_date=row.start_date,
                    due_date=row.due_date,
                    is_public=row.is_public,
                    administrations=row.others,
                )
                changed = (row.status, row.completion, row.progress or 0) != (
                    Status.PLANNED,
                    Completion.NOT_STARTED,
                    0,
                )
                if changed:
                    for part in commitment.parts.all():
                        services.record_progress(
                            part=part,
                            by=by,
                            text=note,
                            language=language if language in LANGUAGE_CODES else "",
                            status=row.status,
                            completion=row.completion,
                            progress=row.progress,
                        )
            except ValidationError as error:
                # Checked above already; only a rule of the services or a change made meanwhile gets
                # here. Leaving the block raises, so nothing of the file is kept.
                raise _service_errors(row.number, error) from error
            created.append(commitment)
    return created
