"""Who changed what and when: the rows django-simple-history keeps for the tracked models
(`history = HistoricalRecords()` on meetings, agenda items, documents, invitations, memberships,
minutes and commitments), made readable for a page, a member's data download and anonymising.

Reads only: nothing here writes history except `forget_member_in_history`, which blanks personal
text when a member is anonymised. The history of a page takes two queries per kind of object
(the latest rows with the id of the row before each, then those earlier rows) and one per kind
of related object named in a change, whatever the number of rows.

simple-history listens to save() and delete(): QuerySet.update(), bulk_create() and bulk_update()
leave no history row. The services write several rows at once with `create_recorded` /
`update_recorded` (simple-history's bulk writers with the author and a reason), and, where the change was not asked for as such (renumbering, a moved meeting), a reason marked
with gettext_noop, shown translated with the change. The few `.update()` left on tracked models
write unlabelled bookkeeping only (a reminder's timestamp, the sequence an invitee was sent),
which the page never shows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import F, Q, Window
from django.db.models.functions import Lag
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import registered_models
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

from core.i18n import localized, localized_html
from members.models import Member

LATEST = 50

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}

# Personal text in history rows about a member, blanked when they are anonymised (the live rows
# are blanked by their own apps); "email" becomes the placeholder address.
PERSONAL_FIELDS = ("email", "name", "rsvp_comment", "comment", "phone", "job_title")


@dataclass(frozen=True)
class Source:
    """One kind of tracked object shown on a page: its model, which of its rows belong to the page,
    and the relations to load with each history row (for its label)."""

    model: type[models.Model]
    rows: Q
    related: tuple[str, ...] = ()


@dataclass
class Change:
    label: str
    old: Any
    new: Any


@dataclass
class HistoryRow:
    when: datetime
    who: str
    action: str
    kind: str
    subject: SafeString
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


def recorded_by(member: Member | None):
    """The user to record as the author of a bulk write by `member`; None lets simple-history take
    the request's user (HistoryRequestMiddleware), as save() does."""
    return member.user if member is not None else None


def create_recorded(objects: list, *, by: Member | None, reason: str = "") -> list:
    """Insert `objects` (all of one model) in bulk with their history rows, `by` as the author and
    `reason` as the change reason. Returns the saved objects; nothing is written for none."""
    if not objects:
        return []
    return bulk_create_with_history(
        objects, type(objects[0]), default_user=recorded_by(by), default_change_reason=reason or None
    )


def update_recorded(objects: list, fields: list[str], *, by: Member | None, reason: str = "") -> None:
    """Save `fields` of `objects` (all of one model) in one bulk UPDATE with their history rows,
    `by` as the author and `reason` as the change reason (an object's own `_change_reason`
    wins). Nothing is written for no objects."""
    if objects:
        bulk_update_with_history(
            objects,
            type(objects[0]),
            fields,
            default_user=recorded_by(by),
            default_change_reason=reason or None,
        )


def history_rows(sources: list[Source], *, limit: int = LATEST) -> list[HistoryRow]:
    """The latest `limit` changes to the objects of `sources`, newest first, each with who made it,
    when, and every labelled field that changed (from what to what)."""
    pairs = []
    for source in sources:
        pairs.extend(_records_with_previous(_history_model(source.model), source, limit))
    pairs.sort(key=lambda pair: (pair[0].history_date, pair[0].history_id), reverse=True)
    rows = []
    changes = [(record, previous, _changed_fields(record, previous)) for record, previous in pairs]
    labels = _related_labels(changes)
    for record, previous, fields in changes:
        if record.history_type == "~" and previous is not None and not fields:
            continue  # only bookkeeping changed (a reminder sent, a revision number)
        # A change with no row before it (an object made before the history began) shows who
        # and when, not from what.
        rows.append(
            HistoryRow(
                when=record.history_date,
                who=_author(record),
                action=ACTIONS.get(record.history_type, record.history_type),
                kind=record.instance_type._meta.verbose_name,
                subject=_subject(record),
                changes=[_change(f, previous, record, labels) for f in fields],
                reason=_reason(record),
            )
        )
        if len(rows) == limit:
            break
    return rows


def history_about(member: Member) -> list[dict]:
    """Every history row of a tracked object about `member` (their memberships, their invitations
    and answers), oldest first, as plain values for their data download."""
    pairs = []
    for history_model in _histories_about_members():
        source = Source(model=history_model.instance_type, rows=Q(member=member))
        pairs.extend(_records_with_previous(history_model, source, limit=None))
    pairs.sort(key=lambda pair: (pair[0].history_date, pair[0].history_id))
    changes = [(record, previous, _changed_fields(record, previous)) for record, previous in pairs]
    labels = _related_labels(changes)
    return [
        {
            "when": record.history_date.isoformat(),
            "by": _author(record),
            "what": str(record.instance_type._meta.verbose_name),
            "action": str(ACTIONS.get(record.history_type, record.history_type)),
            "changes": [
                {"field": str(change.label), "from": _plain(change.old), "to": _plain(change.new)}
                for change in (_change(f, previous, record, labels) for f in fields)
            ],
        }
        for record, previous, fields in changes
    ]


def forget_member_in_history(*, member: Member, old_email: str, placeholder: str) -> int:
    """Blank the personal text of history rows about `member` (and of guest rows under their old
    address). Rows they made keep pointing at their account, whose name is anonymised already.
    Returns the number of history rows changed."""
    changed = 0
    for history_model in _histories_about_members():
        names = {f.name for f in history_model._meta.fields}
        values = {name: (placeholder if name == "email" else "") for name in PERSONAL_FIELDS if name in names}
        if not values:
            continue
        about = Q(member=member)
        if "email" in names and old_email:
            about |= Q(member__isnull=True, email__iexact=old_email)
        changed += history_model.objects.filter(about).update(**values)
    return changed


