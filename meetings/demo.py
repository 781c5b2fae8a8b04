"""Demo meetings for the demo platform: one held, one plenary coming up, one working-group meeting;
and minutes: the held plenary's approved and published, a working group's out for comments."""

from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from meetings import attendance, minutes, services
from meetings.minutes import ActionText, DecisionText
from meetings.models import AgendaItem, Attendance, Meeting, Minutes
from members.models import Administration, Group, Member
from members.outbox import Kind, OutboundMessage

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
    for position, (nl, fr, en, kind, duration) in enumerate(PLENARY_ITEMS, start=1):
        AgendaItem.objects.create(
            meeting=held,
            position=position,
            title_nl=nl,
            title_fr=fr,
            title_en=en,
            kind=kind,
            duration_minutes=duration,
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
    for nl, fr, en, kind, duration in PLENARY_ITEMS:
        items.append(
            services.add_agenda_item(
                meeting=plenary,
                by=chair,
                title_nl=nl,
                title_fr=fr,
                title_en=en,
                kind=kind,
                duration_minutes=duration,
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


# The held plenary's minutes, item by item (agenda order): summary, decisions, action items
# (text, owner administration's acronym, due in days). Written in French, with a Dutch edition.
PLENARY_MINUTES = [
    {
        "summary": {
            "fr": "L'ordre du jour est approuvé sans modification. Le procès-verbal de la réunion précédente est approuvé.",
            "nl": "De agenda wordt ongewijzigd goedgekeurd. Het verslag van de vorige vergadering wordt goedgekeurd.",
        },
        "decisions": [
            {
                "fr": "L'ordre du jour et le procès-verbal de la réunion précédente sont approuvés.",
                "nl": "De agenda en het verslag van de vorige vergadering worden goedgekeurd.",
            }
        ],
        "actions": [],
    },
    {
        "summary": {
            "fr": "Le SPF Économie présente l'état d'avancement du plan d'action fédéral RSE : **24 actions** "
            "sur 31 sont en cours. Les régions demandent un tableau commun des indicateurs.",
            "nl": "De FOD Economie stelt de stand van zaken van het federaal actieplan MVO voor: **24 acties** "
            "van de 31 zijn lopende. De gewesten vragen een gemeenschappelijk overzicht van de indicatoren.",
        },
        "decisions": [
            {
                "fr": "La plateforme prend acte du rapport d'avancement et demande un tableau commun des indicateurs "
                "pour la prochaine réunion.",
                "nl": "Het platform neemt akte van het voortgangsrapport en vraagt een gemeenschappelijk overzicht "
                "van de indicatoren tegen de volgende vergadering.",
            }
        ],
        "actions": [
            (
                {
                    "fr": "Proposer un tableau commun des indicateurs du plan d'action RSE.",
                    "nl": "Een gemeenschappelijk overzicht van de indicatoren van het MVO-actieplan voorstellen.",
                },
                "FIDO",
                45,
            ),
        ],
    },
    {
        "summary": {
            "fr": "Échange de vues sur la révision du PAN Entreprises et droits de l'homme. Les régions "
            "souhaitent être associées à la rédaction dès le départ.",
            "nl": "Gedachtewisseling over de herziening van het NAP Bedrijven en Mensenrechten. De gewesten "
            "wensen van bij het begin bij de redactie betrokken te worden.",
        },
        "decisions": [
            {
                "fr": "La révision du PAN est confiée au groupe de pilotage PAN, qui associe les régions à la rédaction.",
                "nl": "De herziening van het NAP wordt toevertrouwd aan de stuurgroep NAP, die de gewesten bij de "
                "redactie betrekt.",
            }
        ],
        "actions": [
            (
                {
                    "fr": "Transmettre les contributions régionales pour la révision du PAN.",
                    "nl": "De gewestelijke bijdragen voor de herziening van het NAP bezorgen.",
                },
                "SPW",
                60,
            ),
            (
                {
                    "fr": "Transmettre les contributions flamandes pour la révision du PAN.",
                    "nl": "De Vlaamse bijdragen voor de herziening van het NAP bezorgen.",
                },
                "KANS",
                60,
            ),
        ],
    },
    {
        "summary": {
            "fr": "Le calendrier de la consultation des parties prenantes est discuté.",
            "nl": "De planning van de raadpleging van de stakeholders wordt besproken.",
        },
        "decisions": [
            {
                "fr": "La consultation des parties prenantes se tiendra au printemps, en ligne et en présentiel.",
                "nl": "De raadpleging van de stakeholders vindt in de lente plaats, online en ter plaatse.",
            }
        ],
        "actions": [],
    },
    {
        "summary": {"fr": "Pas d'autres points.", "nl": "Geen andere punten."},
        "decisions": [],
        "actions": [],
    },
]


def _record_demo_attendance(meeting: Meeting, by: Member) -> None:
    """Most invitees present, every fifth excused, every seventh absent."""
    rows = []
    for index, invitation in enumerate(meeting.invitations.filter(removed_at__isnull=True).order_by("pk")):
        status = Attendance.Status.PRESENT
        if index % 5 == 4:
            status = Attendance.Status.EXCUSED
        elif index % 7 == 6:
            status = Attendance.Status.ABSENT
        rows.append((invitation.pk, status, None))
    attendance.record_attendance(meeting=meeting, by=by, rows=rows)


def _write_items(record: Minutes, by: Member, texts: list[dict], owners: dict[str, Administration]) -> None:
    today = timezone.localdate()
    for item, content in zip(record.items.order_by("position", "pk"), texts, strict=False):
        minutes.save_item(
            item=item,
            by=by,
            summary=content["summary"],
            decisions=[DecisionText(text=text) for text in content["decisions"]],
            actions=[
                ActionText(text=text, owner_administration=owners[acronym], due_date=today + timedelta(days=days))
                for text, acronym, days in content["actions"]
                if acronym in owners
            ],
        )


@transaction.atomic
def load_demo_minutes() -> int:
    """Minutes for the demo meetings, if the held plenary has none yet. Returns how many minutes exist.

    The held plenary: attendance recorded, minutes written in French with a Dutch edition, sent for
    comments, approved by the chair and published (its action items become commitments). A
    working-group meeting held last week: its minutes are out for comments to those who attended.
    """
    platform = Group.objects.filter(slug="mvo-platform").first()
    nap = Group.objects.filter(slug="nap-bhr").first()
    chair = Member.objects.filter(user__email="chair@example.org").first()
    secretariat = Member.objects.filter(user__email="secretariat@example.org").first()
    held = Meeting.objects.filter(group=platform, status=Meeting.Status.HELD).order_by("starts_at").first()
    if held is None or chair is None or secretariat is None or Minutes.objects.filter(meeting=held).exists():
        return Minutes.objects.count()
    owners = {a.acronym: a for a in Administration.objects.filter(acronym__in=["FIDO", "SPW", "KANS"])}

    _record_demo_attendance(held, secretariat)
    record = minutes.start_minutes(meeting=held, by=secretariat, language="fr")
    _write_items(record, secretariat, PLENARY_MINUTES, owners)
    minutes.send_for_comments(
        minutes=record,
        by=secretariat,
        audience=Minutes.Audience.ATTENDEES,
        deadline=timezone.now() + timedelta(days=1),
    )
    reader = (
        Attendance.objects.filter(
            invitation__meeting=held,
            status=Attendance.Status.PRESENT,
            invitation__member__user__email="member.wallonia@example.org",
        )
        .select_related("invitation__member")
        .first()
    )
    if reader is not None:
        comment = minutes.add_comment(
            minutes=record,
            by=reader.invitation.member,
            item=record.items.order_by("position", "pk")[1],
            text="La Wallonie souhaite que le tableau commun reprenne aussi les indicateurs régionaux.",
        )
        minutes.settle_comment(
            comment=comment, by=secretariat, accept=True, reply="Ajouté à l'action du point 2."
        )
    minutes.approve(minutes=record, by=chair)
    minutes.publish(minutes=Minutes.objects.get(pk=record.pk), by=secretariat)

    if nap is not None:
        wg = services.schedule_meeting(
            group=nap,
            by=chair,
            title_nl="Werkgroep NAP: zorgvuldigheidsplicht",
            title_fr="Groupe de travail PAN : devoir de vigilance",
            title_en="NAP working group: due diligence",
            kind=Meeting.Kind.WORKING_GROUP,
            format=Meeting.Format.ONLINE,
            status=Meeting.Status.SCHEDULED,
            starts_at=_at(-8, 14),
            ends_at=_at(-8, 15, 30),
            online_url="https://meet.example.org/nap-due-diligence",
        )
        item = services.add_agenda_item(
            meeting=wg,
            by=chair,
            title_nl="Omzetting van de Europese richtlijn",
            title_fr="Transposition de la directive européenne",
            title_en="Transposition of the European directive",
            kind=AgendaItem.Kind.DISCUSSION,
            duration_minutes=60,
        )
        Meeting.objects.filter(pk=wg.pk).update(status=Meeting.Status.HELD)
        wg.refresh_from_db()
        _record_demo_attendance(wg, secretariat)
        draft = minutes.start_minutes(meeting=wg, by=secretariat, language="fr")
        minutes.save_item(
            item=draft.items.get(agenda_item=item),
            by=secretariat,
            summary={
                "fr": "Le SPF Justice présente le calendrier de transposition. Les régions demandent une "
                "concertation sur les sanctions.",
                "nl": "De FOD Justitie stelt de planning van de omzetting voor. De gewesten vragen overleg "
                "over de sancties.",
            },
            decisions=[
                DecisionText(
                    text={
                        "fr": "Un avant-projet de transposition sera soumis au groupe de travail.",
                        "nl": "Een voorontwerp van omzetting wordt aan de werkgroep voorgelegd.",
                    }
                )
            ],
            actions=[
                ActionText(
                    text={
                        "fr": "Rédiger l'avant-projet de transposition.",
                        "nl": "Het voorontwerp van omzetting opstellen.",
                    },
                    owner_administration=owners["FIDO"],
                    due_date=timezone.localdate() + timedelta(days=40),
                )
            ]
            if "FIDO" in owners
            else [],
        )
        minutes.send_for_comments(
            minutes=draft,
            by=secretariat,
            audience=Minutes.Audience.ATTENDEES,
            deadline=timezone.now() + timedelta(days=10),
        )
    # These emails belong to the demo's past: the outbox shows them sent, and `make run` does not
    # write a hundred of them to var/mail before anyone has done anything.
    now = timezone.now()
    OutboundMessage.objects.filter(kind=Kind.MINUTES, status=OutboundMessage.Status.QUEUED).update(
        status=OutboundMessage.Status.SENT, sent_at=now, status_changed_at=now
    )
    return Minutes.objects.count()
