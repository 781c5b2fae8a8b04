"""The demo platform that `make run` loads: a realistic network, safe to load twice."""

import random
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from members.models import Administration, Group, GroupLink, Member, Membership, User

DEMO_PASSWORD = "concerto-demo-2026"  # noqa: S105 - printed by `make run`, listed in README.md

Level, Entity, Role = Administration.Level, Administration.Entity, Membership.Role

# (acronym, level, entity, nl, fr, de, en)
ADMINISTRATIONS = [
    (
        "FIDO",
        Level.FEDERAL,
        Entity.FEDERAL,
        "Federaal Instituut voor Duurzame Ontwikkeling",
        "Institut Fédéral pour le Développement Durable",
        "Föderalinstitut für Nachhaltige Entwicklung",
        "Federal Institute for Sustainable Development",
    ),
    (
        "BOSA",
        Level.FEDERAL,
        Entity.FEDERAL,
        "FOD Beleid en Ondersteuning",
        "SPF Stratégie et Appui",
        "FÖD Politik und Unterstützung",
        "FPS Policy and Support",
    ),
    (
        "ECO",
        Level.FEDERAL,
        Entity.FEDERAL,
        "FOD Economie, K.M.O., Middenstand en Energie",
        "SPF Economie, P.M.E., Classes moyennes et Energie",
        "FÖD Wirtschaft, KMB, Mittelstand und Energie",
        "FPS Economy, SMEs, Self-employed and Energy",
    ),
    (
        "BZ",
        Level.FEDERAL,
        Entity.FEDERAL,
        "FOD Buitenlandse Zaken, Buitenlandse Handel en Ontwikkelingssamenwerking",
        "SPF Affaires étrangères, Commerce extérieur et Coopération au Développement",
        "FÖD Auswärtige Angelegenheiten, Außenhandel und Entwicklungszusammenarbeit",
        "FPS Foreign Affairs, Foreign Trade and Development Cooperation",
    ),
    (
        "WASO",
        Level.FEDERAL,
        Entity.FEDERAL,
        "FOD Werkgelegenheid, Arbeid en Sociaal Overleg",
        "SPF Emploi, Travail et Concertation sociale",
        "FÖD Beschäftigung, Arbeit und Soziale Konzertierung",
        "FPS Employment, Labour and Social Dialogue",
    ),
    (
        "VVVL",
        Level.FEDERAL,
        Entity.FEDERAL,
        "FOD Volksgezondheid, Veiligheid van de Voedselketen en Leefmilieu",
        "SPF Santé publique, Sécurité de la Chaîne alimentaire et Environnement",
        "FÖD Volksgesundheit, Sicherheit der Nahrungsmittelkette und Umwelt",
        "FPS Health, Food Chain Safety and Environment",
    ),
    ("FIN", Level.FEDERAL, Entity.FEDERAL, "FOD Financiën", "SPF Finances", "FÖD Finanzen", "FPS Finance"),
    ("JUST", Level.FEDERAL, Entity.FEDERAL, "FOD Justitie", "SPF Justice", "FÖD Justiz", "FPS Justice"),
    (
        "MOB",
        Level.FEDERAL,
        Entity.FEDERAL,
        "FOD Mobiliteit en Vervoer",
        "SPF Mobilité et Transports",
        "FÖD Mobilität und Transportwesen",
        "FPS Mobility and Transport",
    ),
    (
        "POD-MI",
        Level.FEDERAL,
        Entity.FEDERAL,
        "POD Maatschappelijke Integratie",
        "SPP Intégration sociale",
        "ÖPD Sozialeingliederung",
        "PPS Social Integration",
    ),
    (
        "KANS",
        Level.REGIONAL,
        Entity.FLEMISH,
        "Departement Kanselarij en Buitenland",
        "Département Chancellerie et Affaires étrangères (Flandre)",
        "Departement Kanzlei und Auswärtiges (Flandern)",
        "Department of Chancellery and Foreign Affairs (Flanders)",
    ),
    (
        "EWI",
        Level.REGIONAL,
        Entity.FLEMISH,
        "Departement Economie, Wetenschap en Innovatie",
        "Département Economie, Sciences et Innovation (Flandre)",
        "Departement Wirtschaft, Wissenschaft und Innovation (Flandern)",
        "Department of Economy, Science and Innovation (Flanders)",
    ),
    (
        "SPW",
        Level.REGIONAL,
        Entity.WALLOON,
        "Waalse Overheidsdienst",
        "Service public de Wallonie",
        "Öffentlicher Dienst der Wallonie",
        "Public Service of Wallonia",
    ),
    (
        "SPW-EER",
        Level.REGIONAL,
        Entity.WALLOON,
        "Waalse Overheidsdienst Economie, Werk, Onderzoek",
        "SPW Economie, Emploi, Recherche",
        "ÖDW Wirtschaft, Beschäftigung, Forschung",
        "Public Service of Wallonia – Economy, Employment, Research",
    ),
    (
        "BEB",
        Level.REGIONAL,
        Entity.BRUSSELS,
        "Brussel Economie en Werkgelegenheid",
        "Bruxelles Economie et Emploi",
        "Brüssel Wirtschaft und Beschäftigung",
        "Brussels Economy and Employment",
    ),
    (
        "LB",
        Level.REGIONAL,
        Entity.BRUSSELS,
        "Leefmilieu Brussel",
        "Bruxelles Environnement",
        "Brüssel Umwelt",
        "Brussels Environment",
    ),
    (
        "MDG",
        Level.COMMUNITY,
        Entity.GERMAN_SPEAKING,
        "Ministerie van de Duitstalige Gemeenschap",
        "Ministère de la Communauté germanophone",
        "Ministerium der Deutschsprachigen Gemeinschaft",
        "Ministry of the German-speaking Community",
    ),
    (
        "FWB",
        Level.COMMUNITY,
        Entity.FRENCH_COMMUNITY,
        "Ministerie van de Franse Gemeenschap",
        "Ministère de la Fédération Wallonie-Bruxelles",
        "Ministerium der Französischen Gemeinschaft",
        "Ministry of the French Community",
    ),
    (
        "VBO",
        Level.STAKEHOLDER,
        "",
        "Verbond van Belgische Ondernemingen",
        "Fédération des Entreprises de Belgique",
        "Verband Belgischer Unternehmen",
        "Federation of Belgian Enterprises",
    ),
    (
        "ABVV",
        Level.STAKEHOLDER,
        "",
        "Algemeen Belgisch Vakverbond",
        "Fédération Générale du Travail de Belgique",
        "Allgemeiner Belgischer Gewerkschaftsbund",
        "General Labour Federation of Belgium",
    ),
    (
        "ACV",
        Level.STAKEHOLDER,
        "",
        "Algemeen Christelijk Vakverbond",
        "Confédération des syndicats chrétiens",
        "Christlicher Gewerkschaftsbund",
        "Confederation of Christian Trade Unions",
    ),
    (
        "11.11.11",
        Level.STAKEHOLDER,
        "",
        "11.11.11 – Koepel van de internationale solidariteit",
        "11.11.11 – Coupole de la solidarité internationale",
        "11.11.11 – Dachverband der internationalen Solidarität",
        "11.11.11 – Umbrella of international solidarity",
    ),
    (
        "CNCD",
        Level.STAKEHOLDER,
        "",
        "CNCD-11.11.11",
        "Centre national de coopération au développement",
        "CNCD-11.11.11",
        "CNCD-11.11.11",
    ),
    (
        "UGENT",
        Level.STAKEHOLDER,
        "",
        "Universiteit Gent – Centrum voor Duurzaam Ondernemen",
        "Université de Gand – Centre pour l'entreprise durable",
        "Universität Gent – Zentrum für nachhaltiges Unternehmertum",
        "Ghent University – Centre for Sustainable Business",
    ),
]

