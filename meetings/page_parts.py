"""The meeting page's costly parts, rendered once per version of what they show and kept.

With 40 agenda items and 300 invitees, the agenda with its documents, the invitee table, the
chair's links to record anyone's answer and the history are most of the page's time, and the
same for every reader who sees them alike. They are kept per process (core.fragments) under a
key that names everything they are rendered from:

- the meeting's `updated_at` (its own fields: time, place, status);
- `validator(meeting)`, one query: the number and newest of its agenda items, documents and
  invitations and the newest history row of each kind (every change to them writes one, single
  saves and the services' bulk writes alike, answers included: an answer saves the invitation),
  the number and newest of its document files, its invited administrations, and the directory
  version (members.versions: names of people and administrations);
- the reader's language and time zone, whether they may download documents, and whether they
  manage the meeting (the answer links and the history are theirs only).

So the cache needs no invalidation: a change makes a new key, and what a reader is shown was
rendered from data read after the key's values. What differs per reader (their own answer,
the minutes' status, the actions they may take) stays outside, in meeting_detail.html.
"""

from django.db import connection
from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.fragments import FragmentCache
from meetings.agenda import agenda_with_clock, with_arranged_files
from meetings.invitees import invitee_overview
from meetings.models import AgendaItem, Document, DocumentFile, Invitation, Meeting
from meetings.templatetags.meeting_rows import PK_SLOT, answer_for_links
from members.history import Source, history_rows
from members.models import Member
from members.versions import directory_version_query

# About 130,000 characters for a 40-item, 300-invitee page (a manager's parts; a member's are
# smaller): some 200 such pages per process, most meetings far smaller.
parts_cache = FragmentCache(max_chars=24 * 1024 * 1024)


def _scalar(queryset, by: str, expression) -> Subquery:
    """`expression` aggregated over `queryset`, which is filtered on `by` = OuterRef("pk")."""
    rows = queryset.order_by().values(by).annotate(value=expression).values("value")
    return Subquery(rows[:1], output_field=IntegerField())


# The validator's query is the same for every meeting but its id: built by the ORM once per
# process, then run as SQL (building eight subqueries costs more than running them).
_UNSET_PK = -424242
_validator_sql: dict[str, tuple[str, tuple]] = {}


def _count_and(expression):
    """The number of rows and `expression` over them as one integer (ids stay far below 2**40):
    one pass over the rows instead of two."""
    return Count("pk") * Value(2**40) + expression


def _validator_query() -> QuerySet:
    outer = OuterRef("pk")
    values = {}
    for name, model in (("items", AgendaItem), ("documents", Document), ("invitations", Invitation)):
        # The number and newest: rows written without a history row (bulk inserts outside the
        # services) still change it.
        values[name] = _scalar(model.objects.filter(meeting_id=outer), "meeting_id", _count_and(Max("pk")))
        history = model.history.model.objects.filter(meeting_id=outer)
        values[f"{name}_history"] = _scalar(history, "meeting_id", Max("history_id"))
    files = DocumentFile.objects.filter(document__meeting_id=outer)
    values["files"] = _scalar(files, "document__meeting_id", _count_and(Max("pk")))
    administrations = Meeting.invited_administrations.through.objects.filter(meeting_id=outer)
    values["administrations"] = _scalar(administrations, "meeting_id", _count_and(Sum("administration_id")))
    values["directory"] = Subquery(directory_version_query(), output_field=IntegerField())
    names = {name: f"v_{name}" for name in values}
    return (
        Meeting.objects.filter(pk=_UNSET_PK)
        .order_by()
        .annotate(**{names[name]: value for name, value in values.items()})
        .values_list(*names.values())
    )


