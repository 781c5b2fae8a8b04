"""Hostile text typed into any free-text field never runs in a page, an email or a calendar.

XSS payloads, template text, attribute breakers, header and iCalendar breakers (CR, LF, `Bcc:`,
`ATTENDEE:`, `END:VEVENT`) and very long strings are written through every text field of every
form the pages show (found as test_hostile_input finds them, so a new field is covered without
being listed here), as the chair, and the member answers, comments and names a substitute. Then
every page is read back as chair, member, observer and anonymous visitor; every email of the
outbox is built as it is sent (all headers, text and HTML parts, attachments); every calendar
file (meeting, feeds, invitations attached to emails) is parsed by icalendar, vobject and ical.js.

`pytest -s` prints what was tried and read; the minimums below keep the coverage from shrinking.
"""

import html.parser
import json
import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from urllib.parse import urlsplit

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404
from icalendar.parser import Contentline

from coordination.models import ActionPlan
from meetings.models import Meeting
from members.emails import build_email
from members.models import Administration, Membership
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.foundation.test_hostile_input import (  # noqa: F401  (site is a fixture)
    OUR_APPS,
    PAGES,
    PageForm,
    _baseline_data,
    _url,
    page_forms,
    refused,
    site,
    valid_values,
)
from tests.meetings.factories import PDF
from tests.meetings.helpers import ICALJS, icaljs_available, parse_calendar

Role = Membership.Role
EVIL = "evil@example.org"
MARK = "HOSTILE"

# --- The payloads -----------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "[x](javascript:alert(1))",
    "[y](JaVaScRiPt&#58;alert(1))",
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    '![i](x" onerror="alert(1))',
    "<iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "' \" ` onmouseover=alert(1) x='",
    '<div style="background:url(javascript:alert(1))">s</div>',
    "{{ 7*7 }} {% debug %} ${7*7}",
    "<details open ontoggle=alert(1)>",
    "\u202egnp.exe \u200b\u200d\ufeff",
]
BREAKERS = [
    "e\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:injected",
    "f ; , \\ \\n \\, \\;",
    "g\r\n\r\n<script>alert(1)</script>",
    # Last, so that they are in the short fields (titles, names) when the emails are sent.
    f"a\r\nBcc: {EVIL}",
    f"b\nBcc: {EVIL}",
    f"c\rTo: {EVIL}",
    f"d\r\nATTENDEE:mailto:{EVIL}",
]
LONG = "<b>" + "Ω" * 3000 + "</b>"
PAYLOADS = [*XSS, *BREAKERS, LONG]


def _chunks(payloads: list[str], size: int = 150) -> list[str]:
    """The payloads in values of at most about `size` characters (text fields are short)."""
    chunks, current = [], ""
    for payload in payloads:
        if current and len(current) + len(payload) > size:
            chunks.append(current)
            current = ""
        current = f"{current} {payload}" if current else f"{MARK} {payload}"
    return [*chunks, current]


# Short fields get one chunk per post; long ones (textareas) every payload at once. The last
# chunk is the breakers: what a meeting title or a name holds when the emails are sent.
CHUNKS = [*_chunks(XSS), *_chunks(BREAKERS[:3]), *_chunks(BREAKERS[3:])]
EVERYTHING = f"{MARK} " + "\n".join([*XSS, *BREAKERS])
TEXT_KINDS = {"text", "textarea", "url", "search"}


# --- Writing: every form with a text field, as the chair ----------------------------------------


@dataclass
class Coverage:
    fields: Counter = field(default_factory=Counter)  # (action, field) -> accepted posts
    refused: Counter = field(default_factory=Counter)  # (action, field) -> refused posts
    posts: int = 0
    forms: set = field(default_factory=set)
    not_reached: set = field(default_factory=set)
    why: dict = field(default_factory=dict)  # action -> what the refused form said
    sent: dict = field(default_factory=dict)  # what sends emails -> accepted

    def accepted(self, action, names):
        for name in names:
            self.fields[action, _field_family(name)] += 1


def _field_family(name: str) -> str:
    """title_fr and title_en are one field in four languages; decisions-1-text like decisions-0-text."""
    return re.sub(r"-\d+-", "-n-", re.sub(r"_(nl|fr|de|en)$", "", name))


