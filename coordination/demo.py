"""Demo commitments for the demo platform: the federal CSR Action Plan (owned by the platform, open
to the public) and the National Action Plan Business and Human Rights (owned by its steering
group), sixty commitments across federal, regional and community administrations, many carried
by the federal level and each region with a part each, and their progress reported over two
closed reporting rounds (with their frozen snapshots) and one round still open.

Plans, editions, chapters and commitments go through the services; the history (progress
updates, rounds, snapshots) is bulk-created in a few queries, as it happened in the past and
sends no email. Loading it twice changes nothing.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from coordination import services
from coordination.models import (
    CLOSED_STATUSES,
    ActionPlan,
    Commitment,
    CommitmentPart,
    Completion,
    Indicator,
    Milestone,
    PlanEdition,
    ProgressUpdate,
    ReportingRound,
    RoundSnapshot,
    Status,
    roll_up,
)
from members.models import Administration, Group, Member

CSR_SLUG = "federal-csr-action-plan"
NAP_SLUG = "nap-business-human-rights"
# Federal level plus each region: Flanders, Wallonia, Brussels (their demo members are focal points).
REGIONS = ("KANS", "SPW", "BEB")

# (code, nl, fr, de, en)
CSR_CHAPTERS = [
    (
        "1",
        "Voorbeeldfunctie van de overheid",
        "Exemplarité des pouvoirs publics",
        "Vorbildfunktion der öffentlichen Hand",
        "Exemplary public authorities",
    ),
    (
        "2",
        "Duurzame overheidsopdrachten en investeringen",
        "Marchés publics et investissements durables",
        "",
        "Sustainable public procurement and investment",
    ),
    ("3", "Transparantie en rapportering", "Transparence et rapportage", "", "Transparency and reporting"),
    (
        "4",
        "Ondersteuning van ondernemingen en kmo's",
        "Soutien aux entreprises et aux PME",
        "Unterstützung von Unternehmen und KMU",
        "Supporting companies and SMEs",
    ),
    (
        "5",
        "Internationale handel en waardeketens",
        "Commerce international et chaînes de valeur",
        "",
        "International trade and value chains",
    ),
]
NAP_CHAPTERS = [
    (
        "1",
        "Beschermingsplicht van de staat",
        "Obligation de protéger de l'État",
        "Schutzpflicht des Staates",
        "The State duty to protect",
    ),
    (
        "2",
        "Verantwoordelijkheid van ondernemingen om te respecteren",
        "Responsabilité des entreprises de respecter",
        "",
        "Corporate responsibility to respect",
    ),
    ("3", "Toegang tot herstel", "Accès à des voies de recours", "Zugang zu Abhilfe", "Access to remedy"),
    (
        "4",
        "Opvolging en beleidscoherentie",
        "Suivi et cohérence des politiques",
        "",
        "Follow-up and policy coherence",
    ),
]

# (reference, en, nl, fr, de, lead, other owners; "regions" = each region)
CSR_COMMITMENTS = [
    ("1.1", "Integrate CSR criteria in the management plans of federal public services", "Criteria voor maatschappelijk verantwoord ondernemen opnemen in de bestuursplannen van de federale overheidsdiensten", "Intégrer des critères de RSE dans les plans de management des services publics fédéraux", "", "BOSA", ()),
    ("1.2", "Publish a sustainability report of the federal administration", "Een duurzaamheidsverslag van de federale overheid publiceren", "Publier un rapport de durabilité de l'administration fédérale", "Einen Nachhaltigkeitsbericht der föderalen Verwaltung veröffentlichen", "FIDO", ()),
    ("1.3", "Train public managers in responsible management", "Overheidsmanagers opleiden in verantwoord management", "Former les managers publics à la gestion responsable", "", "BOSA", ()),
    ("1.4", "Reduce the carbon footprint of public buildings", "De koolstofvoetafdruk van overheidsgebouwen verminderen", "Réduire l'empreinte carbone des bâtiments publics", "", "VVVL", "regions"),
    ("1.5", "Promote diversity in public recruitment", "Diversiteit bij aanwervingen in de overheid bevorderen", "Promouvoir la diversité dans le recrutement public", "", "BOSA", "regions"),
    ("1.6", "Set up a network of CSR focal points in every administration", "Een netwerk van mvo-contactpunten in elke administratie opzetten", "Mettre en place un réseau de points de contact RSE dans chaque administration", "Ein Netzwerk von Ansprechpartnern für gesellschaftliche Verantwortung in jeder Verwaltung aufbauen", "FIDO", "regions"),
    ("2.1", "Apply sustainability clauses in all federal framework contracts", "Duurzaamheidsclausules toepassen in alle federale raamcontracten", "Appliquer des clauses de durabilité dans tous les marchés-cadres fédéraux", "", "BOSA", ()),
    ("2.2", "Add social clauses to the sustainable procurement guide", "De gids voor duurzame aankopen aanvullen met sociale clausules", "Compléter le guide des achats durables par des clauses sociales", "Den Leitfaden für nachhaltige Beschaffung um soziale Klauseln ergänzen", "FIDO", "regions"),
    ("2.3", "Include human rights due diligence in public tenders for textiles", "Zorgvuldigheid inzake mensenrechten opnemen in overheidsopdrachten voor textiel", "Intégrer la diligence raisonnable en matière de droits humains dans les marchés publics de textiles", "", "BOSA", ("EWI", "SPW")),
    ("2.4", "Review the investment policy of the Federal Holding and Investment Company", "Het beleggingsbeleid van de Federale Participatie- en Investeringsmaatschappij herzien", "Revoir la politique d'investissement de la Société fédérale de Participations et d'Investissement", "", "FIN", ()),
    ("2.5", "Share a common database of sustainable suppliers", "Een gemeenschappelijke databank van duurzame leveranciers delen", "Partager une base de données commune de fournisseurs durables", "", "BOSA", "regions"),
    ("2.6", "Apply circular criteria to purchases of IT equipment", "Circulaire criteria toepassen bij de aankoop van IT-materiaal", "Appliquer des critères circulaires aux achats de matériel informatique", "", "BOSA", ()),
    ("2.7", "Monitor the share of sustainable public contracts", "Het aandeel duurzame overheidsopdrachten opvolgen", "Suivre la part des marchés publics durables", "Den Anteil nachhaltiger öffentlicher Aufträge überwachen", "FIDO", "regions"),
    ("3.1", "Transpose the Corporate Sustainability Reporting Directive", "De richtlijn over duurzaamheidsrapportering door ondernemingen omzetten", "Transposer la directive sur la publication d'informations en matière de durabilité", "Die Richtlinie über die Nachhaltigkeitsberichterstattung von Unternehmen umsetzen", "ECO", ("JUST",)),
    ("3.2", "Support SMEs with a simplified sustainability reporting tool", "Kmo's ondersteunen met een vereenvoudigd instrument voor duurzaamheidsrapportering", "Soutenir les PME avec un outil simplifié de rapportage de durabilité", "", "ECO", "regions"),
    ("3.3", "Organise a yearly award for the best sustainability report", "Een jaarlijkse prijs voor het beste duurzaamheidsverslag organiseren", "Organiser un prix annuel du meilleur rapport de durabilité", "", "FIDO", ()),
    ("3.4", "Publish guidance on the EU taxonomy for listed companies", "Richtsnoeren over de EU-taxonomie voor beursgenoteerde ondernemingen publiceren", "Publier des orientations sur la taxonomie européenne pour les sociétés cotées", "", "FIN", ()),
    ("3.5", "Make the reports of state-owned companies publicly available", "De verslagen van overheidsbedrijven openbaar maken", "Rendre publics les rapports des entreprises publiques", "", "BOSA", ()),
    ("3.6", "Develop indicators of the social economy", "Indicatoren voor de sociale economie ontwikkelen", "Développer des indicateurs de l'économie sociale", "", "POD-MI", "regions"),
    ("4.1", "Offer CSR coaching to SMEs through the regional agencies", "Mvo-coaching voor kmo's aanbieden via de gewestelijke agentschappen", "Proposer un accompagnement RSE aux PME via les agences régionales", "KMU über die regionalen Agenturen bei ihrer gesellschaftlichen Verantwortung begleiten", "EWI", ("SPW-EER", "BEB", "MDG")),
    ("4.2", "Launch a CSR information portal for companies", "Een mvo-informatieportaal voor bedrijven lanceren", "Lancer un portail d'information RSE pour les entreprises", "", "FIDO", ()),
    ("4.3", "Promote the labels of social enterprises", "De labels van sociale ondernemingen promoten", "Promouvoir les labels d'entreprise sociale", "", "ECO", "regions"),
    ("4.4", "Encourage sustainable finance products for SMEs", "Duurzame financieringsproducten voor kmo's aanmoedigen", "Encourager les produits de finance durable pour les PME", "", "FIN", ("EWI", "SPW-EER")),
    ("4.5", "Support circular economy pilot projects", "Proefprojecten rond circulaire economie ondersteunen", "Soutenir des projets pilotes d'économie circulaire", "", "LB", ("EWI", "SPW-EER")),
    ("4.6", "Include CSR in entrepreneurship education", "Mvo opnemen in het ondernemerschapsonderwijs", "Intégrer la RSE dans l'enseignement de l'entrepreneuriat", "Gesellschaftliche Verantwortung in die Unternehmerausbildung aufnehmen", "FWB", ("MDG", "EWI")),
    ("4.7", "Publish a guide on responsible lobbying", "Een gids over verantwoorde lobbying publiceren", "Publier un guide sur le lobbying responsable", "", "FIDO", ()),
    ("5.1", "Include a CSR component in trade missions", "Een mvo-luik opnemen in handelsmissies", "Intégrer un volet RSE dans les missions commerciales", "", "BZ", "regions"),
    ("5.2", "Inform exporters about the OECD Guidelines", "Exporteurs informeren over de OESO-richtlijnen", "Informer les exportateurs sur les Principes directeurs de l'OCDE", "", "ECO", ("KANS", "SPW")),
    ("5.3", "Strengthen the National Contact Point for the OECD Guidelines", "Het Nationaal Contactpunt voor de OESO-richtlijnen versterken", "Renforcer le Point de contact national pour les Principes directeurs de l'OCDE", "Die Nationale Kontaktstelle für die OECD-Leitsätze stärken", "ECO", ()),
    ("5.4", "Apply CSR conditions to export credit insurance", "Mvo-voorwaarden toepassen op de verzekering van exportkredieten", "Appliquer des conditions RSE à l'assurance-crédit à l'exportation", "", "FIN", ("BZ",)),
    ("5.5", "Support fair trade in public canteens", "Eerlijke handel in overheidskantines ondersteunen", "Soutenir le commerce équitable dans les cantines publiques", "", "BZ", "regions"),
    ("5.6", "Map the supply chain risks of critical raw materials", "De risico's in de toeleveringsketen van kritieke grondstoffen in kaart brengen", "Cartographier les risques de la chaîne d'approvisionnement des matières premières critiques", "", "ECO", ()),
    ("5.7", "Promote sustainable cocoa through the Beyond Chocolate partnership", "Duurzame cacao bevorderen via het partnerschap Beyond Chocolate", "Promouvoir un cacao durable via le partenariat Beyond Chocolate", "", "BZ", ()),
    ("5.8", "Report on CSR in development cooperation programmes", "Rapporteren over mvo in de programma's voor ontwikkelingssamenwerking", "Rendre compte de la RSE dans les programmes de coopération au développement", "", "BZ", ()),
]  # fmt: skip
NAP_COMMITMENTS = [
    ("1.1", "Adopt a federal law on corporate due diligence", "Een federale wet op de zorgplicht van ondernemingen aannemen", "Adopter une loi fédérale sur le devoir de vigilance des entreprises", "Ein föderales Gesetz über die Sorgfaltspflicht von Unternehmen verabschieden", "JUST", ("ECO", "WASO")),
    ("1.2", "Transpose the EU Corporate Sustainability Due Diligence Directive", "De Europese richtlijn inzake passende zorgvuldigheid in het bedrijfsleven omzetten", "Transposer la directive européenne sur le devoir de vigilance des entreprises", "", "ECO", ("JUST", *REGIONS)),
    ("1.3", "Include human rights clauses in bilateral investment treaties", "Mensenrechtenclausules opnemen in bilaterale investeringsverdragen", "Inclure des clauses de droits humains dans les traités bilatéraux d'investissement", "", "BZ", ("KANS", "SPW")),
    ("1.4", "Train labour inspectors on forced labour in supply chains", "Arbeidsinspecteurs opleiden over dwangarbeid in toeleveringsketens", "Former les inspecteurs du travail au travail forcé dans les chaînes d'approvisionnement", "Arbeitsinspektoren zur Zwangsarbeit in Lieferketten schulen", "WASO", "regions"),
    ("1.5", "Screen state-owned companies for human rights risks", "Overheidsbedrijven screenen op mensenrechtenrisico's", "Examiner les risques en matière de droits humains dans les entreprises publiques", "", "BOSA", ()),
    ("1.6", "Protect human rights defenders in trade relations", "Mensenrechtenverdedigers beschermen in handelsrelaties", "Protéger les défenseurs des droits humains dans les relations commerciales", "", "BZ", ()),
    ("1.7", "Align public procurement with the UN Guiding Principles", "Overheidsopdrachten afstemmen op de VN-richtlijnen", "Aligner les marchés publics sur les Principes directeurs des Nations unies", "", "BOSA", "regions"),
    ("2.1", "Publish a due diligence guide for companies", "Een gids over passende zorgvuldigheid voor ondernemingen publiceren", "Publier un guide sur la diligence raisonnable pour les entreprises", "Einen Leitfaden zur Sorgfaltspflicht für Unternehmen veröffentlichen", "FIDO", ("EWI", "SPW-EER", "BEB")),
    ("2.2", "Set up a helpdesk on business and human rights", "Een helpdesk bedrijven en mensenrechten oprichten", "Créer un service d'assistance entreprises et droits humains", "", "ECO", ()),
    ("2.3", "Organise sector dialogues on textiles, cocoa and electronics", "Sectordialogen organiseren over textiel, cacao en elektronica", "Organiser des dialogues sectoriels sur le textile, le cacao et l'électronique", "", "FIDO", ("KANS",)),
    ("2.4", "Help SMEs map their human rights risks", "Kmo's helpen hun mensenrechtenrisico's in kaart te brengen", "Aider les PME à cartographier leurs risques en matière de droits humains", "", "EWI", ("SPW-EER", "BEB", "MDG")),
    ("2.5", "Promote living wages in the supply chains of Belgian companies", "Leefbare lonen bevorderen in de toeleveringsketens van Belgische bedrijven", "Promouvoir des salaires décents dans les chaînes d'approvisionnement des entreprises belges", "", "WASO", ("BZ",)),
    ("2.6", "Develop a human rights module for the training of civil servants", "Een mensenrechtenmodule ontwikkelen voor de opleiding van ambtenaren", "Développer un module droits humains pour la formation des fonctionnaires", "Ein Menschenrechtsmodul für die Fortbildung der Beamten entwickeln", "BOSA", "regions"),
    ("2.7", "Encourage companies to publish a human rights policy", "Bedrijven aanmoedigen een mensenrechtenbeleid te publiceren", "Encourager les entreprises à publier une politique en matière de droits humains", "", "ECO", "regions"),
    ("3.1", "Evaluate access to justice for victims of corporate abuse abroad", "De toegang tot de rechter evalueren voor slachtoffers van misbruik door ondernemingen in het buitenland", "Évaluer l'accès à la justice des victimes d'abus commis par des entreprises à l'étranger", "", "JUST", ()),
    ("3.2", "Strengthen the mediation role of the National Contact Point", "De bemiddelingsrol van het Nationaal Contactpunt versterken", "Renforcer le rôle de médiation du Point de contact national", "", "ECO", ()),
    ("3.3", "Inform victims about remedies in their own language", "Slachtoffers in hun eigen taal informeren over rechtsmiddelen", "Informer les victimes des voies de recours dans leur langue", "Opfer in ihrer Sprache über Rechtsbehelfe informieren", "JUST", ("BZ",)),
    ("3.4", "Support legal aid in transnational human rights cases", "Rechtsbijstand in grensoverschrijdende mensenrechtenzaken ondersteunen", "Soutenir l'aide juridique dans les affaires transnationales de droits humains", "", "JUST", ()),
    ("3.5", "Collect data on complaints against companies", "Gegevens verzamelen over klachten tegen ondernemingen", "Collecter des données sur les plaintes contre des entreprises", "", "ECO", "regions"),
    ("3.6", "Encourage grievance mechanisms within companies", "Klachtenmechanismen binnen bedrijven aanmoedigen", "Encourager les mécanismes de réclamation au sein des entreprises", "", "WASO", ("EWI", "SPW-EER")),
    ("4.1", "Report yearly to Parliament on the action plan", "Jaarlijks aan het Parlement rapporteren over het actieplan", "Faire rapport chaque année au Parlement sur le plan d'action", "Dem Parlament jährlich über den Aktionsplan berichten", "FIDO", ()),
    ("4.2", "Consult stakeholders on the next edition of the plan", "De stakeholders raadplegen over de volgende editie van het plan", "Consulter les parties prenantes sur la prochaine édition du plan", "", "FIDO", "regions"),
    ("4.3", "Align the regional action plans with the national plan", "De gewestelijke actieplannen afstemmen op het nationale plan", "Aligner les plans d'action régionaux sur le plan national", "", "KANS", ("SPW", "BEB", "MDG")),
    ("4.4", "Commission an independent mid-term evaluation", "Een onafhankelijke tussentijdse evaluatie laten uitvoeren", "Commander une évaluation indépendante à mi-parcours", "", "FIDO", ()),
    ("4.5", "Exchange good practices with other EU member states", "Goede praktijken uitwisselen met andere EU-lidstaten", "Échanger les bonnes pratiques avec d'autres États membres de l'UE", "", "BZ", ()),
    ("4.6", "Publish the plan's indicators as open data", "De indicatoren van het plan als open data publiceren", "Publier les indicateurs du plan en données ouvertes", "Die Indikatoren des Plans als offene Daten veröffentlichen", "BOSA", "regions"),
]  # fmt: skip

# What a focal point writes, in their language: four steps forward, then (last) a delay.
UPDATE_TEXTS = {
    "nl": [
        "Ontwerp ter goedkeuring aan het kabinet bezorgd.",
        "De werkgroep kwam twee keer samen; de opdrachtomschrijving is goedgekeurd.",
        "Proefproject gestart met drie administraties.",
        "Budget bevestigd in de begrotingsaanpassing.",
        "Vertraging: we wachten op de Europese richtsnoeren.",
    ],
    "fr": [
        "Projet transmis au cabinet pour approbation.",
        "Le groupe de travail s'est réuni deux fois ; le cahier des charges est adopté.",
        "Projet pilote lancé avec trois administrations.",
        "Budget confirmé lors de l'ajustement budgétaire.",
        "Retard : nous attendons les lignes directrices européennes.",
    ],
    "de": [
        "Entwurf dem Kabinett zur Genehmigung vorgelegt.",
        "Die Arbeitsgruppe hat zweimal getagt; das Lastenheft ist angenommen.",
        "Pilotprojekt mit drei Verwaltungen gestartet.",
        "Haushaltsmittel in der Haushaltsanpassung bestätigt.",
        "Verzögerung: Wir warten auf die europäischen Leitlinien.",
    ],
    "en": [
        "Draft sent to the minister's office for approval.",
        "The working group met twice; the terms of reference are agreed.",
        "Pilot launched with three administrations.",
        "Budget confirmed in the budget adjustment.",
        "Delayed: we are waiting for the European guidance.",
    ],
}
DONE_TEXTS = {
    "nl": "Afgerond; het verslag staat op de website.",
    "fr": "Terminé ; le rapport est publié sur le site.",
    "de": "Abgeschlossen; der Bericht ist auf der Website veröffentlicht.",
    "en": "Completed; the report is published on the website.",
}


def _completion(progress: int) -> str:
    if progress >= 100:
        return Completion.COMPLETED
    if progress >= 50:
        return Completion.SUBSTANTIAL
    if progress > 0:
        return Completion.LIMITED
    return Completion.NOT_STARTED


def _moment(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.choice([0, 15, 30, 45]))))


def _focal_points(acronyms: set[str]) -> dict[str, list[Member]]:
    """The demo members of each administration who report its parts: the signed-in demo accounts
    first (the Flemish and Walloon members), then the numbered ones."""
    members = (
        Member.objects.active()
        .filter(administration__acronym__in=acronyms)
        .select_related("user", "administration")
        .order_by("user__email")
    )
    by_acronym: dict[str, list[Member]] = {}
    for member in members:
        by_acronym.setdefault(member.administration.acronym, []).append(member)
    for points in by_acronym.values():
        points.sort(key=lambda m: (not m.user.email.startswith("member."), m.user.email))
    return by_acronym


def _load_plan(
    *,
    slug: str,
    group: Group,
    chair: Member | None,
    texts: dict[str, str],
    is_public: bool,
    chapters: list[tuple],
    commitments: list[tuple],
    administrations: dict[str, Administration],
    focal_points: dict[str, list[Member]],
    rng: random.Random,
) -> PlanEdition:
    today = timezone.localdate()
    plan = services.create_plan(by=chair, owner_group=group, texts=texts, slug=slug, is_public=is_public)
    start = date(today.year - 2, 1, 1)
    edition = services.create_edition(
        plan=plan,
        by=chair,
        label=f"{start.year}–{start.year + 4}",
        starts_on=start,
        ends_on=date(start.year + 4, 12, 31),
    )
    chapter_rows = {}
    for code, nl, fr, de, en in chapters:
        chapter_rows[code] = services.create_chapter(
            edition=edition,
            by=chair,
            code=code,
            texts={"title_nl": nl, "title_fr": fr, "title_de": de, "title_en": en},
        )
    for number, (reference, en, nl, fr, de, lead, others) in enumerate(commitments):
        owners = REGIONS if others == "regions" else others
        owner_rows = [administrations[acronym] for acronym in owners if acronym in administrations]
        points = {
            administrations[acronym].pk: focal_points.get(acronym, [])[:1]
            for acronym in (lead, *owners)
            if acronym in administrations
        }
        start_date = start + timedelta(days=rng.randint(0, 300))
        # Due dates from a few months ago (some now overdue) to two years ahead.
        due_date = today + timedelta(days=rng.randint(-150, 730))
        services.create_commitment(
            by=chair,
            texts={"title_nl": nl, "title_fr": fr, "title_de": de, "title_en": en},
            lead_administration=administrations[lead],
            edition=edition,
            chapter=chapter_rows[reference.split(".")[0]],
            reference=reference,
            start_date=start_date,
            due_date=max(due_date, start_date),
            # The chair keeps a few out of the public page.
            is_public=number % 9 != 4,
            administrations=owner_rows,
            focal_points=points,
        )
    return edition


def _history(editions: list[PlanEdition], chair: Member | None, rng: random.Random) -> None:
    """Two closed reporting rounds and an open one per edition, with the parts' progress updates and
    the snapshots frozen when each round closed; then the parts' and commitments' current values."""
    today = timezone.localdate()
    # (opened, deadline, closed) in days from today; the last one is still open.
    windows = [(-300, -270, -265), (-120, -90, -85), (-10, 21, None)]
    parts = list(
        CommitmentPart.objects.filter(commitment__edition__in=editions)
        .select_related("commitment")
        .prefetch_related("focal_points__user")
        .order_by("pk")
    )
    state = {part.pk: (Status.PLANNED.value, Completion.NOT_STARTED.value, 0) for part in parts}
    # Some commitments move fast (a few are done by now), others slowly.
    pace = {part.commitment_id: rng.choice([1, 1, 2, 3, 4]) for part in parts}
    last_update: dict[int, ProgressUpdate] = {}
    for edition in editions:
        rounds = []
        for opened, deadline, closed in windows:
            opened_on = today + timedelta(days=opened)
            rounds.append(
                ReportingRound(
                    edition=edition,
                    # Read in every language: the year and month it opened, not a season's name.
                    label=f"{opened_on:%Y-%m}",
                    deadline=today + timedelta(days=deadline),
                    remind_days_before=7,
                    opened_at=timezone.make_aware(datetime.combine(opened_on, time(9, 0))),
                    opened_by=chair,
                    reminder_sent_at=_moment(today + timedelta(days=deadline - 7), rng) if closed else None,
                    closed_at=_moment(today + timedelta(days=closed), rng) if closed is not None else None,
                    closed_by=chair if closed is not None else None,
                )
            )
        rounds = ReportingRound.objects.bulk_create(rounds)
        edition_parts = [part for part in parts if part.commitment.edition_id == edition.pk]
        for round_, (opened, deadline, closed) in zip(rounds, windows, strict=True):
            share = 0.85 if closed is not None else 0.4  # the open round is under way
            updates = []
            for part in edition_parts:
                status, completion, progress = state[part.pk]
                if status in CLOSED_STATUSES or rng.random() > share:
                    continue
                points = list(part.focal_points.all())
                author = points[0] if points else chair
                language = author.user.language if author else "en"
                when = _moment(today + timedelta(days=rng.randint(opened + 1, min(deadline, -1))), rng)
                if rng.random() < 0.15:  # reported, but nothing moved
                    new = (status, completion, progress)
                    text, no_change = "", True
                else:
                    step = rng.choice([10, 15, 20]) * pace[part.commitment_id]
                    new_progress = min(progress + step, 100)
                    if new_progress == 100:
                        new_status, text = Status.DONE.value, DONE_TEXTS[language]
                    elif rng.random() < 0.15:
                        new_status, text = Status.DELAYED.value, UPDATE_TEXTS[language][4]
                    else:
                        new_status, text = Status.IN_PROGRESS.value, rng.choice(UPDATE_TEXTS[language][:4])
                    new = (new_status, _completion(new_progress), new_progress)
                    no_change = False
                updates.append(
                    ProgressUpdate(
                        part=part,
                        round=round_,
                        author=author,
                        created_at=when,
                        text=text,
                        language=language if text else "",
                        no_change=no_change,
                        previous_status=status,
                        previous_completion=completion,
                        previous_progress=progress,
                        status=new[0],
                        completion=new[1],
                        progress=new[2],
                    )
                )
                state[part.pk] = new
            for update in ProgressUpdate.objects.bulk_create(updates):
                last_update[update.part_id] = update
            if closed is None:
                continue
            reported = {update.part_id: update for update in updates}
            RoundSnapshot.objects.bulk_create(
                [
                    RoundSnapshot(
                        round=round_,
                        part=part,
                        status=state[part.pk][0],
                        completion=state[part.pk][1],
                        progress=state[part.pk][2],
                        weight=part.weight,
                        due_date=part.commitment.due_date,
                        reported=part.pk in reported,
                        no_change=part.pk in reported and reported[part.pk].no_change,
                        last_update=last_update.get(part.pk),
                        last_update_at=last_update[part.pk].created_at if part.pk in last_update else None,
                    )
                    for part in edition_parts
                ]
            )

    for part in parts:
        part.status, part.completion, part.progress = state[part.pk]
        part.last_update_at = last_update[part.pk].created_at if part.pk in last_update else None
    CommitmentPart.objects.bulk_update(parts, ["status", "completion", "progress", "last_update_at"])
    commitments = {}
    for part in parts:
        commitments.setdefault(part.commitment_id, (part.commitment, []))[1].append(
            (part.status, part.completion, part.progress, part.weight)
        )
    rows = []
    for commitment, values in commitments.values():
        result = roll_up(values)
        commitment.status, commitment.completion, commitment.progress = (
            result.status,
            result.completion,
            result.progress,
        )
        rows.append(commitment)
    Commitment.objects.bulk_update(rows, ["status", "completion", "progress"])


@transaction.atomic
def load_demo_commitments() -> int:
    """Create the two demo action plans if missing. Returns how many commitments the demo plans have."""
    platform = Group.objects.filter(slug="mvo-platform").first()
    nap = Group.objects.filter(slug="nap-bhr").first()
    chair = Member.objects.filter(user__email="chair@example.org").first()
    if platform is None or nap is None:
        return 0
    demo_plans = ActionPlan.objects.filter(slug__in=[CSR_SLUG, NAP_SLUG])
    if demo_plans.exists():
        return Commitment.objects.filter(edition__plan__in=demo_plans).count()

    rng = random.Random(2026)  # noqa: S311 - demo data only
    acronyms = {
        acronym
        for rows in (CSR_COMMITMENTS, NAP_COMMITMENTS)
        for _r, _en, _nl, _fr, _de, lead, others in rows
        for acronym in (lead, *(REGIONS if others == "regions" else others))
    }
    administrations = {a.acronym: a for a in Administration.objects.filter(acronym__in=acronyms)}
    focal_points = _focal_points(acronyms)
    common = {"administrations": administrations, "focal_points": focal_points, "rng": rng, "chair": chair}
    csr = _load_plan(
        slug=CSR_SLUG,
        group=platform,
        texts={
            "title_nl": "Federaal actieplan Maatschappelijk Verantwoord Ondernemen",
            "title_fr": "Plan d'action fédéral Responsabilité sociétale des entreprises",
            "title_de": "Föderaler Aktionsplan Gesellschaftliche Verantwortung der Unternehmen",
            "title_en": "Federal CSR Action Plan",
            "description_nl": "De engagementen van de federale overheid en de gewesten om maatschappelijk verantwoord ondernemen te bevorderen, en hoe ver ze staan.",
            "description_fr": "Les engagements de l'État fédéral et des régions pour promouvoir la responsabilité sociétale des entreprises, et leur état d'avancement.",
            "description_en": "The commitments of the federal government and the regions to promote corporate social responsibility, and how far each has come.",
        },
        is_public=True,
        chapters=CSR_CHAPTERS,
        commitments=CSR_COMMITMENTS,
        **common,
    )
    nap_edition = _load_plan(
        slug=NAP_SLUG,
        group=nap,
        texts={
            "title_nl": "Nationaal actieplan Bedrijven en Mensenrechten",
            "title_fr": "Plan d'action national Entreprises et droits de l'homme",
            "title_de": "Nationaler Aktionsplan Wirtschaft und Menschenrechte",
            "title_en": "National Action Plan Business and Human Rights",
        },
        is_public=False,
        chapters=NAP_CHAPTERS,
        commitments=NAP_COMMITMENTS,
        **common,
    )
    _history([csr, nap_edition], chair, rng)
    _milestones_and_indicators([csr, nap_edition])
    return len(CSR_COMMITMENTS) + len(NAP_COMMITMENTS)


def _milestones_and_indicators(editions: list[PlanEdition]) -> None:
    """A few dated milestones and a measured indicator on the first commitments of each plan."""
    today = timezone.localdate()
    milestones, indicators = [], []
    for edition in editions:
        for number, commitment in enumerate(edition.commitments.order_by("position", "pk")[:4]):
            milestones += [
                Milestone(
                    commitment=commitment,
                    title_nl="Ontwerp voorgelegd aan de werkgroep",
                    title_fr="Projet soumis au groupe de travail",
                    title_de="Entwurf der Arbeitsgruppe vorgelegt",
                    title_en="Draft submitted to the working group",
                    due_date=today - timedelta(days=120 - 10 * number),
                    done_on=today - timedelta(days=125 - 10 * number),
                    position=1,
                ),
                Milestone(
                    commitment=commitment,
                    title_nl="Goedkeuring door de ministerraad",
                    title_fr="Approbation par le Conseil des ministres",
                    title_de="Genehmigung durch den Ministerrat",
                    title_en="Approval by the Council of Ministers",
                    due_date=today + timedelta(days=60 + 30 * number),
                    position=2,
                ),
            ]
            indicators.append(
                Indicator(
                    commitment=commitment,
                    name_nl="Bereikte bedrijven",
                    name_fr="Entreprises atteintes",
                    name_de="Erreichte Unternehmen",
                    name_en="Companies reached",
                    unit="#",
                    baseline=0,
                    target=500,
                    current_value=120 + 80 * number,
                    measured_on=today - timedelta(days=30),
                    position=1,
                )
            )
    Milestone.objects.bulk_create(milestones)
    Indicator.objects.bulk_create(indicators)
