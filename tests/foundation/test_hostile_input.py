"""Odd input never gives a server error, and a refused form changes nothing.

The pages come from the URL resolver, so a new page is fuzzed without being listed here (its
path arguments must be, in `path_arguments`, or `test_every_page_is_reached` fails). For each
page, hypothesis sends arbitrary query strings; for each form found on each page, arbitrary
field values. Signed in as the group's chair, who may post every form. Each example runs in a
savepoint that is rolled back, so every example starts from the same data.
"""

import html.parser
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from coordination.models import (
    ActionPlan,
    Commitment,
    CommitmentPart,
    Evidence,
    Indicator,
    Milestone,
    PlanEdition,
    ProgressUpdate,
    ReportingRound,
)
from meetings import minutes as minutes_service
from meetings.links import answer_token
from meetings.models import Attendance, Invitation, Meeting, MinutesItem
from members import services as member_services
from members.models import GroupLink, JoinInvitation, Membership
from tests.factories import GroupFactory, make_member
from tests.meetings.factories import PDF, in_days, make_document, make_items, make_meeting
from tests.meetings.minutes_factories import held_meeting, make_minutes

Role = Membership.Role
OUR_APPS = ("coordination.", "members.", "meetings.")
QUERY_EXAMPLES = 10
FORM_EXAMPLES = 25