def _text_fields(form: PageForm) -> list[str]:
    """The free-text fields, but for the empty extra rows of a formset (a new row needs its owner)."""
    return sorted(
        name
        for name, f in form.fields.items()
        if f.kind in TEXT_KINDS and name != "slug" and not (re.search(r"-\d+-", name) and not any(f.values))
    )


# The pages' paths, from the world's objects.
PATHS: dict[str, str] = {}

LATE = {"meetings:cancel"}  # written last: it ends the meeting the others write to


def _discover(client, world, pages) -> dict[str, tuple[str, PageForm]]:
    """The forms with text fields, once per (action, fields), as the signed-in user sees them."""
    found = {}
    for name in pages:
        path = PATHS[name]
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in page_forms(response.content.decode(), path):
            action = urlsplit(form.action).path or path
            try:
                match = resolve(action)
            except Resolver404:
                continue
            if not match._func_path.startswith(OUR_APPS) or not _text_fields(form):
                continue
            found.setdefault(
                f"{match.view_name} {sorted(form.fields)}", (match.view_name, action, form, path)
            )
    return found


def _extra_baseline(action_name: str, n: int) -> dict:
    """Valid values for fields the pages leave empty, unique per post where they must be."""
    baseline = {
        "coordination:plan-create": {"slug": f"hostile-plan-{n}"},
        "coordination:edition-create": {"label": f"Edition {n}", "starts_on": "2027-01-01"},
        "coordination:commitment-create": {"reference": f"9.{n}"},
        "coordination:indicator-create": {"target": "10"},
        "coordination:indicator-edit": {"target": "10"},
        "meetings:answer-web": {"answer": "delegated", "substitute_email": f"stand.in.{n}@example.org"},
        "meetings:answer-for": {"answer": "delegated", "substitute_email": f"stand.in.{n}@example.org"},
        "meetings:answer": {"answer": "delegated", "substitute_email": f"stand.in.{n}@example.org"},
        "meetings:invitee-add": {"email": f"guest.{n}@example.org", "language": "en"},
        "members:group-invite": {"email": f"invitee.{n}@example.org", "language": "en", "role": Role.MEMBER},
        "members:public-link-add": {"link-url": "https://example.org/report"},
    }
    return baseline.get(action_name, {})


# Forms whose empty choices mean something (no substitute from the list: a name and address instead).
LEAVE_CHOICES = ("meetings:answer",)


def _hostile_data(form, action_name, world, n, names, short, long) -> dict:
    data = {
        **_baseline_data(form, valid_values(world).get(action_name, {})),
        **_extra_baseline(action_name, n),
    }
    for name, one in form.fields.items():
        # A choice the page leaves empty (an owner, a source) gets its first option: some are required.
        if (
            one.kind in ("select", "radio")
            and not data.get(name)
            and not action_name.startswith(LEAVE_CHOICES)
        ):
            data[name] = next((option for option in one.options if option), "")
        if one.kind == "select" and action_name == "members:public-link-add":
            data[name] = ""  # an address or a document, not both
    for name in names:
        kind = form.fields[name].kind
        data[name] = long if kind == "textarea" else short
        if kind == "url":
            data[name] = "javascript:alert(1)//" + short.replace(" ", "")[:100]
    if "file" in {f.kind for f in form.fields.values()} and action_name != "members:public-link-add":
        for name, f in form.fields.items():
            if f.kind == "file":
                data[name] = SimpleUploadedFile(f"{MARK}<img src=x onerror=alert(1)>.pdf", PDF)
    return data


def _error_fields(response) -> set[str] | None:
    """The (prefixed) names of the fields a refused form marks, or None if it says nothing of them."""
    names: set[str] = set()
    contexts = response.context or []
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for value in context.flatten().values():
            bound = [value] if isinstance(value, forms.BaseForm) else []
            bound += list(value) if isinstance(value, forms.BaseFormSet) else []
            for one in bound:
                if one.is_bound and one.errors:
                    if set(one.errors) - set(one.fields):
                        return None
                    names |= {one.add_prefix(name) for name in one.errors}
    return names or None


def _errors_text(response) -> str:
    contexts = response.context or []
    found = []
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                found.append(value.errors.as_text())
            if isinstance(value, forms.BaseFormSet) and value.is_bound and value.total_error_count():
                found.append(str(value.errors) + str(value.non_form_errors()))
    storage = getattr(response.wsgi_request, "_messages", None)
    found += [str(m) for m in getattr(storage, "_queued_messages", [])]
    return f"{response.status_code} {' '.join(found)[:300]}"


