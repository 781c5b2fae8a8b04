"""Meetings, agenda items, invitations and uploads for the tests of the meetings pages and services.

Rows are made with the ORM (bulk_create where there are many), so that tests of a service
do not depend on that same service.
"""

import io
import secrets
import zipfile
import zoneinfo
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from meetings.models import AgendaItem, Document, DocumentFile, Invitation, Meeting
from members.models import Administration, Group, Member, Membership, User
from tests.factories import AdministrationFactory

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


def in_days(days: int, hour: int = 10) -> datetime:
    """`days` from today at `hour`:00 Brussels time."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS)


def make_meeting(
    group: Group,
    organiser: Member | None = None,
    *,
    starts_at: datetime | None = None,
    hours: int = 2,
    **fields,
) -> Meeting:
    starts_at = starts_at or in_days(30)
    values = {
        "title_en": "Plenary on the CSR action plan",
        "title_nl": "Plenaire over het MVO-actieplan",
        "title_fr": "Plénière sur le plan d'action RSE",
        "format": Meeting.Format.ON_SITE,
        "location": "Rue de la Loi 16, 1000 Brussels",
        "status": Meeting.Status.SCHEDULED,
        **fields,
    }
    return Meeting.objects.create(
        group=group,
        organiser=organiser,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        **values,
    )


def make_items(meeting: Meeting, count: int, *, minutes: int = 15) -> list[AgendaItem]:
    start = meeting.agenda_items.count()
    return AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                position=start + i + 1,
                title_en=f"Item {start + i + 1}",
                title_fr=f"Point {start + i + 1}",
                duration_minutes=minutes,
            )
            for i in range(count)
        ]
    )


def bulk_members(count: int, *, group: Group | None = None, administration=None) -> list[Member]:
    """`count` active members (and, with `group`, their current memberships) in a few queries."""
    if count == 0:
        return []
    administration = administration or AdministrationFactory()
    tag = secrets.token_hex(4)
    users = User.objects.bulk_create(
        [User(email=f"m{tag}-{i}@example.org", name=f"Member {tag}-{i}", language="en") for i in range(count)]
    )
    members = Member.objects.bulk_create(
        [Member(user=u, administration=administration, feed_token=secrets.token_urlsafe(32)) for u in users]
    )
    if group is not None:
        Membership.objects.bulk_create([Membership(member=m, group=group) for m in members])
    return members


def invite(meeting: Meeting, members: list[Member], **fields) -> list[Invitation]:
    return Invitation.objects.bulk_create(
        [Invitation(meeting=meeting, member=m, language=m.user.language, **fields) for m in members]
    )


def invite_many(meeting: Meeting, count: int) -> list[Invitation]:
    """`count` invitations to new members from a few administrations, some accepted."""
    administrations = [AdministrationFactory() for _ in range(3)]
    members = []
    for index, administration in enumerate(administrations):
        share = count // 3 + (1 if index < count % 3 else 0)
        members += bulk_members(share, administration=administration)
    invitations = [
        Invitation(
            meeting=meeting,
            member=member,
            rsvp=Invitation.Rsvp.ACCEPTED if i % 2 else Invitation.Rsvp.NONE,
        )
        for i, member in enumerate(members)
    ]
    return Invitation.objects.bulk_create(invitations)


# --- Files -------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 64
    + b"This program cannot be run"
)

OOXML_MAIN = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}
ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def ooxml_bytes(kind: str) -> bytes:
    part, content_type = OOXML_MAIN[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        "</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def odf_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODF_MIMETYPES[kind])
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_document(
    meeting: Meeting,
    *,
    title: str = "Draft action plan",
    item: AgendaItem | None = None,
    files: list[tuple[str, int]] = (("", 1),),
    content: bytes = PDF,
    name: str = "plan.pdf",
) -> Document:
    """A document with files given as (language, version) pairs, stored with the ORM."""
    document = Document.objects.create(meeting=meeting, agenda_item=item, title=title)
    for language, version in files:
        DocumentFile.objects.create(
            document=document,
            language=language,
            version=version,
            file=SimpleUploadedFile(name, content),
            original_name=name,
            content_type="application/pdf",
            size=len(content),
        )
    return document


def administration(**fields) -> Administration:
    return AdministrationFactory(**fields)


def speaks(member: Member, language: str) -> Member:
    """Set the member's language: pages and messages follow it (tests that read texts pin it)."""
    member.user.language = language
    member.user.save(update_fields=["language"])
    return member
