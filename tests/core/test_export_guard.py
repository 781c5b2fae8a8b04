"""The export guard: no text cell of a CSV or XLSX download can start a formula (OWASP's CSV
injection list, and the full-width forms), while numbers stay numbers."""

import csv
import io
from decimal import Decimal

import django_tables2 as tables
import openpyxl
import pytest
from django.test import RequestFactory

from core.tables import export_response, spreadsheet_safe

DANGEROUS_STARTS = ["=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20"]


@pytest.mark.parametrize("start", DANGEROUS_STARTS)
@pytest.mark.parametrize("rest", ["1+1", "32 2 123 45 67", "2+3+cmd|' /C calc'!A0", "SUM(A1:A9)", ""])
def test_text_starting_a_formula_gets_an_apostrophe(start, rest):
    assert spreadsheet_safe(start + rest) == "'" + start + rest


@pytest.mark.parametrize("value", ["-1", "+32 2 000 00 00", "-12.5", "+1", "\uff0d5"])
def test_number_like_text_is_neutralised_too(value):
    # Text is text: Excel reads "+1+1" as a formula just as it reads "=1+1".
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", [-1, 1.5, -2.25, Decimal("-3.10"), 0, None, True])
def test_numbers_and_other_values_pass_unchanged(value):
    assert spreadsheet_safe(value) is value


@pytest.mark.parametrize("value", ["Jan Peeters", "", " =1", "'=1", "a=b", "1-2", "é@x"])
def test_ordinary_text_passes_unchanged(value):
    assert spreadsheet_safe(value) == value


class _Table(tables.Table):
    text = tables.Column()
    amount = tables.Column()


ROWS = [{"text": start + "1+1", "amount": -5} for start in DANGEROUS_STARTS]


def _export(export_format):
    request = RequestFactory().get("/", {"_export": export_format})
    return export_response(request, _Table(ROWS), title="Guard", filename="guard")


def test_csv_download_neutralises_every_dangerous_start():
    text = _export("csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [row[0] for row in rows] == ["'" + row["text"] for row in ROWS]
    assert {row[1] for row in rows} == {"-5"}  # a number written as a number


def test_xlsx_download_keeps_text_as_text_and_numbers_as_numbers():
    sheet = openpyxl.load_workbook(io.BytesIO(_export("xlsx").content)).active
    cells = list(sheet.iter_rows(min_row=2))
    assert len(cells) == len(ROWS)
    for (text, amount), row in zip(cells, ROWS, strict=True):
        # (XML stores a carriage return as a line feed: compare what follows the first character)
        assert text.data_type == "s" and text.value.startswith("'") and text.value[2:] == row["text"][1:]
        assert amount.data_type == "n" and amount.value == -5