def _post(client, coverage: Coverage, action: str, data: dict):
    response = client.post(action, data)
    coverage.posts += 1
    assert response.status_code < 500, (action, data)
    return response


def _fresh(client, form: PageForm, action: str, page: str) -> PageForm | None:
    """The form as its page shows it now (a version number, a row that changed), if it still does."""
    for again in page_forms(client.get(page).content.decode(), page):
        if (urlsplit(again.action).path or page) == action and set(again.fields) == set(form.fields):
            return again
    return None


def _write(client, world, coverage: Coverage, found: tuple, n: int):
    action_name, action, form, page = found
    names = _text_fields(form)
    # The long value first: the last post leaves every payload in the long fields, the breakers in the short.
    values = [(CHUNKS[-1], LONG)] + [(chunk, EVERYTHING) for chunk in CHUNKS]
    for i, (short, long) in enumerate(values):
        hostile, retried = list(names), False
        while hostile:
            data = _hostile_data(form, action_name, world, n * 100 + i, hostile, short, long)
            response = _post(client, coverage, action, data)
            if not refused(response):
                coverage.accepted(action_name, hostile)
                coverage.forms.add(action_name)
                break
            # The fields that refuse this text (a URL, a length) get their valid value back.
            marked = _error_fields(response)
            if marked is None or not marked & set(hostile):
                # The whole form refused: once more as its page shows it now.
                again = None if retried else _fresh(client, form, action, page)
                if again is None:
                    coverage.refused[action_name, "(form)"] += 1
                    coverage.why[action_name] = _errors_text(response)
                    break
                form, retried = again, True
                continue
            retried = False
            for name in marked & set(hostile):
                coverage.refused[action_name, _field_family(name)] += 1
            hostile = [name for name in hostile if name not in marked]
    if action_name not in coverage.forms:
        coverage.not_reached.add(action_name)


def _write_everything(client, world, coverage: Coverage):
    client.force_login(world.chair.user)
    found = _discover(client, world, PAGES)
    late = []
    for n, one in enumerate(found.values()):
        if one[0] in LATE:
            late.append((n, one))
        else:
            _write(client, world, coverage, one, n)
    # The member names themselves, answers, comments a substitute, as the member.
    client.force_login(world.colleague.user)
    member_forms = _discover(client, world, ["members:profile", "meetings:answer-web", "minutes:detail"])
    for n, one in enumerate(member_forms.values(), start=len(found)):
        _write(client, world, coverage, one, n)
    # The administrations' names are edited in the admin only.
    for administration in Administration.objects.all():
        for language in ("nl", "fr", "de", "en"):
            setattr(administration, f"name_{language}", CHUNKS[-1])
        administration.save()
        coverage.fields["admin:administration", "name"] += 1
    _send_everything(client, world, coverage)
    client.force_login(world.chair.user)
    for n, one in late:
        _write(client, world, coverage, one, n)


def _post_page_form(client, world, page: str, action_name: str, extra: dict | None = None) -> bool:
    """Send the form `action_name` of `page` as shown, with `extra`; True if accepted."""
    path = PATHS[page]
    response = client.get(path)
    for form in page_forms(response.content.decode(), path) if response.status_code == 200 else []:
        action = urlsplit(form.action).path or path
        try:
            if resolve(action).view_name != action_name:
                continue
        except Resolver404:
            continue
        data = {**_baseline_data(form, valid_values(world).get(action_name, {})), **(extra or {})}
        response = client.post(action, data)
        assert response.status_code < 500, action
        return not refused(response)
    return False


def _send_everything(client, world, coverage: Coverage):
    """What sends emails, now that the text is hostile: circulation, reminders, the minutes."""
    client.force_login(world.chair.user)
    sent = {
        "circulate": _post_page_form(client, world, "meetings:circulate", "meetings:circulate"),
        "remind": _post_page_form(client, world, "meetings:answers", "meetings:answers-remind"),
        "minutes-send": _post_page_form(client, world, "minutes:send", "minutes:send"),
        "minutes-publish": _post_page_form(client, world, "minutes:publish", "minutes:publish"),
    }
    coverage.sent = sent


