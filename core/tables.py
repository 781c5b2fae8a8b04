"""What the tables of every app share: the CSV and XLSX download people open in Excel, and
sorting and paging the way our pages do it (the page size is ours, not the query string's)."""

from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse
from django_tables2 import RequestConfig, Table
from django_tables2.export import TableExport
from tablib import Dataset

# ?_export=csv or ?_export=xlsx downloads the table instead of showing the page.
EXPORT_PARAMETER = "_export"

# A text cell a spreadsheet could read as a formula, as OWASP's CSV injection guidance lists them:
# = + - @ tab and carriage return, and the full-width forms some spreadsheets also accept. Text that
# only looks like a phone number ("+32 2 123 45 67", "+1+1") is still read as a formula, so it gets
# the apostrophe too: deciding which rest is harmless is the guessing the guidance warns against.
# Numbers exported as numbers (int, float, Decimal) are not text and stay numbers.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value):
    """Text that Excel or LibreOffice could run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetExport(TableExport):
    """TableExport for CSV and XLSX that people open in Excel.

    Cells cannot inject formulas (members write their own name and job title), and CSV
    starts with a byte order mark so that Excel reads accented names as UTF-8.
    """

    FORMATS = {key: TableExport.FORMATS[key] for key in (TableExport.CSV, TableExport.XLSX)}

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format in cls.FORMATS

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        rows = table.as_values(exclude_columns=exclude_columns)
        dataset = Dataset(**(dataset_kwargs or {}))
        dataset.headers = next(rows)
        for row in rows:
            dataset.append([spreadsheet_safe(value) for value in row])
        return dataset

    def export(self):
        data = super().export()
        if self.format == self.CSV:
            return "\ufeff" + data
        return data


def export_response(request: HttpRequest, table: Table, *, title: str, filename: str) -> HttpResponse | None:
    """The whole table (sorted as asked, not one page) as the ?_export= format asks, in a file
    `filename`.<format> whose sheet is `title`; None when no valid format is asked for."""
    if not export_requested(request):
        return None
    export_format = request.GET[EXPORT_PARAMETER]
    RequestConfig(request, paginate=False).configure(table)
    exporter = SpreadsheetExport(export_format, table, dataset_kwargs={"title": str(title)[:31]})
    return exporter.response(filename=f"{filename}.{export_format}")


def sort_and_paginate(request: HttpRequest, table: Table, per_page: int) -> Table:
    """Apply ?sort= and show the requested page: a page number that is not one shows page 1,
    one past the end shows the last page. The page size is ours, not the query string's."""
    RequestConfig(request, paginate=False).configure(table)
    try:
        page = max(int(request.GET.get(table.prefixed_page_field, 1)), 1)
    except ValueError:
        page = 1
    try:
        table.paginate(page=page, per_page=per_page)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, per_page=per_page)
    return table


def export_requested(request: HttpRequest) -> bool:
    """Whether the query string asks for the table as a file (?_export=csv or xlsx)."""
    return SpreadsheetExport.is_valid_format(request.GET.get(EXPORT_PARAMETER))
