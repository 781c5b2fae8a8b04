"""A spreadsheet import stops early on an XLSX whose parts unpack to far more than its size (a zip
bomb), before openpyxl opens it, with the usual file error in the reader's language."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.spreadsheets import ImportRejected, read_spreadsheet


def _workbook(rows: int) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["email", "name", "language", "administration"])
    for number in range(rows):
        sheet.append([f"person{number}@example.org", "Same Name", "nl", "FOD"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_filler(megabytes: int) -> bytes:
    """A real workbook plus one part of zeros: a few kilobytes that unpack to `megabytes`."""
    buffer = io.BytesIO(_workbook(3))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/filler.bin", bytes(megabytes * 1024 * 1024))
    return buffer.getvalue()


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("members.xlsx", data)


def test_an_ordinary_workbook_of_the_largest_allowed_size_is_read():
    rows = read_spreadsheet(_upload(_workbook(1000)))
    assert len(rows) == 1001


@pytest.mark.parametrize("megabytes", [2, 20])
def test_a_workbook_unpacking_to_over_a_hundred_times_its_size_is_refused_unopened(megabytes, monkeypatch):
    data = _with_filler(megabytes)
    assert len(data) < 1024 * 1024  # well under the upload limit and the unpacked cap alike
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *args, **kwargs: opened.append(1))
    with translation.override("en"), pytest.raises(ImportRejected) as refused:
        read_spreadsheet(_upload(data))
    assert [error.message for error in refused.value.errors] == ["The spreadsheet is too large once unpacked."]
    assert opened == []


def test_the_refusal_is_in_the_readers_language():
    with translation.override("fr"), pytest.raises(ImportRejected) as refused:
        read_spreadsheet(_upload(_with_filler(2)))
    assert refused.value.errors[0].message == "La feuille de calcul est trop volumineuse une fois décompressée."


def test_a_lying_archive_is_refused_from_what_it_declares():
    """A part that declares more than it holds is refused on its declaration, not unpacked."""
    buffer = io.BytesIO(_workbook(3))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/filler.bin", b"tiny")
    data = bytearray(buffer.getvalue())
    # Rewrite the central directory's "uncompressed size" of the last part to 40 MB.
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 24 : entry + 28] = (40 * 1024 * 1024).to_bytes(4, "little")
    with translation.override("en"), pytest.raises(ImportRejected) as refused:
        read_spreadsheet(_upload(bytes(data)))
    assert refused.value.errors[0].message == "The spreadsheet is too large once unpacked."
