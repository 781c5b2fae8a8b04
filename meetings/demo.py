"""Demo meetings for the demo platform: one held, one plenary coming up, one working-group meeting."""

from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, Meeting
from members.models import Administration, Group, Member

BRUSSELS = timezone.get_default_timezone()


def _at(days_from_today: int, hour: int, minute: int = 0) -> datetime:
    """That many days from today, moved on to the next Tuesday to Thursday: a working day."""
    day = timezone.localdate() + timedelta(days=days_from_today)
    while day.weekday() not in (1, 2, 3) or (day.month, day.day) in {(12, 25), (12, 26), (1, 1)}:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF with a title line: enough for a demo document."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PLENARY_ITEMS = [
    (
        "Goedkeuring van de agenda en van het verslag",
        "Approbation de l'ordre du jour et du procès-verbal",
        "Approval of the agenda and of the minutes",
        AgendaItem.Kind.DECISION,
        10,
    ),
    (
        "Stand van zaken federaal actieplan MVO",
        "État d'avancement du plan d'action fédéral RSE",
        "Progress of the federal CSR Action Plan",
        AgendaItem.Kind.INFORMATION,
        30,
    ),
    (
        "Herziening van het NAP Bedrijven en Mensenrechten",
        "Révision du PAN Entreprises et droits de l'homme",
        "Review of the NAP Business and Human Rights",
        AgendaItem.Kind.DISCUSSION,
        45,
    ),
    (
        "Raadpleging van de stakeholders: planning",
        "Consultation des parties prenantes : calendrier",
        "Stakeholder consultation: timetable",
        AgendaItem.Kind.DECISION,
        20,
    ),
    ("Varia", "Divers", "Any other business", AgendaItem.Kind.INFORMATION, 10),
]


@transaction.atomic
def load_demo_meetings() -> int:
    """Create the demo meetings if the platform has none yet. Returns how many exist."""
    platform = Group.objects.filter(slug="mvo-platform").first()
    nap = Group.objects.filter(slug="nap-bhr").first()
    chair = Member.objects.filter(user__email="chair@example.org").first()
    if platform is None or chair is None:
        return 0
    if Meeting.objects.filter(group__in=[platform, nap]).exists():
        return Meeting.objects.count()

    # A plenary held three weeks ago, whose minutes are still to be written.
    held = Meeting.objects.create(
        group=platform,
        organiser=chair,
        title_nl="Plenaire vergadering van het MVO-platform",
        title_fr="Réunion plénière de la plateforme RSE",
        title_en="Plenary meeting of the CSR platform",
        kind=Meeting.Kind.PLENARY,
        format=Meeting.Format.HYBRID,
        status=Meeting.Status.HELD,
        starts_at=_at(-21, 10),
        ends_at=_at(-21, 12, 30),
        location="FIDO, Kunstlaan 7, 1210 Brussel",
        online_url="https://meet.example.org/csr-plenary",
        circulated_at=timezone.now() - timedelta(days=35),
    )
    services.sync_invitations(meeting=held, by=chair)
    for position, (nl, fr, en, kind, minutes) in enumerate(PLENARY_ITEMS, start=1):
        AgendaItem.objects.create(
            meeting=held,
            position=position,
            title_nl=nl,
            title_fr=fr,
            title_en=en,
            kind=kind,
            duration_minutes=minutes,
        )

    # The next plenary: full agenda, documents in two languages, not yet circulated.
    plenary = services.schedule_meeting(
        group=platform,
        by=chair,
        title_nl="Plenaire vergadering van het MVO-platform",
        title_fr="Réunion plénière de la plateforme RSE",
        title_de="Plenarsitzung der Plattform Gesellschaftliche Verantwortung",
        title_en="Plenary meeting of the CSR platform",
        description_nl="Halfjaarlijkse plenaire vergadering. Graag uw bijdrage over de stand van uw engagementen.",
        description_fr="Réunion plénière semestrielle. Merci d'apporter l'état d'avancement de vos engagements.",
        description_en="Half-yearly plenary. Please bring the progress of your commitments.",
        kind=Meeting.Kind.PLENARY,
        format=Meeting.Format.HYBRID,
        status=Meeting.Status.SCHEDULED,
        starts_at=_at(14, 10),
        ends_at=_at(14, 12, 30),
        rsvp_deadline=_at(9, 17),
        location="FIDO, Kunstlaan 7, 1210 Brussel",
        online_url="https://meet.example.org/csr-plenary",
        is_public=True,
    )
    fido = Administration.objects.filter(acronym="FIDO").first()
    items = []
    for nl, fr, en, kind, minutes in PLENARY_ITEMS:
        items.append(
            services.add_agenda_item(
                meeting=plenary,
                by=chair,
                title_nl=nl,
                title_fr=fr,
                title_en=en,
                kind=kind,
                duration_minutes=minutes,
                presenter_administration=fido,
            )
        )
    for language, name in (
        ("nl", "voortgangsrapport-actieplan.pdf"),
        ("fr", "rapport-avancement-plan-action.pdf"),
    ):
        upload = SimpleUploadedFile(
            name, _pdf(f"Progress report ({language})"), content_type="application/pdf"
        )
        if language == "nl":
            document = services.add_document(
                meeting=plenary,
                by=chair,
                upload=upload,
                title="Voortgangsrapport / Rapport d'avancement",
                agenda_item=items[1],
                language=language,
            )
        else:
            services.add_document_file(document=document, by=chair, upload=upload, language=language)
    services.add_document(
        meeting=plenary,
        by=chair,
        title="Draft NAP 2027-2030",
        upload=SimpleUploadedFile(
            "draft-nap.pdf", _pdf("Draft NAP 2027-2030"), content_type="application/pdf"
        ),
        agenda_item=items[2],
    )

    # A working-group meeting online, next month.
    if nap is not None:
        wg = services.schedule_meeting(
            group=nap,
            by=chair,
            title_nl="Werkgroep NAP: indicatoren",
            title_fr="Groupe de travail PAN : indicateurs",
            title_en="NAP working group: indicators",
            kind=Meeting.Kind.WORKING_GROUP,
            format=Meeting.Format.ONLINE,
            status=Meeting.Status.SCHEDULED,
            starts_at=_at(30, 14),
            ends_at=_at(30, 15, 30),
            online_url="https://meet.example.org/nap-indicators",
        )
        services.add_agenda_item(
            meeting=wg,
            by=chair,
            title_nl="Voorstel van indicatoren",
            title_fr="Proposition d'indicateurs",
            title_en="Proposed indicators",
            kind=AgendaItem.Kind.DISCUSSION,
            duration_minutes=60,
        )
    return Meeting.objects.count()
