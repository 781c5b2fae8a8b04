"""Uploaded documents (meeting papers, a group's public documents): what may be uploaded, told
from the content, and how files are offered.

The type is detected from the bytes (PDF signature, the zip container's own description of
an office document, UTF-8 text without NUL bytes) and must agree with the file name's
extension, so a program renamed "agenda.pdf" is refused.
"""

import codecs
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.i18n import fallback_order


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str
    label: str


KINDS = {
    kind.extension: kind
    for kind in [
        FileKind("pdf", "application/pdf", "PDF"),
        FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"),
        FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
        FileKind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PPTX"),
        FileKind("odt", "application/vnd.oasis.opendocument.text", "ODT"),
        FileKind("ods", "application/vnd.oasis.opendocument.spreadsheet", "ODS"),
        FileKind("odp", "application/vnd.oasis.opendocument.presentation", "ODP"),
        FileKind("csv", "text/csv", "CSV"),
        FileKind("txt", "text/plain", "TXT"),
    ]
}
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in KINDS)

# The main part's content type in [Content_Types].xml. Macro-enabled variants (docm, xlsm,
# pptm) declare other types and are therefore refused.
_OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
_ODF_MIMETYPES = {KINDS[ext].content_type: ext for ext in ("odt", "ods", "odp")}
_CONTENT_TYPE_ATTRIBUTE = re.compile(rb'ContentType\s*=\s*["\']([^"\']+)["\']')
_MAX_DESCRIPTOR_BYTES = 1_000_000
_CHUNK = 64 * 1024


def allowed_types_text() -> str:
    return ", ".join(kind.label for kind in KINDS.values())


def max_bytes() -> int:
    return settings.DOCUMENT_MAX_BYTES


def validate_upload(upload: UploadedFile) -> FileKind:
    """The upload's kind, or ValidationError (translated) when its size, content or name is not allowed."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > max_bytes():
        raise ValidationError(
            _("The file is too large (%(size)s). The limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())},
            code="too_large",
        )
    detected = _detect(upload)
    extension = _extension(upload.name or "")
    if detected is None:
        raise ValidationError(
            _("This type of file cannot be uploaded. Allowed types: %(types)s.")
            % {"types": allowed_types_text()},
            code="type",
        )
    # A text file may be named .csv or .txt; every other type must carry its own extension.
    if detected.extension == "txt" and extension == "csv":
        detected = KINDS["csv"]
    if extension != detected.extension:
        raise ValidationError(
            _("The file's content (%(detected)s) does not match its name (%(name)s).")
            % {"detected": detected.label, "name": safe_filename(upload.name or "", detected)},
            code="mismatch",
        )
    return detected


def _extension(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _detect(upload: UploadedFile) -> FileKind | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    guess = filetype.guess(head)
    mime = guess.mime if guess else ""
    try:
        if mime == "application/pdf":
            return KINDS["pdf"]
        if head.startswith(b"PK\x03\x04"):
            return _detect_office(upload)
        if guess is None:
            return _detect_text(upload)
        return None
    finally:
        upload.seek(0)


def _detect_office(upload: UploadedFile) -> FileKind | None:
    """DOCX/XLSX/PPTX by their main part, ODT/ODS/ODP by their `mimetype` member."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = _read_small(archive, "mimetype").decode("ascii", "replace").strip()
                extension = _ODF_MIMETYPES.get(mimetype)
                return KINDS[extension] if extension else None
            if "[Content_Types].xml" in names:
                # Read the declared types as attributes: no XML parser on untrusted input.
                declared = _CONTENT_TYPE_ATTRIBUTE.findall(_read_small(archive, "[Content_Types].xml"))
                for content_type in declared:
                    extension = _OOXML_MAIN_PARTS.get(content_type.decode("ascii", "replace"))
                    if extension:
                        return KINDS[extension]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, RuntimeError, ValueError):
        return None
    return None


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member that is small once unpacked; a "zip bomb" member reads as nothing."""
    if archive.getinfo(name).file_size > _MAX_DESCRIPTOR_BYTES:
        return b""
    return archive.read(name)


def _detect_text(upload: UploadedFile) -> FileKind | None:
    """Plain text: the whole file decodes as UTF-8 and holds no NUL byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    upload.seek(0)
    try:
        for chunk in upload.chunks(_CHUNK):
            if b"\x00" in chunk:
                return None
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return KINDS["txt"]


_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f"*:<>?|;]')


def safe_filename(name: str, kind: FileKind | None = None) -> str:
    """A file name without folders, control characters or quotes, ending in the kind's extension."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE_CHARACTERS.sub("_", base).strip(" .")
    if kind is not None:
        stem = base.rsplit(".", 1)[0] if _extension(base) else base
        stem = stem.strip(" .") or _("document")
        base = f"{stem[:150]}.{kind.extension}"
    return base[:200] or _("document")


def kind_of(content_type: str) -> FileKind | None:
    return next((kind for kind in KINDS.values() if kind.content_type == content_type), None)


def arrange_files(files, language: str) -> tuple[list, list]:
    """(current, older) files of one document, for a reader of `language`.

    `current` has the latest version of each language edition, the reader's language first
    (then the edition for every language, then the fallback order); `older` has the rest,
    newest first. Works on an already loaded (prefetched) list: no queries.
    """
    order = {code: index for index, code in enumerate(fallback_order(language))}
    latest: dict[str, object] = {}
    older = []
    for file in sorted(files, key=lambda f: (f.language, -f.version)):
        if file.language not in latest:
            latest[file.language] = file
        else:
            older.append(file)

    def rank(file) -> tuple[int, int]:
        if file.language == language:
            return (0, 0)
        if file.language == "":
            return (1, 0)
        return (2, order.get(file.language, 99))

    current = sorted(latest.values(), key=rank)
    older.sort(key=lambda f: (rank(f), -f.version))
    return current, older
