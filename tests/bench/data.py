"""The data of a real installation, made in bulk: PostgreSQL COPY, or bulk_create elsewhere.

`generate(Size.FULL)` gives 50 groups, 5,000 members, 10,000 meetings and 300,000 invitations
with the cases the bench reads (see `Scenario`); `Size.TINY` the same shapes in miniature, for
the smoke test. Rows are plain values with explicit ids, written table by table; no model
signals, no history rows (as after years of use, history is not what the pages read).
"""

import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.utils import timezone

LANGUAGES = ("nl", "fr", "de", "en")
LANGUAGE_WEIGHTS = (40, 35, 5, 20)
FIRST = ["Anna", "Bart", "Chloé", "Dirk", "Els", "François", "Greet", "Hélène", "Jan", "Karin", "Luc", "Marie",
         "Nathalie", "Olivier", "Pieter", "Sophie", "Thomas", "Ursula", "Véronique", "Wim"]
LAST = ["Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Martin", "Schmitz", "Claes", "Wouters", "Mertens",
        "Dupont", "Goossens", "Lejeune", "Renard", "Vermeulen", "Hoffmann", "Jacobs", "Willems", "Simon", "Leclercq"]
ANSWERS = [("accepted", 50), ("declined", 14), ("tentative", 6), ("delegated", 2), ("none", 28)]


@dataclass(frozen=True)
class Size:
    groups: int
    members: int
    meetings: int
    invitations: int
    big_group_meetings: int  # the group whose feed has this many meetings
    small_group_meetings: int
    upcoming_in_big_group: int  # the "My meetings" member's upcoming meetings
    plenary_members: int  # invitees of the heavy meeting page
    heavy_items: int
    light_items: int
    items_per_meeting: int = 5
    working_group_members: int = 100


FULL = Size(50, 5000, 10000, 300000, 2000, 100, 175, 300, 40, 20)
TINY = Size(6, 60, 40, 400, 12, 6, 5, 12, 4, 2, items_per_meeting=2, working_group_members=20)


@dataclass
class Scenario:
    """What the bench asks for by name: ids of the cases made here."""

    size: Size
    heavy_meeting: int = 0  # 40 items, 300 invitees
    light_meeting: int = 0  # 20 items
    plenary_group: str = ""
    big_group: str = ""  # 2,000 meetings
    small_group: str = ""  # 100 meetings
    chair_user: int = 0  # chair of the plenary group: meeting, answers, attendance pages
    busy_user: int = 0  # the member with 175 upcoming meetings (big group)
    busy_token: str = ""
    small_user: int = 0  # a member of the small group: its feed, and "My meetings" with fewer meetings
    small_token: str = ""
    small_upcoming: int = 0
    counts: dict = field(default_factory=dict)


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