GROUPS = {
    "mvo-platform": {
        "name_nl": "Platform Maatschappelijke Verantwoordelijkheid",
        "name_fr": "Plateforme Responsabilité Sociétale",
        "name_de": "Plattform Gesellschaftliche Verantwortung",
        "name_en": "Corporate Social Responsibility Platform",
        "mandate_nl": "Het Belgische referentiekader voor maatschappelijke verantwoordelijkheid opstellen, het federale actieplan MVO en het nationaal actieplan Bedrijven en Mensenrechten uitwerken en opvolgen, het overleg met de stakeholders organiseren en de politieke engagementen inzake MVO coördineren.",
        "mandate_fr": "Élaborer le cadre de référence belge de la responsabilité sociétale, élaborer et suivre le plan d'action fédéral RSE et le plan d'action national Entreprises et droits de l'homme, organiser la concertation avec les parties prenantes et coordonner les engagements politiques en matière de RSE.",
        "mandate_de": "Den belgischen Referenzrahmen für gesellschaftliche Verantwortung erarbeiten, den föderalen Aktionsplan und den nationalen Aktionsplan Wirtschaft und Menschenrechte erstellen und begleiten, die Konsultation der Interessenträger organisieren und die politischen Verpflichtungen koordinieren.",
        "mandate_en": "Draw up the Belgian reference framework on corporate social responsibility, draw up and follow up the federal CSR Action Plan and the National Action Plan Business and Human Rights, organise consultation with stakeholders and coordinate political commitments on CSR.",
        "lines_of_action_nl": "Informeel overlegplatform tussen federale en regionale beleidsactoren.\nOpvolging van de actieplannen.\nUitwisseling van goede praktijken in de publieke en private sector.",
        "lines_of_action_fr": "Plateforme informelle de concertation entre acteurs politiques fédéraux et régionaux.\nSuivi des plans d'action.\nÉchange de bonnes pratiques dans les secteurs public et privé.",
        "lines_of_action_en": "Informal consultation platform between federal and regional policy actors.\nFollow-up of the action plans.\nExchange of good practices in the public and private sector.",
        "contact_email": "mvo-rse@example.org",
        "is_public": True,
        "show_next_meetings": True,
    },
    "nap-bhr": {
        "name_nl": "Stuurgroep NAP Bedrijven en Mensenrechten",
        "name_fr": "Groupe de pilotage PAN Entreprises et droits de l'homme",
        "name_de": "Lenkungsgruppe NAP Wirtschaft und Menschenrechte",
        "name_en": "NAP Business and Human Rights steering group",
        "mandate_en": "Prepare, monitor and evaluate the National Action Plan Business and Human Rights.",
        "mandate_fr": "Préparer, suivre et évaluer le plan d'action national Entreprises et droits de l'homme.",
        "mandate_nl": "Het nationaal actieplan Bedrijven en Mensenrechten voorbereiden, opvolgen en evalueren.",
    },
}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    language: str
    administration: str
    role: str
    is_staff: bool = False

    @property
    def label(self) -> str:
        return self.role or "admin (staff)"


