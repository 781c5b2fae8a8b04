"""Reading an uploaded spreadsheet for an import, and the checks every import makes of it.

read_spreadsheet() takes a CSV (UTF-8, comma or semicolon) or XLSX upload, tells the two apart by
content rather than by name, refuses anything else (too large, a zip bomb, an old .xls, a PDF...)
and returns the non-empty rows. parse_header() finds the columns of the header row, split_rows()
separates that header from the data rows and refuses a file with no data or too many rows, and
row_values() reads one data row by column. What the columns mean, and any further check of the
header, is the importing app's. Every problem is a RowError, in the reader's language; a file
that is not imported raises ImportRejected with all of them.
"""

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Data rows (the header aside) one file may hold.
IMPORT_MAX_ROWS = 1000


@dataclass(frozen=True)
class RowError:
    """One problem of an import file: row as numbered in the spreadsheet (None: the whole file)."""

    row: int | None
    column: str
    message: str


class ImportRejected(Exception):
    """The file was not imported; `errors` says why, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


# (row number as the spreadsheet shows it, cells as text) of each non-empty row.
Rows = list[tuple[int, list[str]]]
# A header parser: (cells, row number) -> ({column: index}, errors).
HeaderParser = Callable[[list[str], int], tuple[dict[str, int], list[RowError]]]

# Zip bombs are refused before openpyxl opens them, from the sizes the archive declares: zipfile
# never unpacks a part beyond its declared size, so the declaration bounds the work. A real
# workbook's XML packs some 5 to 20 times; a part that packs 100 times or more is filler.
_MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
_MAX_XLSX_RATIO = 100
_MAX_BLANK_ROWS = 10 * IMPORT_MAX_ROWS
_BINARY_SIGNATURES = (
    b"%PDF",
    b"\xd0\xcf\x11\xe0",  # old .xls / .doc (OLE)
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
    b"Rar!",
    b"MZ",  # Windows programs
    b"\x7fELF",
)


def _file_error(message: str) -> ImportRejected:
    return ImportRejected([RowError(None, "", message)])


def _not_a_spreadsheet() -> ImportRejected:
    return _file_error(_("This file is not a spreadsheet. Upload a CSV (UTF-8) or an Excel .xlsx file."))


def _read_upload(uploaded_file: UploadedFile) -> bytes:
    size = uploaded_file.size or 0
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise _file_error(
            _("The file is too large (%(size)s). The limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:  # the announced size was wrong
        raise _file_error(
            _("The file is too large. The limit is %(limit)s.") % {"limit": filesizeformat(limit)}
        )
    if not data.strip():
        raise _file_error(_("The file is empty."))
    return data


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Rows:
    """(row number, cells) of the first sheet's non-empty rows."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise _not_a_spreadsheet()
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > _MAX_XLSX_UNCOMPRESSED or unpacked > _MAX_XLSX_RATIO * len(data):
                raise _file_error(_("The spreadsheet is too large once unpacked."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportRejected:
        raise
    except Exception as error:  # openpyxl and zipfile raise many kinds for a damaged file
        message = _("This Excel file could not be read. Save it again as .xlsx, or as CSV UTF-8.")
        raise _file_error(message) from error
    try:
        sheet = workbook.worksheets[0]
        rows, blanks = [], 0
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [_cell_text(value) for value in cells]
            if not any(texts):
                blanks += 1
                if blanks > _MAX_BLANK_ROWS:
                    break
                continue
            rows.append((number, texts))
            if len(rows) > IMPORT_MAX_ROWS + 1:  # header + one too many is enough to say so
                break
        return rows
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Rows:
    """(row number, cells) of the non-empty records; comma or semicolon separated, UTF-8."""
    if b"\x00" in data:
        raise _not_a_spreadsheet()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _file_error(
            _("The CSV file is not in UTF-8. In Excel, save it with the type “CSV UTF-8”.")
        ) from error
    first_line = text.split("\n", 1)[0]
    # Excel in Belgium (and most of Europe) separates with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = []
    try:
        for number, cells in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            texts = [cell.strip() for cell in cells]
            if any(texts):
                rows.append((number, texts))
            if len(rows) > IMPORT_MAX_ROWS + 1:
                break
    except csv.Error as error:
        raise _file_error(_("This CSV file could not be read: check its quotes and separators.")) from error
    return rows


def read_spreadsheet(uploaded_file: UploadedFile) -> Rows:
    """The file's non-empty rows as (row number, cells), told apart by content, not by name."""
    data = _read_upload(uploaded_file)
    name = (uploaded_file.name or "").lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in {"csv", "xlsx", "txt"}:
        raise _not_a_spreadsheet()
    if data.startswith(b"PK\x03\x04"):
        if extension != "xlsx":
            raise _not_a_spreadsheet()
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(_("This is an old Excel file (.xls). Save it as .xlsx, or as CSV UTF-8."))
    if extension == "xlsx" or data.startswith(_BINARY_SIGNATURES):
        raise _not_a_spreadsheet()
    return _csv_rows(data)


def _normalise(cell: str) -> str:
    return cell.strip().lower()


def parse_header(
    cells: list[str],
    number: int,
    *,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    aliases: dict[str, str] | None = None,
    key: Callable[[str], str] = _normalise,
) -> tuple[dict[str, int], list[RowError]]:
    """{column: index}, or the errors of a header row that lacks, repeats or misnames columns.

    Each cell is turned into a column name by `key` (by default trimmed and lower-cased), then
    through `aliases`; empty cells are skipped. `columns` are all the known ones, `required` those
    that must be there. The caller adds its own checks (such as "at least one of these").
    """
    aliases = aliases or {}
    errors, positions = [], {}
    for index, cell in enumerate(cells):
        name = key(cell)
        name = aliases.get(name, name)
        if not name:
            continue
        if name not in columns:
            errors.append(RowError(number, cell, _("Unknown column “%(name)s”.") % {"name": cell}))
        elif name in positions:
            errors.append(RowError(number, name, _("The column “%(name)s” appears twice.") % {"name": name}))
        else:
            positions[name] = index
    for name in required:
        if name not in positions:
            errors.append(RowError(number, name, _("The column “%(name)s” is missing.") % {"name": name}))
    return positions, errors


def split_rows(
    rows: Rows, *, header: HeaderParser, no_data_message: str
) -> tuple[dict[str, int], Rows, list[RowError]]:
    """({column: index}, data rows, []) of read_spreadsheet()'s rows, or ({}, [], errors).

    The header comes first: without columns, rows mean nothing. `header` parses the header row
    (parse_header() with the import's columns, plus its own checks); `no_data_message` is the
    error of a file with a header and nothing under it, in the import's own words.
    """
    if not rows:
        return {}, [], [RowError(None, "", _("The file is empty."))]
    header_number, header_cells = rows[0]
    positions, errors = header(header_cells, header_number)
    if errors:
        return {}, [], errors
    data_rows = rows[1:]
    if not data_rows:
        return {}, [], [RowError(None, "", no_data_message)]
    if len(data_rows) > IMPORT_MAX_ROWS:
        message = _("The file has more than %(limit)d rows. Split it into several files.")
        return {}, [], [RowError(None, "", message % {"limit": IMPORT_MAX_ROWS})]
    return positions, data_rows, []


def row_values(cells: list[str], positions: dict[str, int], columns: tuple[str, ...]) -> dict[str, str]:
    """{column: text} of one data row; "" for a column the file lacks or the row leaves short."""
    return {
        column: cells[positions[column]] if column in positions and positions[column] < len(cells) else ""
        for column in columns
    }