# --- Reading: pages -------------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcdoc",
    "data",
    "poster",
    "background",
}
SAFE_SCRIPT_TYPES = {"application/json", "application/ld+json"}
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


class HostileHtml(html.parser.HTMLParser):
    """What in a page would run: a script that is not ours, an on* attribute, a javascript: link."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name in URL_ATTRIBUTES:
                scheme = _CONTROL.sub("", value).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text", "data:application")):
                    self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name == "style" and "javascript:" in _CONTROL.sub("", value).lower():
                self.problems.append(f"<{tag} style={value[:60]!r}>")
        attributes = dict(attrs)
        if tag in ("iframe", "embed", "object", "base"):
            self.problems.append(f"<{tag} {attributes}>")
        if tag == "img" and attributes.get("src") == "x":
            self.problems.append(f"<img {attributes}>")
        if tag == "script" and (attributes.get("type") or "").lower() not in SAFE_SCRIPT_TYPES:
            self.script = ""
            if attributes.get("src") and not attributes["src"].startswith("/static/"):
                self.problems.append(f"<script src={attributes['src']!r}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self.script is not None:
            self.script += data

    def handle_endtag(self, tag):
        if tag == "script" and self.script is not None:
            if "alert(" in self.script or MARK in self.script:
                self.problems.append(f"<script>{self.script[:60]!r}")
            self.script = None


def html_problems(text: str) -> list[str]:
    parser = HostileHtml()
    parser.feed(text)
    parser.close()
    problems = parser.problems
    if "'csrf_token'" in text or "&#x27;csrf_token&#x27;" in text:
        problems.append("{% debug %} rendered")
    return problems


# --- Reading: calendar files ------------------------------------------------------------------


def calendar_problems(data: bytes, *, events: int | None = None) -> list[str]:
    """Two parsers agree, one line per property, no property or event from the text."""
    problems = []
    text = data.decode()
    ical, vcal = parse_calendar(data)
    lines = re.sub(r"\r\n[ \t]", "", text).split("\r\n")
    if lines[-1] == "":
        lines.pop()
    for line in lines:
        if "\r" in line or "\n" in line:
            problems.append(f"raw line break in {line[:80]!r}")
        try:
            name, _params, value = Contentline(line).parts()
        except ValueError:
            problems.append(f"not a property: {line[:80]!r}")
            continue
        if name.upper() in ("ATTENDEE", "ORGANIZER") and EVIL in value:
            problems.append(f"injected {line[:80]!r}")
        if name.upper() == "SUMMARY" and value.startswith("injected"):
            problems.append(f"injected {line[:80]!r}")
    parsed_events = ical.walk("VEVENT")
    begins = sum(line == "BEGIN:VEVENT" for line in lines)
    if not (begins == len(parsed_events) == sum(line == "END:VEVENT" for line in lines)):
        problems.append(f"{begins} BEGIN:VEVENT lines, {len(parsed_events)} events")
    if events is not None and len(parsed_events) != events:
        problems.append(f"{len(parsed_events)} events, {events} expected")
    vevents = [c for c in vcal.getChildren() if c.name == "VEVENT"]
    if len(vevents) != len(parsed_events):
        problems.append(f"vobject reads {len(vevents)} events, icalendar {len(parsed_events)}")
    attendee_lines = sum(line.upper().startswith("ATTENDEE") for line in lines)
    attendees = [a for event in parsed_events for a in _as_list(event.get("ATTENDEE"))]
    if attendee_lines != len(attendees) or any(EVIL in str(a) for a in attendees):
        problems.append(f"{attendee_lines} ATTENDEE lines, attendees {attendees}")
    return problems


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


ICALJS_MANY = """
import ICAL from "ical.js";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const read = JSON.parse(text).map((file) => {
  const calendar = new ICAL.Component(ICAL.parse(file));
  return calendar.getAllSubcomponents("vevent").map((component) => ({
    summary: component.getFirstPropertyValue("summary"),
    attendees: component.getAllProperties("attendee").map((attendee) => attendee.getFirstValue()),
  }));
});
process.stdout.write(JSON.stringify(read));
"""


def read_with_icaljs(files: list[bytes]) -> list[list[dict]]:
    """The events Mozilla's ical.js (Thunderbird's parser) reads in each file, in one node process."""
    result = subprocess.run(
        ["node", "--input-type=module", "-e", ICALJS_MANY],
        input=json.dumps([data.decode() for data in files]).encode(),
        capture_output=True,
        check=True,
        timeout=120,
        cwd=ICALJS,
    )
    return json.loads(result.stdout)


# --- Reading: emails --------------------------------------------------------------------------

ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender", "return-path"}
_HEADER_NAME = re.compile(r"^[!-9;-~]+:")


def email_problems(message: OutboundMessage, calendars: list) -> list[str]:
    """Headers with no line break but folding and no header from the text; parts checked."""
    problems = []
    raw = build_email(message).message().as_bytes()
    parsed = message_from_bytes(raw, policy=email_policy.default)
    calendar_parts = 0
    for part in parsed.walk():
        head = part.as_bytes().split(b"\n\n", 1)[0].decode("ascii", "replace") if part is parsed else ""
        for line in head.split("\n"):
            if "\r" in line.rstrip("\r"):
                problems.append(f"raw CR in header line {line[:80]!r}")
            if line and line[0] not in " \t" and not _HEADER_NAME.match(line):
                problems.append(f"not a header: {line[:80]!r}")
        for name, value in part.items():
            if "\r" in str(value) or "\n" in str(value):
                problems.append(f"line break in {name}: {str(value)[:80]!r}")
        names = Counter(name.lower() for name in part)
        single = names["to"] == names["subject"] == 1 and str(part["To"]).strip() == message.to_email
        if part is parsed and not single:
            problems.append(f"To/Subject headers {part.get_all('To')} {part.get_all('Subject')}")
        addresses = [str(value) for name, value in part.items() if name.lower() in ADDRESS_HEADERS]
        if names["bcc"] or names["cc"] or any(EVIL in value for value in addresses):
            problems.append(f"injected header in {addresses}")
        content_type = part.get_content_type()
        if part.is_multipart():
            continue
        if content_type == "text/html":
            problems += html_problems(part.get_content())
        elif content_type == "text/calendar" or (part.get_filename() or "").endswith(".ics"):
            calendar_parts += 1
    # The calendar parts as stored and sent (the parsed message has its line ends normalised).
    stored = [
        part["content"]
        for part in [*message.attachments, *message.alternatives]
        if part["mimetype"].startswith("text/calendar") or part.get("filename", "").endswith(".ics")
    ]
    if len(stored) != calendar_parts:
        problems.append(f"{calendar_parts} calendar parts in the email, {len(stored)} stored")
    for content in stored:
        data = content.encode() if isinstance(content, str) else content
        calendars.append(data)
        problems += calendar_problems(data, events=1)
    return problems


# --- The test ---------------------------------------------------------------------------------

READERS = ("chair", "member", "observer", "anonymous")

# Forms that take no hostile text in the state the site leaves them in.
NOT_REACHED_ALLOWED = {
    # Their choices (an owner group, a lead administration, an address or a document) are not
    # filled from the page as shown; their text fields are covered by the matching edit forms.
    "coordination:plan-create",
    "coordination:commitment-create",
    "members:public-link-add",
    # The agenda item's minutes as shown are refused (an action's owner administration is required).
    "minutes:item-edit",
    # Whoever the table shows as present cannot also be "represented by" a name: the names are
    # refused as a whole, never stored. (The name is covered by the services' tests.)
    "meetings:attendance",
}

MIN_FIELDS = 45
MIN_FORMS = 25
MIN_PAGES = 170
MIN_EMAILS = 100
MIN_CALENDARS = 100


@pytest.mark.django_db
def test_hostile_text_never_runs_in_pages_emails_or_calendars(client, site):  # noqa: F811 (the fixture)
    world = site
    observer = make_member(world.group, Role.OBSERVER, language="de")
    # The pages' paths before the writing adds objects (a second milestone) the arguments look up.
    PATHS.update({name: _url(world, name) for name in PAGES})
    coverage = Coverage()
    started = time.monotonic()
    _write_everything(client, world, coverage)

    written = time.monotonic()
    problems: list[str] = []
    pages_read = Counter()
    pages_with_text = 0
    calendars: list[bytes] = []
    users = {"chair": world.chair.user, "member": world.colleague.user, "observer": observer.user}
    extra = [
        reverse("meetings:detail", kwargs={"pk": pk}) for pk in Meeting.objects.values_list("pk", flat=True)
    ] + [
        reverse("coordination:plan-detail", kwargs={"slug": slug})
        for slug in ActionPlan.objects.values_list("slug", flat=True)
    ]
    for reader in READERS:
        if reader == "anonymous":
            client.logout()
        else:
            client.force_login(users[reader])
        paths = [PATHS[name] for name in PAGES] + (extra if reader == "chair" else [])
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, (reader, path)
            if response.status_code != 200 or response.streaming:
                continue
            kind = response.get("Content-Type", "")
            if "text/html" in kind:
                text = response.content.decode()
                pages_read[reader] += 1
                pages_with_text += MARK in text
                problems += [f"{reader} {path}: {p}" for p in html_problems(text)]
            elif "text/calendar" in kind:
                calendars.append(response.content)
                events = 1 if resolve(path).view_name == "meetings:meeting-ics" else None
                problems += [
                    f"{reader} {path}: {p}" for p in calendar_problems(response.content, events=events)
                ]

    pages_done = time.monotonic()
    emails = list(OutboundMessage.objects.order_by("pk"))
    email_calendars: list[bytes] = []
    for message in emails:
        problems += [
            f"email {message.kind} #{message.pk}: {p}" for p in email_problems(message, email_calendars)
        ]
    emails_with_text = sum(MARK in m.subject + m.body_text for m in emails)

    emails_done = time.monotonic()
    # Mozilla's ical.js (Thunderbird) reads the same events, with no attendee from the text.
    icaljs_files = 0
    if icaljs_available():
        files = sorted(set(calendars + email_calendars))
        for data, events in zip(files, read_with_icaljs(files), strict=True):
            icaljs_files += 1
            begins = re.sub(rb"\r\n[ \t]", b"", data).split(b"\r\n").count(b"BEGIN:VEVENT")
            attendees = [address for event in events for address in event["attendees"]]
            if len(events) != begins or any(EVIL in address for address in attendees):
                problems.append(f"ical.js reads {events}")
    calendars_with_text = sum(MARK.encode() in c for c in calendars + email_calendars)

    print(
        f"\n{written - started:.1f}s writing; reading {pages_done - written:.1f}s pages,"
        f" {emails_done - pages_done:.1f}s emails, {time.monotonic() - emails_done:.1f}s ical.js"
        f"\nhostile text: {len(PAYLOADS)} payloads in {len(CHUNKS)} short values and one long one,"
        f" {coverage.posts} posts; {len(coverage.fields)} fields of {len(coverage.forms)} forms took it"
        f" ({sum(coverage.fields.values())} accepted writes); refused by field: {dict(coverage.refused)}"
        f"\nsending: {coverage.sent}"
        f"\nread back: {dict(pages_read)} pages ({pages_with_text} showing the text),"
        f" {len(emails)} emails ({emails_with_text} with the text; {Counter(m.kind for m in emails)}),"
        f" {len(calendars)} calendar files from pages and {len(email_calendars)} from emails"
        f" ({calendars_with_text} with the text), {icaljs_files} also read by ical.js"
        f"\nfields: {sorted(coverage.fields)}\nnot reached: {coverage.not_reached} {coverage.why}"
    )
    assert not problems, "\n".join(problems[:40])
    assert coverage.not_reached <= NOT_REACHED_ALLOWED, (coverage.not_reached, coverage.why)
    assert all(coverage.sent.values()), coverage.sent
    assert len(coverage.fields) >= MIN_FIELDS and len(coverage.forms) >= MIN_FORMS
    assert sum(pages_read.values()) >= MIN_PAGES and pages_with_text >= MIN_PAGES / 2
    assert len(emails) >= MIN_EMAILS and emails_with_text >= MIN_EMAILS
    assert calendars_with_text >= MIN_CALENDARS and len(email_calendars) >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("breaker", [b for b in BREAKERS if "\r" in b or "\n" in b])
def test_a_line_break_in_a_group_name_never_reaches_its_calendar_feed(client, group, chair, breaker):
    """The group's name, as its public page form takes it, names the group's calendar feed."""
    for language in ("nl", "fr", "de", "en"):
        setattr(group, f"name_{language}", f"{MARK} {breaker}")
    group.save()

    response = client.get(reverse("meetings:group-feed", args=[group.slug, chair.feed_token]))

    assert response.status_code == 200
    assert (
        calendar_problems(b"".join(response.streaming_content if response.streaming else [response.content]))
        == []
    )