# The chair and secretariat are ordinary members: their roles alone let them manage, as on a
# real platform. Only the separate staff account signs in to /admin/.
DEMO_ACCOUNTS = [
    DemoAccount("chair@example.org", "An Peeters", "nl", "FIDO", Role.CHAIR),
    DemoAccount("secretariat@example.org", "Sophie Lambert", "fr", "FIDO", Role.SECRETARIAT),
    DemoAccount("member.flanders@example.org", "Pieter Janssens", "nl", "KANS", Role.MEMBER),
    DemoAccount("member.wallonia@example.org", "Claire Dubois", "fr", "SPW", Role.MEMBER),
]
# Staff and superuser, with no place on the platform: no member profile, no group.
STAFF_ACCOUNT = DemoAccount("admin@example.org", "Site administrator", "en", "", "", is_staff=True)

FIRST = {
    "nl": [
        "Jan",
        "Els",
        "Tom",
        "Lies",
        "Bart",
        "Katrien",
        "Wouter",
        "Sarah",
        "Koen",
        "Inge",
        "Jeroen",
        "Annelies",
    ],
    "fr": [
        "Marc",
        "Julie",
        "Nicolas",
        "Céline",
        "Olivier",
        "Aurélie",
        "François",
        "Nathalie",
        "Benoît",
        "Hélène",
    ],
    "de": ["Jens", "Monika", "Lukas", "Sabine", "Matthias", "Petra"],
    "en": ["Laura", "David"],
}
LAST = {
    "nl": [
        "Maes",
        "Willems",
        "Claes",
        "Goossens",
        "Wouters",
        "De Smet",
        "Vermeulen",
        "Jacobs",
        "Mertens",
        "Van Damme",
    ],
    "fr": [
        "Dupont",
        "Lambert",
        "Martin",
        "Dubois",
        "Leclercq",
        "Renard",
        "Lejeune",
        "Simon",
        "Fontaine",
        "Michel",
    ],
    "de": ["Schmitz", "Kessler", "Cremer", "Heinen", "Jost", "Thissen"],
    "en": ["Smith", "Kelly"],
}
# Which language people of an entity mostly prefer.
ENTITY_LANGUAGES = {
    Entity.FLEMISH: ["nl"],
    Entity.WALLOON: ["fr"],
    Entity.BRUSSELS: ["fr", "nl"],
    Entity.GERMAN_SPEAKING: ["de"],
    Entity.FRENCH_COMMUNITY: ["fr"],
    Entity.FEDERAL: ["nl", "fr", "fr", "nl", "en", "de"],
    "": ["nl", "fr", "en"],
}