# --- Reading the history tables ---------------------------------------------------------------


def _history_model(model: type[models.Model]) -> type[models.Model]:
    return model.history.model


def _histories_about_members() -> list[type[models.Model]]:
    """The history models of tracked objects that belong to one member (a `member` foreign key)."""
    found = []
    for tracked in registered_models.values():
        if not hasattr(tracked._meta, "simple_history_manager_attribute"):
            continue  # the through table of a tracked many-to-many field
        model = get_history_model_for_model(tracked)
        member_field = next((f for f in model._meta.fields if f.name == "member"), None)
        if member_field is not None and member_field.related_model is Member:
            found.append(model)
    return found


def _records_with_previous(history_model, source: Source, limit: int | None) -> list[tuple[Any, Any]]:
    """[(record, the record before it of the same object or None)], newest first, in two queries."""
    previous_id = Window(
        Lag("history_id"), partition_by=[F("id")], order_by=[F("history_date").asc(), F("history_id").asc()]
    )
    records = (
        history_model.objects.filter(source.rows)
        .annotate(previous_history_id=previous_id)
        .select_related("history_user", *source.related)
        .order_by("-history_date", "-history_id")
    )
    if limit is not None:
        records = records[:limit]
    records = list(records)
    wanted = {r.previous_history_id for r in records if r.previous_history_id is not None}
    earlier = history_model.objects.in_bulk(wanted) if wanted else {}
    return [(record, earlier.get(record.previous_history_id)) for record in records]


def _shown_fields(history_model) -> list[models.Field]:
    """Fields worth showing: those with a label of their own (others are bookkeeping), not set by
    the clock on every save, not the primary key."""
    kept = {f.attname for f in history_model._meta.fields}
    shown = []
    for f in history_model.instance_type._meta.concrete_fields:
        if (
            f.attname not in kept
            or f.primary_key
            or getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
        ):
            continue
        if f._verbose_name is None or isinstance(f, models.JSONField):  # no label given: bookkeeping
            continue
        shown.append(f)
    return shown


def _changed_fields(record, previous) -> list[models.Field]:
    """The fields a row changed; for a creation, the values it filled in (not its relations: the
    page and the row's subject say what it belongs to, and naming them would cost a query each).

    Not `diff_against`: it compares through model_to_dict, which skips fields that are not
    editable (a commitment's rolled-up status, completion and progress), and sorts by name."""
    if record.history_type == "+":
        return [
            f
            for f in _shown_fields(type(record))
            if not f.is_relation and getattr(record, f.attname) not in (None, "")
        ]
    if previous is None or record.history_type != "~":
        return []
    return [
        f for f in _shown_fields(type(record)) if getattr(record, f.attname) != getattr(previous, f.attname)
    ]


def _change(f: models.Field, previous, record, labels: dict) -> Change:
    return Change(
        label=f.verbose_name,
        old=_value(f, getattr(previous, f.attname), labels) if previous is not None else None,
        new=_value(f, getattr(record, f.attname), labels),
    )


def _value(f: models.Field, value: Any, labels: dict) -> Any:
    """A field's value as a reader understands it: the choice's label, the related object's name,
    yes or no, a shortened text; dates stay dates (the page formats them in the reader's zone)."""
    if value is None or value == "":
        return None
    if f.is_relation:
        return labels.get((f.related_model, value), f"#{value}")
    if f.choices:
        return dict(f.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        return Truncator(value).chars(200)
    return value


def _related_labels(changes: list[tuple[Any, Any, list[models.Field]]]) -> dict[tuple[type, Any], str]:
    """{(model, pk): its name} for the related objects named in `changes`: one query per model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for record, previous, fields in changes:
        for f in fields:
            if f.is_relation:
                wanted[f.related_model].add(getattr(record, f.attname))
                if previous is not None:
                    wanted[f.related_model].add(getattr(previous, f.attname))
    labels = {}
    for model, ids in wanted.items():
        ids.discard(None)
        queryset = model._default_manager.all()
        if model is Member:
            queryset = queryset.select_related("user")
        for pk, obj in queryset.in_bulk(ids).items():
            labels[(model, pk)] = _label(obj)
    return labels


def _label(obj: models.Model) -> str:
    """The name of a related object without further queries."""
    if isinstance(obj, Member):
        return obj.user.name
    translated = getattr(type(obj), "translated_fields", {})
    for name in ("title", "name"):
        if name in translated and localized(obj, name):
            return localized(obj, name)
    for name in ("acronym", "label", "reference", "number", "title", "name"):
        value = getattr(obj, name, "")
        if value and isinstance(value, str):
            return value
    return f"#{obj.pk}"


def _reason(record) -> str:
    """Why the change was made, when a service said so (stored in English, shown translated)."""
    reason = getattr(record, "history_change_reason", None) or ""
    return gettext(reason) if reason else ""


def _author(record) -> str:
    user = record.history_user
    return user.name if user is not None else ""


def _subject(record) -> SafeString:
    """Which object the row is about: its title, its member's name, its number."""
    translated = getattr(record.instance_type, "translated_fields", {})
    for name in ("title", "name", "text"):
        if name in translated and localized(record, name):
            return localized_html(record, name)
    for relation in ("member", "administration"):
        if _loaded(record, relation):
            related = getattr(record, relation)
            return conditional_escape(related.user.name if relation == "member" else related.acronym)
    for name in ("reference", "number", "title", "name", "email"):
        value = getattr(record, name, "")
        if value:
            return conditional_escape(value)
    return conditional_escape("")


def _loaded(record, relation: str) -> bool:
    return relation in getattr(record._state, "fields_cache", {}) and getattr(record, relation) is not None


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return str(value)