class Writer:
    """Writes rows (dicts of attname -> value) for a model: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.counts: dict[str, int] = {}

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields]
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(rows)
        if connection.vendor != "postgresql":
            model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
            return
        defaults = {}
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults[f.attname] = self.now
            elif f.has_default():
                defaults[f.attname] = f.get_default()
            else:
                defaults[f.attname] = None
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor
            with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    values = []
                    for f in fields:
                        value = row.get(f.attname, defaults[f.attname])
                        if f.attname in json_fields and value is not None:
                            value = json.dumps(value)
                        values.append(value)
                    copy.write_row(values)

    def reset_sequences(self, models) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                # The table names are the models' own, not input.
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            cursor.execute("ANALYZE")


def generate(size: Size = FULL, seed: int = 7) -> Scenario:
    """Fill an empty, migrated database; returns what the bench needs to find the cases."""
    from meetings.models import AgendaItem, Document, DocumentFile, Invitation, Meeting, RsvpAnswer
    from members.models import Administration, Group, Member, Membership, User

    rng = random.Random(seed)
    writer = Writer()
    now = writer.now
    today = timezone.localdate()
    scenario = Scenario(size=size)

    # Administrations: federal, regional, community services and stakeholders.
    levels = [("federal", "federal"), ("regional", "flemish"), ("regional", "walloon"), ("regional", "brussels"),
              ("community", "french_community"), ("community", "german_speaking"), ("stakeholder", "")]
    administrations = []
    for i in range(1, 41):
        level, entity = levels[i % len(levels)]
        administrations.append({
            "id": i, "acronym": f"ADM{i:02d}", "level": level, "entity": entity, "is_active": True,
            "name_nl": f"Dienst {i}", "name_fr": f"Service {i}", "name_de": f"Dienst {i}", "name_en": f"Service {i}",
        })
    writer.write(Administration, administrations)

    # Users and members.
    users, members = [], []
    languages = [weighted(rng, zip(LANGUAGES, LANGUAGE_WEIGHTS, strict=True)) for _ in range(size.members)]
    for i in range(1, size.members + 1):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
        users.append({
            "id": i, "email": f"member{i}@example.org", "name": name, "language": languages[i - 1],
            "password": "!bench", "is_active": True, "is_staff": False, "is_superuser": False, "date_joined": now,
        })
        members.append({
            "id": i, "user_id": i, "administration_id": 1 + i % len(administrations),
            "job_title": ["Advisor", "Attaché", "Expert", "Director", "Policy officer"][i % 5],
            "form_of_address": ["", "ms", "mr"][i % 3], "phone": f"+32 2 {i:06d}",
            "timezone": "Europe/Brussels", "muted_kinds": [], "feed_token": secrets.token_urlsafe(32),
            "last_seen_at": now - timedelta(days=i % 90), "created_at": now - timedelta(days=400 + i % 300),
        })
    writer.write(User, users)
    writer.write(Member, members)
    language_of = {m["id"]: users[m["id"] - 1]["language"] for m in members}

    # Groups: 0 = big (its feed), 1 = small, 2 = plenary (the heavy meeting), others = working groups.
    groups = []
    for g in range(size.groups):
        groups.append({
            "id": g + 1, "slug": ["big-network", "small-network", "plenary"][g] if g < 3 else f"working-group-{g}",
            "name_nl": f"Werkgroep {g}", "name_fr": f"Groupe de travail {g}", "name_de": f"Arbeitsgruppe {g}",
            "name_en": f"Working group {g}",
            "mandate_nl": "Coördinatie van het beleid.", "mandate_fr": "Coordination de la politique.",
            "mandate_de": "", "mandate_en": "Policy coordination.",
            "lines_of_action_nl": "", "lines_of_action_fr": "", "lines_of_action_de": "", "lines_of_action_en": "",
            "contact_email": f"group{g}@example.org", "is_public": g % 3 == 0, "show_next_meetings": g % 2 == 0,
            "created_at": now - timedelta(days=1500),
        })
    writer.write(Group, groups)

    member_ids = [m["id"] for m in members]
    n_big = max(4, size.members // 125)  # 40
    n_small = max(4, size.members // 166)  # 30
    group_members: dict[int, list[int]] = {
        1: member_ids[:n_big],
        2: member_ids[n_big:n_big + n_small],
        3: member_ids[n_big + n_small:n_big + n_small + size.plenary_members],
    }
    others = member_ids[n_big:]  # the big group's members are in no other group
    per_group = size.working_group_members
    for g in range(4, size.groups + 1):
        start = ((g - 4) * per_group) % len(others)
        group_members[g] = [others[(start + j) % len(others)] for j in range(per_group)]
    memberships, mid = [], 0
    roles = ["chair", "secretariat", "vice_chair"]
    for g, ids in group_members.items():
        for position, member_id in enumerate(ids):
            mid += 1
            role = roles[position] if position < len(roles) else ("observer" if position % 17 == 5 else "member")
            memberships.append({"id": mid, "member_id": member_id, "group_id": g, "role": role,
                                "start": today - timedelta(days=700)})
    writer.write(Membership, memberships)

    # Meetings: past ones held, upcoming ones scheduled (a few drafts and cancellations).
    meetings = []
    heavy_and_light = size.meetings - size.big_group_meetings - size.small_group_meetings
    plenary_meetings = max(4, size.meetings // 166)  # 60
    plan = ([1] * size.big_group_meetings + [2] * size.small_group_meetings + [3] * plenary_meetings)
    rest = heavy_and_light - plenary_meetings
    working = list(range(4, size.groups + 1))
    plan += [working[i % len(working)] for i in range(rest)]
    # Dates: each group's meetings spread over the past years; a fixed share upcoming.
    per_group_total = {g: plan.count(g) for g in set(plan)}
    upcoming_of = {1: size.upcoming_in_big_group, 2: max(2, size.small_group_meetings * 3 // 5)}
    seen: dict[int, int] = {}
    heavy_id = light_id = 0
    for index, g in enumerate(plan, start=1):
        k = seen.get(g, 0)
        seen[g] = k + 1
        total = per_group_total[g]
        upcoming = upcoming_of.get(g, max(1, total // 4))
        past = total - upcoming
        if k < past:
            starts = now - timedelta(days=3, hours=(past - k) * 17 % 24) - timedelta(days=(past - k) * 2)
        else:
            starts = now + timedelta(days=1 + (k - past) * 2, hours=k % 7)
        starts = starts.replace(minute=0, second=0, microsecond=0, hour=9 + k % 6)
        status = "held" if starts < now else ("cancelled" if k % 41 == 7 else ("draft" if k % 53 == 3 else "scheduled"))
        if g == 1 and status != "held":
            status = "scheduled"  # exactly `upcoming_in_big_group` for its members
        if g == 3 and k == past and not heavy_id:
            heavy_id, status = index, "scheduled"
        elif g == 3 and k == past + 1 and not light_id:
            light_id, status = index, "scheduled"
        fmt = ["on_site", "hybrid", "online"][k % 3]
        chair_id = group_members[g][0]
        meetings.append({
            "id": index, "group_id": g, "title_nl": f"Vergadering {index} van werkgroep {g}",
            "title_fr": f"Réunion {index} du groupe {g}", "title_de": "" if index % 3 else f"Sitzung {index}",
            "title_en": f"Meeting {index} of group {g}",
            "description_nl": "Bespreking van de stand van zaken en de volgende stappen.",
            "description_fr": "Discussion de l'état d'avancement et des prochaines étapes.",
            "description_de": "", "description_en": "Progress and next steps.",
            "cancellation_note_nl": "", "cancellation_note_fr": "", "cancellation_note_de": "", "cancellation_note_en": "",
            "kind": ["working_group", "plenary", "consultation"][g % 3], "format": fmt, "status": status,
            "starts_at": starts, "ends_at": starts + timedelta(hours=2 + k % 2),
            "location": "" if fmt == "online" else f"Rue de la Loi {index % 200}, 1000 Brussels",
            "online_url": "" if fmt == "on_site" else f"https://meet.example.org/room-{index}",
            "rsvp_deadline": starts - timedelta(days=3), "organiser_id": chair_id, "invite_whole_group": True,
            "is_public": k % 5 == 0, "sequence": k % 3,
            "circulated_at": starts - timedelta(days=20) if status != "draft" else None,
            "circulated_version": {}, "remind_unanswered_days": 7, "remind_accepted_day_before": True,
            "created_at": starts - timedelta(days=40), "updated_at": min(now, starts - timedelta(days=20 - k % 5)),
        })
    writer.write(Meeting, meetings)
    scenario.heavy_meeting, scenario.light_meeting = heavy_id, light_id
    upcoming_ids = {m["id"] for m in meetings if m["starts_at"] > now and m["status"] != "cancelled"}

    # Agenda items, with a document per item (and its files) on the two measured meetings.
    items, documents, files = [], [], []
    item_id = doc_id = file_id = 0
    for m in meetings:
        count = {heavy_id: size.heavy_items, light_id: size.light_items}.get(m["id"], size.items_per_meeting)
        presenters = group_members[m["group_id"]]
        for position in range(1, count + 1):
            item_id += 1
            items.append({
                "id": item_id, "meeting_id": m["id"], "position": position,
                "title_nl": f"Punt {position}: stand van zaken", "title_fr": f"Point {position} : état des lieux",
                "title_de": "", "title_en": f"Item {position}: progress report",
                "description_nl": "Toelichting door de dienst." if position % 2 else "",
                "description_fr": "Présentation par le service." if position % 2 else "",
                "description_de": "", "description_en": "",
                "kind": ["information", "discussion", "decision"][position % 3],
                "presenter_id": presenters[position % len(presenters)] if position % 3 else None,
                "presenter_administration_id": 1 + position % 40, "duration_minutes": 10 + 5 * (position % 3),
            })
            if m["id"] in (heavy_id, light_id) or position == 1:
                doc_id += 1
                documents.append({"id": doc_id, "meeting_id": m["id"], "agenda_item_id": item_id,
                                  "title": f"Note {position} for meeting {m['id']}", "created_by_id": m["organiser_id"],
                                  "created_at": m["created_at"]})
                for language in ("nl", "fr") if m["id"] in (heavy_id, light_id) else ("",):
                    file_id += 1
                    files.append({"id": file_id, "document_id": doc_id, "language": language, "version": 1,
                                  "file": f"meetings/{m['id']}/{secrets.token_hex(16)}",
                                  "original_name": f"note-{position}-{language or 'all'}.pdf",
                                  "content_type": "application/pdf", "size": 150_000 + position * 1000,
                                  "uploaded_by_id": m["organiser_id"], "uploaded_at": m["created_at"]})
    writer.write(AgendaItem, items)
    writer.write(Document, documents)
    writer.write(DocumentFile, files)

    # Invitations: the group's members (a rotating subset in working groups), to the total asked.
    fixed = {1: None, 2: None, 3: None}
    fixed_total = sum(len(group_members[m["group_id"]]) for m in meetings if m["group_id"] in fixed)
    working_meetings = [m for m in meetings if m["group_id"] not in fixed]
    share, extra = divmod(max(0, size.invitations - fixed_total), max(1, len(working_meetings)))
    invitations, answers = [], []
    inv_id = ans_id = n = 0
    for m in meetings:
        ids = group_members[m["group_id"]]
        if m["group_id"] not in fixed:
            take = min(len(ids), share + (1 if n < extra else 0))
            n += 1
            offset = (m["id"] * 7) % len(ids)
            ids = [ids[(offset + j) % len(ids)] for j in range(take)]
        answered_base = m["starts_at"] - timedelta(days=10)
        for member_id in ids:
            inv_id += 1
            rsvp = weighted(rng, ANSWERS) if m["status"] != "draft" else "none"
            row = {"id": inv_id, "meeting_id": m["id"], "member_id": member_id, "email": "", "name": "",
                   "language": language_of[member_id], "source": "group", "rsvp": rsvp,
                   "rsvp_comment": "Ik kom met een collega." if rsvp == "accepted" and inv_id % 9 == 0 else "",
                   "attendance_mode": ("online" if inv_id % 4 == 0 else "on_site") if rsvp == "accepted" else "",
                   "sent_sequence": m["sequence"] if m["circulated_at"] else None,
                   "created_at": m["created_at"]}
            if rsvp != "none":
                row["rsvp_at"] = min(now, answered_base + timedelta(hours=inv_id % 200))
                ans_id += 1
                answers.append({"id": ans_id, "invitation_id": inv_id, "answer": rsvp, "comment": "",
                                "attendance_mode": row["attendance_mode"],
                                "channel": ["web", "email_link", "calendar"][inv_id % 3],
                                "answered_by_id": member_id, "created_at": row["rsvp_at"]})
            invitations.append(row)
    writer.write(Invitation, invitations)
    writer.write(RsvpAnswer, answers)
    writer.reset_sequences([Administration, User, Member, Group, Membership, Meeting, AgendaItem, Document,
                            DocumentFile, Invitation, RsvpAnswer])

    scenario.plenary_group, scenario.big_group, scenario.small_group = "plenary", "big-network", "small-network"
    scenario.chair_user = group_members[3][0]
    scenario.busy_user = group_members[1][3]
    scenario.busy_token = members[scenario.busy_user - 1]["feed_token"]
    scenario.small_user = group_members[2][3]
    scenario.small_token = members[scenario.small_user - 1]["feed_token"]
    scenario.small_upcoming = sum(
        1 for i in invitations if i["member_id"] == scenario.small_user and i["meeting_id"] in upcoming_ids
    )
    scenario.counts = dict(writer.counts)
    return scenario


def add_minutes_and_commitments(scenario: Scenario) -> dict:
    """The small, rich objects two pages read (made with the test factories): published minutes
    of a held plenary meeting, and an action plan with 100 commitments for the tracker."""
    from coordination.models import Commitment
    from meetings.models import Meeting, Minutes
    from members.models import Administration, Group, Member
    from tests.coordination.factories import make_many, make_plan
    from tests.meetings.minutes_factories import make_minutes

    group = Group.objects.get(slug=scenario.plenary_group)
    chair = Member.objects.get(user_id=scenario.chair_user)
    held = Meeting.objects.filter(group=group, status=Meeting.Status.HELD).order_by("-starts_at").first()
    minutes = make_minutes(held, items=5, status=Minutes.Status.PUBLISHED, chair=chair, language="fr")
    _plan, edition = make_plan(group)
    administrations = list(Administration.objects.order_by("pk")[:5])
    commitments = 100 if scenario.size is FULL else 5
    make_many(edition, commitments, administrations, updates=2)
    return {"minutes_meeting": minutes.meeting_id, "commitments": Commitment.objects.count()}