fuzz = hypothesis_settings(
    max_examples=FORM_EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- The site: one of everything a page can be about -----------------------------------------


@dataclass
class Site:
    group: object
    chair: object
    colleague: object
    meeting: object
    past_meeting: object
    item: object
    document_file: object
    colleague_invitation: object
    join_invitation: object
    join_token: str
    link: object
    batch: str
    plan: object = None
    commitment: object = None
    evidence: object = None
    reporting_round: object = None
    minutes: object = None
    minutes_item: object = None
    aob_item: object = None
    minutes_comment: object = None
    draft_meeting: object = None
    approved_meeting: object = None


@pytest.fixture
def site(db) -> Site:
    chair = make_member(None, language="en")
    group = GroupFactory(
        is_public=True,
        mandate_en="Coordinate the federal and regional CSR policies.",
        show_next_meetings=True,
    )
    Membership.objects.create(member=chair, group=group, role=Role.CHAIR)
    colleague = make_member(group, Role.MEMBER, language="fr")
    substitute = make_member(group, Role.SUBSTITUTE, language="nl", administration=colleague.administration)
    Membership.objects.filter(member=substitute).update(substitute_for=colleague)

    meeting = make_meeting(group, chair, is_public=True, rsvp_deadline=in_days(20))
    item = make_items(meeting, 2)[0]
    document = make_document(meeting, item=item)
    past_meeting = make_meeting(group, chair, starts_at=in_days(-1), status=Meeting.Status.HELD)
    invitations = {}
    for member in (chair, colleague, substitute):
        for one in (meeting, past_meeting):
            invitations[member.pk, one.pk] = Invitation.objects.create(
                meeting=one, member=member, language=member.user.language
            )
    token, token_hash = member_services.new_invitation_token()
    join_invitation = JoinInvitation.objects.create(
        email="new.member@example.org",
        name="New Member",
        language="en",
        group=group,
        role=Role.MEMBER,
        token_hash=token_hash,
        invited_by=chair,
        expires_at=timezone.now() + timedelta(days=7),
    )
    link = GroupLink.objects.create(group=group, title_en="Action plan", url="https://example.org/plan")
    batch = f"fuzz-{secrets.token_hex(3)}"
    member_services.queue_message(
        kind="agenda",
        to_email=colleague.user.email,
        subject="Agenda",
        body_text="The agenda.",
        member=colleague,
        batch=batch,
        created_by=chair,
    )
    # An action plan with a commitment whose part the colleague reports, and one update with a document.
    # Public, so that its public page is fuzzed too.
    plan = ActionPlan.objects.create(
        slug="csr-plan", title_en="Federal CSR Action Plan", owner_group=group, is_public=True
    )
    edition = PlanEdition.objects.create(plan=plan, label="2021–2024", starts_on=date(2021, 1, 1))
    commitment = Commitment.objects.create(
        edition=edition,
        owner_group=group,
        reference="1.1",
        title_en="Due diligence",
        lead_administration=colleague.administration,
    )
    part = CommitmentPart.objects.create(commitment=commitment, administration=colleague.administration)
    part.focal_points.add(colleague)
    update = ProgressUpdate.objects.create(
        part=part,
        text="Started",
        previous_status="planned",
        previous_completion="not_started",
        previous_progress=0,
        status="in_progress",
        completion="limited",
        progress=10,
    )
    evidence = Evidence.objects.create(
        update=update,
        file=SimpleUploadedFile("report.pdf", PDF),
        original_name="report.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    # A reporting round open on the plan's edition.
    reporting_round = ReportingRound.objects.create(
        edition=edition, deadline=timezone.localdate() + timedelta(days=14), opened_by=chair
    )
    minutes = _minutes_out_for_comments(past_meeting, chair, colleague, invitations)
    # Draft minutes (to send for comments) and approved ones (to publish), each for a meeting held earlier.
    draft_meeting = held_meeting(group, chair, days_ago=20)
    make_minutes(draft_meeting, items=2, chair=chair, owner_administration=colleague.administration)
    approved_meeting = held_meeting(group, chair, days_ago=40)
    make_minutes(
        approved_meeting,
        items=2,
        chair=chair,
        owner_administration=colleague.administration,
        status="approved",
    )
    return Site(
        minutes=minutes,
        minutes_item=minutes.items.order_by("position").first(),
        aob_item=minutes.items.get(agenda_item__isnull=True),
        minutes_comment=minutes.comments.get(),
        draft_meeting=draft_meeting,
        approved_meeting=approved_meeting,
        reporting_round=reporting_round,
        plan=plan,
        commitment=commitment,
        evidence=evidence,
        group=group,
        chair=chair,
        colleague=colleague,
        meeting=meeting,
        past_meeting=past_meeting,
        item=item,
        document_file=document.files.first(),
        colleague_invitation=invitations[colleague.pk, meeting.pk],
        join_invitation=join_invitation,
        join_token=token,
        link=link,
        batch=batch,
    )


def _minutes_out_for_comments(meeting, chair, colleague, invitations):
    """The past meeting's minutes through the services: its agenda items, an item added at the meeting,
    a decision and an action, sent for comments to those who attended, and the colleague's comment."""
    make_items(meeting, 2)
    for member in (chair, colleague):
        Attendance.objects.create(
            invitation=invitations[member.pk, meeting.pk], status=Attendance.Status.PRESENT
        )
    minutes = minutes_service.start_minutes(meeting=meeting, by=chair, language="en")
    minutes_service.add_item(
        minutes=minutes, by=chair, title={"en": "Any other business"}, summary={"en": "The next dates."}
    )
    first = MinutesItem.objects.filter(minutes=minutes).order_by("position").first()
    minutes_service.save_item(
        item=first,
        by=chair,
        summary={"en": "The group discussed the **plan**."},
        decisions=[minutes_service.DecisionText(text={"en": "The group approves the plan."})],
        actions=[
            minutes_service.ActionText(
                text={"en": "Send the figures."},
                owner_administration=colleague.administration,
                owner=colleague,
                due_date=timezone.localdate() + timedelta(days=30),
                status="open",
            )
        ],
    )
    minutes_service.send_for_comments(
        minutes=minutes, by=chair, audience="attendees", deadline=timezone.now() + timedelta(days=7)
    )
    minutes_service.add_comment(minutes=minutes, by=colleague, text="Add the figures of 2025.", item=first)
    minutes.refresh_from_db()
    return minutes


def path_arguments(site: Site) -> dict[str, dict]:
    """The path arguments of each page that has some, from the site's objects."""
    group, meeting = {"slug": site.group.slug}, {"pk": site.meeting.pk}
    today = timezone.localdate()
    return {
        "public:group": group,
        "public:group-document": {**group, "pk": site.link.pk},
        "members:group-detail": group,
        "members:group-history": group,
        "members:membership-change": {**group, "pk": site.colleague.memberships.get().pk},
        "members:membership-end": {**group, "pk": site.colleague.memberships.get().pk},
        "members:public-page-edit": group,
        "members:public-link-add": group,
        "members:public-link-remove": {**group, "pk": site.link.pk},
        "members:administration-detail": {"pk": site.colleague.administration_id},
        "members:group-invite": group,
        "members:group-import": group,
        "members:group-import-template": group,
        "members:group-invitations": group,
        "members:invitation-revoke": {**group, "pk": site.join_invitation.pk},
        "members:join": {"token": site.join_token},
        "members:outbox-batch-status": {"batch": site.batch},
        "members:outbox-batch": {"batch": site.batch},
        "meetings:month": {"year": today.year, "month": today.month},
        "meetings:create": {"group_slug": site.group.slug},
        "meetings:series-create": {"group_slug": site.group.slug},
        "meetings:detail": meeting,
        "meetings:edit": meeting,
        "meetings:agenda": meeting,
        "meetings:agenda-item-edit": {**meeting, "item_pk": site.item.pk},
        "meetings:agenda-item-remove": {**meeting, "item_pk": site.item.pk},
        "meetings:agenda-item-move": {**meeting, "item_pk": site.item.pk},
        "meetings:document-upload": meeting,
        "meetings:document-download": {"file_pk": site.document_file.pk},
        "meetings:invitees": meeting,
        "meetings:invitee-add": meeting,
        "meetings:invitee-remove": {**meeting, "invitation_pk": site.colleague_invitation.pk},
        "meetings:circulate": meeting,
        "meetings:cancel": meeting,
        "meetings:meeting-ics": meeting,
        "meetings:member-feed": {"token": site.chair.feed_token},
        "meetings:group-feed": {**group, "token": site.chair.feed_token},
        "meetings:answers": meeting,
        "meetings:answers-remind": meeting,
        "meetings:attendance": {"pk": site.past_meeting.pk},
        "meetings:attendance-print": {"pk": site.past_meeting.pk},
        "meetings:answer": {"token": answer_token(site.colleague_invitation)},
        "meetings:answer-web": meeting,
        "meetings:answer-for": {**meeting, "invitation_pk": site.colleague_invitation.pk},
        **commitment_path_arguments(site),
        **minutes_path_arguments(site),
        **round_path_arguments(site),
        **tracker_path_arguments(site),
    }


def minutes_path_arguments(site: Site) -> dict[str, dict]:
    """The minutes out for comments for most pages; draft minutes to send, approved ones to publish."""
    held = {"pk": site.past_meeting.pk}
    return {
        "minutes:detail": held,
        "minutes:start": {"pk": site.meeting.pk},
        "minutes:edit": held,
        "minutes:item-add": held,
        "minutes:item-edit": {**held, "item_pk": site.minutes_item.pk},
        "minutes:item-remove": {**held, "item_pk": site.aob_item.pk},
        "minutes:send": {"pk": site.draft_meeting.pk},
        "minutes:comment-add": held,
        "minutes:comment-settle": {**held, "comment_pk": site.minutes_comment.pk},
        "minutes:approve": held,
        "minutes:publish": {"pk": site.approved_meeting.pk},
        "minutes:versions": held,
        "minutes:diff": {**held, "a": 1, "b": site.minutes.version},
        "packs:status": {"pk": site.meeting.pk},
        "packs:status-json": {"pk": site.meeting.pk},
        "packs:pack-pdf": {"pk": site.meeting.pk},
        "packs:minutes-pdf": {"pk": site.past_meeting.pk},
    }


def tracker_path_arguments(site: Site) -> dict[str, dict]:
    plan = {"slug": site.plan.slug}
    return {
        "tracker:plan-dashboard": plan,
        "tracker:plan-import": plan,
        "tracker:administration-dashboard": {"pk": site.colleague.administration_id},
        "tracker:import-template": {"extension": "xlsx"},
        "public-plans:detail": plan,
    }


def round_path_arguments(site: Site) -> dict[str, dict]:
    plan = {"slug": site.plan.slug}
    reporting_round = {"pk": site.reporting_round.pk}
    return {
        "rounds:list": plan,
        "rounds:open": plan,
        "rounds:detail": reporting_round,
        "rounds:close": reporting_round,
        "rounds:compare": reporting_round,
        "rounds:follow-up": reporting_round,
        "rounds:no-change": {"pk": site.commitment.parts.get().pk},
    }


def commitment_path_arguments(site: Site) -> dict[str, dict]:
    plan = {"slug": site.plan.slug}
    edition = {**plan, "edition_pk": site.commitment.edition_id}
    commitment = {"pk": site.commitment.pk}
    part = {"pk": site.commitment.parts.get().pk}
    milestone, _created = Milestone.objects.get_or_create(
        commitment=site.commitment, defaults={"title_en": "Guide published"}
    )
    indicator, _created = Indicator.objects.get_or_create(
        commitment=site.commitment, defaults={"name_en": "Companies reached", "target": 500}
    )
    return {
        "coordination:milestone-edit": {"pk": milestone.pk},
        "coordination:indicator-edit": {"pk": indicator.pk},
        "coordination:plan-detail": plan,
        "coordination:plan-edit": plan,
        "coordination:edition-create": plan,
        "coordination:chapter-create": edition,
        "coordination:commitment-create": edition,
        "coordination:commitment-detail": commitment,
        "coordination:commitment-edit": commitment,
        "coordination:part-create": commitment,
        "coordination:milestone-create": commitment,
        "coordination:indicator-create": commitment,
        "coordination:part-edit": part,
        "coordination:part-remove": part,
        "coordination:update-create": part,
        "coordination:evidence-download": {"pk": site.evidence.pk},
    }


def _our_patterns(patterns, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else None
            found += _our_patterns(pattern.url_patterns, inner or pattern.namespace or namespace)
        elif pattern.name and pattern.lookup_str.startswith(OUR_APPS):
            found.append((f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern))
    return found


PAGES = sorted({name for name, _pattern in _our_patterns(get_resolver().url_patterns)})


def _url(site: Site, name: str) -> str:
    return reverse(name, kwargs=path_arguments(site).get(name, {}))


def _signed_in(client, site: Site):
    client.force_login(site.chair.user)
    return client


# --- Values a person (or a script) might send -------------------------------------------------

ODD_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "3.5",
    "99999999999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
    "1e309",
    "NaN",
    "inf",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "1999-12-31",
    "0001-01-01T00:10",
    "9999-12-31T23:59",
    "2026-13-45T25:61",
    "csv",
    "xlsx",
    "json",
    "\x00",
    "a\x00b",
    "%00",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "ünïcødé ✓ 🙂",
    "\u202eevil",
    "𝕏" * 300,
    "x" * 5000,
    "-name",
    "accepted",
    "declined",
    "federal",
    "chair",
    "up",
    "on",
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
ODD = st.one_of(
    st.sampled_from(ODD_VALUES),
    TEXT,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    DATES.map(str),
    DATES.map(lambda d: f"{d:%Y-%m-%d}T10:00"),
)
QUERY_KEYS = [
    "page",
    "sort",
    "q",
    "group",
    "role",
    "administration",
    "level",
    "entity",
    "start",
    "end",
    "_export",
    "a",
    "mode",
    "agenda_item",
    "document",
    "members-page",
    "history-page",
    "members-sort",
    "history-sort",
    "per_page",
    "next",
]


# --- Forms, as the pages show them ------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # the input type, "select" or "textarea"
    values: list[str] = field(default_factory=list)  # what is filled in, selected or checked
    options: list[str] = field(default_factory=list)  # what may be chosen


@dataclass
class PageForm:
    action: str
    fields: dict[str, FormField] = field(default_factory=dict)
    method: str = "post"


class FormParser(html.parser.HTMLParser):
    """The POST forms of a page, with their fields, options and current values."""

    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[PageForm] = []
        self.current: PageForm | None = None
        self.select: FormField | None = None
        self.textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "option" and self.select is not None:
            self.select.options.append(attrs.get("value", ""))
            if "selected" in attrs:
                self.select.values.append(attrs.get("value", ""))
            return
        if tag == "form":
            method = attrs.get("method", "get").lower()
            self.current = PageForm(action=attrs.get("action") or self.page_path, method=method)
            self.forms.append(self.current)
            return
        if self.current is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                if name not in self.current.fields:
                    self.current.fields[name] = FormField(name, "submit", [attrs.get("value", "")])
                return
            entry = self.current.fields.setdefault(name, FormField(name, kind))
            if kind in ("checkbox", "radio"):
                entry.options.append(attrs.get("value", "on"))
                if "checked" in attrs:
                    entry.values.append(attrs.get("value", "on"))
            else:
                entry.values = [attrs.get("value", "")]
        elif tag == "select":
            self.select = self.current.fields.setdefault(name, FormField(name, "select"))
        elif tag == "textarea":
            self.textarea = self.current.fields.setdefault(name, FormField(name, "textarea", [""]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.values = [self.textarea.values[0] + data]


def page_forms(html: str, page_path: str, method: str = "post") -> list[PageForm]:
    """The forms of a page that are sent with `method`."""
    parser = FormParser(page_path)
    parser.feed(html)
    return [form for form in parser.forms if form.method == method]


def filter_fields(client, path: str) -> dict[str, FormField]:
    """The fields of the page's own filter forms (sent with GET), if the page shows any."""
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}
    found = {}
    for form in page_forms(response.content.decode(), path, method="get"):
        found.update({name: f for name, f in form.fields.items() if f.kind != "submit"})
    return found


# Forms whose empty state is refused: a valid baseline, so that the fuzzed values reach the services.
def valid_values(site: Site) -> dict[str, dict[str, str]]:
    start = in_days(40)
    meeting = {
        "title_en": "Plenary on the action plan",
        "kind": Meeting.Kind.PLENARY,
        "starts_at": f"{start:%Y-%m-%d}T10:00",
        "ends_at": f"{start:%Y-%m-%d}T12:00",
        "format": Meeting.Format.ON_SITE,
        "location": "Rue de la Loi 16, Brussels",
        "status": Meeting.Status.SCHEDULED,
    }
    return {
        "meetings:create": meeting,
        "meetings:series-create": {**meeting, "pattern": "weekly", "count": "3"},
        "meetings:agenda": {"title_en": "Progress report", "kind": "discussion", "duration_minutes": "20"},
        "meetings:invitee-add": {"email": "guest@example.org", "name": "A guest", "language": "en"},
        "members:group-invite": {
            "email": "invitee@example.org",
            "name": "An invitee",
            "language": "en",
            "role": Role.MEMBER,
        },
        "members:public-link-add": {"link-title_en": "Report", "link-url": "https://example.org/report"},
        **minutes_valid_values(site),
    }


def minutes_valid_values(site: Site) -> dict[str, dict[str, str]]:
    deadline = timezone.localtime() + timedelta(days=10)
    return {
        "minutes:start": {"language": "en"},
        "minutes:edit": {"language": "en", "chair": str(site.chair.pk)},
        "minutes:item-add": {"title_en": "Any other business", "summary_en": "Dates."},
        # The item page as shown (its decision and action filled in) is valid: only the title changes.
        "minutes:item-edit": {"title_en": "Progress report"},
        "minutes:send": {"audience": "attendees", "deadline": f"{deadline:%Y-%m-%dT%H:%M}"},
        "minutes:comment-add": {"text": "Add the figures of 2025."},
        "minutes:comment-settle": {"decision": "accept", "reply": "Added."},
        "minutes:approve": {"how": "chair"},
    }


def _upload_strategy():
    csv_rows = st.lists(st.lists(ODD, max_size=4).map(lambda cells: ",".join(cells)), max_size=4)
    content = st.one_of(
        st.binary(max_size=200),
        st.just(PDF),
        csv_rows.map(lambda rows: ("email,name,language,role\n" + "\n".join(rows)).encode("utf-8")),
    )
    names = st.sampled_from(["file.pdf", "list.csv", "list.xlsx", "notes.txt", "x", "../../a.pdf", "é.docx"])
    return st.builds(lambda name, data: SimpleUploadedFile(name, data), names, content)


OMIT = object()

# The values that broke pages before, by kind of input: tried on every such field of every form.
NOTORIOUS = {
    "datetime-local": ["0001-01-01T00:10", "9999-12-31T23:59", "1999-12-31T23:59", "0001-01-01"],
    "date": ["0001-01-01", "9999-12-31", "1999-12-31", "0001-01-01T00:10"],
    "number": ["99999999999999999999999999", "-1", "0", "1e309"],
}
NOTORIOUS_ANYWHERE = ["99999999999999999999999999", "²", "\x00"]


def _field_strategy(form_field: FormField):
    """An odd value for the field, several values, or the field left out."""
    if form_field.kind == "file":
        fuzzed = _upload_strategy()
    else:
        choices = [st.just(value) for value in form_field.options if value]
        notorious = st.sampled_from(NOTORIOUS.get(form_field.kind, []) + NOTORIOUS_ANYWHERE)
        fuzzed = st.one_of(notorious, ODD, *choices)
    return st.one_of(fuzzed, st.lists(fuzzed, min_size=2, max_size=3), st.just(OMIT))


def _baseline_data(form: PageForm, baseline: dict[str, str]) -> dict:
    """The form as the page shows it (as a person would send it), with the valid values filled in."""
    data: dict = {}
    for name, form_field in form.fields.items():
        if name in baseline:
            data[name] = baseline[name]
        elif form_field.kind in ("checkbox", "radio", "select"):
            if form_field.values:
                data[name] = form_field.values
        elif form_field.kind not in ("file", "submit") or form_field.values:
            data[name] = form_field.values[0] if form_field.values else ""
    return data


@st.composite
def submissions(draw, form: PageForm, baseline: dict[str, str]) -> dict:
    """A valid submission with up to three fields changed for odd values, and maybe unknown fields:
    a few at a time, so that the odd values get past the other fields' checks."""
    data = _baseline_data(form, baseline)
    names = sorted(form.fields)
    chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) if names else []
    for name in chosen:
        value = draw(_field_strategy(form.fields[name]))
        if value is OMIT:
            data.pop(name, None)
        else:
            data[name] = value
    junk = draw(st.dictionaries(st.one_of(st.sampled_from(QUERY_KEYS), TEXT), ODD, max_size=2))
    return {**junk, **data}


def notorious_submissions(form: PageForm, baseline: dict[str, str]) -> list[dict]:
    """The valid submission with one field at a time set to each of its kind's notorious values."""
    data = _baseline_data(form, baseline)
    return [
        {**data, name: value}
        for name, form_field in sorted(form.fields.items())
        for value in NOTORIOUS.get(form_field.kind, [])
    ]


# --- What "nothing changed" means -------------------------------------------------------------

# Written on every request by the visit tracking, and on sign-in: not a change a form makes.
VOLATILE = {"last_seen_at", "previous_visit_at", "last_login"}


def snapshot() -> dict:
    """Every row of every model of our apps (and the users), by primary key."""
    rows = {}
    models = [m for label in ("members", "meetings", "coordination") for m in _models_of(label)]
    for model in models:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
        rows[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    return rows


def _models_of(label: str) -> list:
    try:
        return list(apps.get_app_config(label).get_models())
    except LookupError:
        return []


def refused(response) -> bool:
    """An error status, an error message for the next page, or a form shown again with errors."""
    if response.status_code >= 400:
        return True
    storage = getattr(response.wsgi_request, "_messages", None)
    if any(message.level >= message_levels.ERROR for message in getattr(storage, "_queued_messages", [])):
        return True
    contexts = response.context or []
    if not isinstance(contexts, list):
        contexts = [contexts]
    for context in contexts:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                return True
    return False


def _post_and_check(client, site: Site, path: str, data: dict) -> None:
    with transaction.atomic():
        _signed_in(client, site)
        before = snapshot()
        response = client.post(path, data)
        assert response.status_code < 500, (path, data)
        if refused(response):
            assert snapshot() == before, f"{path} refused {data!r} but changed the database"
        transaction.set_rollback(True)


# --- The tests --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_is_reached(site):
    """A new page with path arguments must say here how to fill them, or it would not be fuzzed."""
    known = path_arguments(site)
    missing = [
        name
        for name, pattern in _our_patterns(get_resolver().url_patterns)
        if pattern.pattern.converters and name not in known
    ]
    assert not missing, f"add these pages to path_arguments(): {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_query_strings_never_give_a_server_error(client, site, name):
    path = _url(site, name)
    _signed_in(client, site)
    filters = filter_fields(client, path)
    # Each of the page's filters with each notorious value of its kind, then arbitrary queries.
    for filter_name, filter_field in sorted(filters.items()):
        for value in NOTORIOUS.get(filter_field.kind, []) + NOTORIOUS_ANYWHERE:
            response = client.get(f"{path}?{urlencode({filter_name: value})}")
            assert response.status_code < 500, (filter_name, value)
    keys = st.sampled_from(QUERY_KEYS + sorted(filters))
    page_query = st.lists(st.tuples(st.one_of(keys, TEXT), ODD), max_size=6)

    @hypothesis_settings(fuzz, max_examples=QUERY_EXAMPLES)
    @given(query=page_query)
    @example(query=[("start", "0001-01-01"), ("end", "9999-12-31")])
    @example(query=[("per_page", "-1"), ("page", "0")])
    @example(query=[("page", "99999999999999999999"), ("sort", "\x00"), ("_export", "csv")])
    @example(query=[("q", "a\x00b"), ("group", "²"), ("administration", str(2**70))])
    def check(query):
        with transaction.atomic():
            response = client.get(f"{path}?{urlencode(query)}")
            assert response.status_code < 500, query
            transaction.set_rollback(True)

    check()


MINUTES_FORMS = {
    "minutes:detail": ["minutes:comment-add", "minutes:comment-settle"],
    "minutes:edit": ["minutes:edit"],
    "minutes:item-add": ["minutes:item-add"],
    "minutes:item-edit": ["minutes:item-edit"],
    "minutes:send": ["minutes:send"],
    "minutes:approve": ["minutes:approve"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(MINUTES_FORMS))
def test_the_minutes_forms_are_fuzzed_from_a_valid_baseline(client, site, page):
    """Each minutes form, as its page shows it with the valid values filled in, is accepted."""
    _signed_in(client, site)
    path = _url(site, page)
    response = client.get(path)
    assert response.status_code == 200, path
    baselines = valid_values(site)
    found = {}
    for form in page_forms(response.content.decode(), path):
        action = urlsplit(form.action).path or path
        found.setdefault(resolve(action).view_name, (action, form))
    for action_name in MINUTES_FORMS[page]:
        action, form = found[action_name]
        with transaction.atomic():
            response = client.post(action, _baseline_data(form, baselines.get(action_name, {})))
            assert response.status_code == 302 and not refused(response), (action_name, response.status_code)
            transaction.set_rollback(True)


# A form shown on several pages (the language switcher, the answer buttons) or once per row
# of a table is fuzzed once, from the first page that shows it.
FUZZED: set[tuple[str, frozenset]] = set()


def _forms_to_fuzz(client, site: Site, name: str) -> list[tuple[str, PageForm]]:
    path = _url(site, name)
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    found = []
    for form in page_forms(response.content.decode(), path):
        action = urlsplit(form.action).path or path
        try:
            match = resolve(action)
        except Resolver404:
            continue
        if not match._func_path.startswith(OUR_APPS):
            continue  # signing out, allauth's own forms
        action_name = match.view_name
        key = (action_name, frozenset(form.fields))
        if key in FUZZED:
            continue
        FUZZED.add(key)
        found.append((action_name, PageForm(action=action, fields=form.fields)))
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_forms_never_give_a_server_error_and_a_refusal_changes_nothing(client, site, name):
    _signed_in(client, site)
    baselines = valid_values(site)
    for action_name, form in _forms_to_fuzz(client, site, name):
        _fuzz_form(client, site, form, baselines.get(action_name, {}))


def _fuzz_form(client, site: Site, form: PageForm, baseline: dict) -> None:
    for data in notorious_submissions(form, baseline):
        _post_and_check(client, site, form.action, data)

    @fuzz
    @given(data=submissions(form, baseline))
    def check(data):
        _post_and_check(client, site, form.action, data)

    check()