def _user(email: str, name: str, language: str, is_staff: bool = False) -> User:
    """The demo user, with the staff flags of this version of the demo (older ones made the chair staff)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, name=name, language=language, is_staff=is_staff, is_superuser=is_staff
        )
    elif user.is_staff != is_staff or user.is_superuser != is_staff:
        user.is_staff = user.is_superuser = is_staff
        user.save(update_fields=["is_staff", "is_superuser"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _account(email: str, name: str, language: str, administration: Administration) -> Member:
    user = _user(email, name, language)
    member, _created = Member.objects.get_or_create(user=user, defaults={"administration": administration})
    return member


def _join(member: Member, group: Group, role: str, substitute_for: Member | None = None) -> None:
    if not Membership.objects.current().filter(member=member, group=group).exists():
        Membership.objects.create(member=member, group=group, role=role, substitute_for=substitute_for)


@transaction.atomic
def load_demo_platform() -> list[DemoAccount]:
    """Create the demo network if missing; running it again changes nothing. Returns the sign-ins."""
    rng = random.Random(2026)  # noqa: S311 - demo names only
    administrations = {}
    for acronym, level, entity, nl, fr, de, en in ADMINISTRATIONS:
        administrations[acronym], _created = Administration.objects.get_or_create(
            acronym=acronym,
            defaults={
                "level": level,
                "entity": entity,
                "name_nl": nl,
                "name_fr": fr,
                "name_de": de,
                "name_en": en,
            },
        )
    spw = administrations["SPW"]
    Administration.objects.filter(acronym="SPW-EER", parent__isnull=True).update(parent=spw)

    groups = {}
    for slug, fields in GROUPS.items():
        groups[slug], _created = Group.objects.get_or_create(slug=slug, defaults=fields)
    platform, nap = groups["mvo-platform"], groups["nap-bhr"]
    if not platform.links.exists():
        GroupLink.objects.create(
            group=platform,
            position=1,
            title_nl="Federaal actieplan MVO",
            title_fr="Plan d'action fédéral RSE",
            title_en="Federal CSR Action Plan",
            url="https://www.example.org/csr-action-plan",
        )

    for account in DEMO_ACCOUNTS:
        member = _account(
            account.email, account.name, account.language, administrations[account.administration]
        )
        _join(member, platform, account.role)
        _join(member, nap, account.role if account.role != Role.MEMBER else Role.OBSERVER)

    # About forty members: one or two focal points per administration, with mixed languages.
    number = 0
    for acronym, administration in administrations.items():
        for seat in range(2 if administration.level != Level.STAKEHOLDER else 1):
            number += 1
            language = rng.choice(ENTITY_LANGUAGES[administration.entity])
            name = f"{rng.choice(FIRST[language])} {rng.choice(LAST[language])}"
            email = f"{acronym.lower().replace('.', '')}.{seat + 1}@example.org"
            member = _account(email, name, language, administration)
            if seat == 0:
                role = Role.OBSERVER if administration.level == Level.STAKEHOLDER else Role.MEMBER
                _join(member, platform, role)
                if administration.level != Level.STAKEHOLDER and number % 2:
                    _join(member, nap, Role.MEMBER)
            else:
                first = Member.objects.get(user__email=f"{acronym.lower().replace('.', '')}.1@example.org")
                _join(member, platform, Role.SUBSTITUTE, substitute_for=first)

    staff = STAFF_ACCOUNT
    _user(staff.email, staff.name, staff.language, is_staff=True)
    return [*DEMO_ACCOUNTS, staff]