def validator(meeting: Meeting) -> tuple:
    """What changes whenever the kept parts would change (see the module), in one query."""
    compiled = _validator_sql.get(connection.vendor)
    if compiled is None:
        sql, params = _validator_query().query.sql_with_params()
        if params.count(_UNSET_PK) != 1:
            raise RuntimeError("The meeting page's validator query takes the meeting's id once.")
        compiled = _validator_sql[connection.vendor] = (sql, params)
    sql, params = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, [meeting.pk if value == _UNSET_PK else value for value in params])
        return tuple(cursor.fetchone() or ())


def _history_sources(meeting: Meeting) -> list[Source]:
    """What the meeting page's History shows: the meeting, its agenda, documents and invitations
    (with the answers recorded on them)."""
    return [
        Source(Meeting, Q(id=meeting.pk)),
        Source(AgendaItem, Q(meeting_id=meeting.pk)),
        Source(Document, Q(meeting_id=meeting.pk)),
        Source(Invitation, Q(meeting_id=meeting.pk), related=("member__user",)),
    ]


def _render(request, meeting: Meeting, language: str, *, may_download: bool, manager: bool) -> dict[str, str]:
    """The parts, from the database: the details every reader sees alike (time, place, organiser,
    series) and the description, agenda and documents, invitees, and for managers the answer
    links and the history."""
    items = AgendaItem.objects.select_related("presenter__user", "presenter_administration").prefetch_related(
        Prefetch("documents", queryset=Document.objects.prefetch_related("files"))
    )
    general = Document.objects.filter(meeting_id=meeting.pk, agenda_item__isnull=True).prefetch_related(
        "files"
    )
    meeting.agenda = list(items.filter(meeting_id=meeting.pk).order_by("position", "pk"))
    agenda, agenda_ends_at = agenda_with_clock(meeting, language)
    kinds = {value: str(label) for value, label in AgendaItem.Kind.choices}  # translated once, not per item
    for item in agenda:
        item.kind_label = kinds.get(item.kind, item.kind)
    invitees = invitee_overview(meeting)
    if meeting.organiser_id is not None:
        meeting.organiser = Member.objects.select_related("user", "administration").get(
            pk=meeting.organiser_id
        )
    context = {
        "meeting": meeting,
        "zone_name": str(timezone.get_current_timezone()),
        "may_download": may_download,
        "agenda": agenda,
        "agenda_ends_at": agenda_ends_at,
        "agenda_overruns": agenda_ends_at > meeting.ends_at,
        "general_documents": [with_arranged_files(document, language) for document in general],
        "invitee_groups": invitees.groups,
        "answers": [(label, invitees.answers.get(value, 0)) for value, label in Invitation.Rsvp.choices],
        "invited_count": invitees.count,
    }
    parts = {
        "details": render_to_string("meetings/_meeting_details.html", context, request),
        "description": render_to_string("meetings/_meeting_description.html", context, request),
        "agenda": render_to_string("meetings/_meeting_agenda.html", context, request),
        "invitees": render_to_string("meetings/_meeting_invitees.html", context, request),
    }
    if manager:
        if not meeting.is_cancelled:
            url = reverse("meetings:answer-for", args=[meeting.pk, PK_SLOT])
            parts["answer_for"] = answer_for_links(invitees.by_name, url)
        history = history_rows(_history_sources(meeting))
        parts["history"] = render_to_string("includes/history.html", {"history": history}, request)
    return parts


def page_parts(
    request, meeting: Meeting, language: str, *, may_download: bool, manager: bool
) -> dict[str, str]:
    """The meeting page's kept parts for this reader: "details", "description", "agenda",
    "invitees", and for managers "history" and (unless the meeting is cancelled) "answer_for"."""
    key = (
        meeting.pk,
        meeting.updated_at,
        validator(meeting),
        language,
        str(timezone.get_current_timezone()),
        may_download,
        manager,
    )
    parts = parts_cache.get(key)
    if parts is None:
        parts = _render(request, meeting, language, may_download=may_download, manager=manager)
        parts_cache.put(key, parts)
    return parts
