"""Reporting rounds: the chair asks every owner administration of an edition to report by a date.

- `open_round` opens a round (at most one open per edition, enforced by the database) and sends
  each focal point one email, in their language, listing exactly the parts they must update.
- While a round is open, every progress update on the edition's parts is linked to it
  (services.record_progress); `report_no_change` is the one-click "nothing moved".
- `close_round` freezes one RoundSnapshot per part of the edition; nothing writes them again,
  so a closed round reads the same whatever is reported afterwards.
- `compare_rounds` sets two rounds side by side: what moved, what is late, who did not report.

Who may open and close: the plan's owner group's managers (coordination.access); the views check.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from coordination import services
from coordination.models import (
    CLOSED_STATUSES,
    COMPLETION_ORDER,
    ActionPlan,
    CommitmentPart,
    Completion,
    PlanEdition,
    ProgressUpdate,
    ReminderLog,
    ReportingRound,
    RoundSnapshot,
    Status,
)
from core.i18n import localized
from members.emails import render_email
from members.models import Administration, Member
from members.outbox import Kind
from members.services import queue_message

MAX_REMIND_DAYS = 60
# Names of the sendings on the sender's outbox pages, translated in the sender's language.
OPENED_TITLE = gettext_noop("Reporting round: %(plan)s, by %(deadline)s")
REMINDER_TITLE = gettext_noop("Reporting round reminder: %(plan)s, by %(deadline)s")


# --- Reading a round ---------------------------------------------------------------------------


def round_parts(round_: ReportingRound, *, focal_points: bool = True) -> QuerySet[CommitmentPart]:
    """The parts of the round's edition, each annotated with what it reported in the round:
    `round_updates` (count), `round_changes` (updates that were not "no change"),
    `reported_at` and `reported_by` (the last one's date and author's name), with commitment and
    administration loaded, and with `focal_points` their `focal_point_list`. Two queries (one
    without focal points), whatever the number of parts."""
    in_round = Q(updates__round=round_)
    parts = (
        CommitmentPart.objects.filter(commitment__edition_id=round_.edition_id)
        .select_related("commitment__chapter", "administration")
        .annotate(
            round_updates=Count("updates", filter=in_round),
            round_changes=Count("updates", filter=in_round & Q(updates__no_change=False)),
            reported_at=Max("updates__created_at", filter=in_round),
            reported_by=Subquery(
                ProgressUpdate.objects.filter(part=OuterRef("pk"), round=round_)
                .order_by("-created_at", "-pk")
                .values("author__user__name")[:1]
            ),
        )
        .order_by("administration__acronym", "commitment__position", "commitment__pk", "pk")
    )
    if focal_points:
        parts = parts.prefetch_related(focal_points_prefetch())
    return parts


def focal_points_prefetch() -> Prefetch:
    """Each part's focal points with their user, as `focal_point_list`."""
    members = Member.objects.select_related("user").order_by("user__name", "pk")
    return Prefetch("focal_points", queryset=members, to_attr="focal_point_list")


@dataclass
class AdministrationProgress:
    """One owner administration in a round: how many of its parts reported."""

    administration: Administration
    reported: int = 0
    no_change: int = 0
    missing: int = 0


def dashboard(
    round_: ReportingRound, commitments: QuerySet | None = None
) -> tuple[list[AdministrationProgress], QuerySet[CommitmentPart]]:
    """(administrations, parts) of the round, counted and filtered in the database.

    The parts to report (open, or reported in the round anyway), of `commitments` if given: each
    administration with its counts of parts reported, reported "no change" and not reported (two
    queries); and the parts as a queryset, annotated `reported`, `changed` (a report that was not
    "no change"), `reported_at` and `reported_by`, with commitment and administration, for the
    caller to filter and slice (ROUND_STATES) and load the focal points of (focal_points_prefetch).
    """
    in_round = ProgressUpdate.objects.filter(part=OuterRef("pk"), round=round_)
    reported, changed = Exists(in_round), Exists(in_round.filter(no_change=False))
    parts = CommitmentPart.objects.filter(commitment__edition_id=round_.edition_id).filter(
        ~Q(status__in=CLOSED_STATUSES) | Q(reported)
    )
    if commitments is not None:
        parts = parts.filter(commitment__in=commitments)
    counts = (
        parts.values("administration_id")
        .annotate(
            reported=Count("pk", filter=Q(reported) & Q(changed)),
            no_change=Count("pk", filter=Q(reported) & ~Q(changed)),
            missing=Count("pk", filter=~Q(reported)),
        )
        .order_by()
    )
    by_id = {row["administration_id"]: row for row in counts}
    administrations = [
        AdministrationProgress(
            administration,
            reported=by_id[administration.pk]["reported"],
            no_change=by_id[administration.pk]["no_change"],
            missing=by_id[administration.pk]["missing"],
        )
        for administration in Administration.objects.filter(pk__in=list(by_id)).order_by("acronym", "pk")
    ]
    last = in_round.order_by("-created_at", "-pk")
    rows = (
        parts.select_related("commitment", "administration")
        .annotate(
            reported=reported,
            changed=changed,
            reported_at=Subquery(last.values("created_at")[:1]),
            reported_by=Subquery(last.values("author__user__name")[:1]),
        )
        .order_by("administration__acronym", "commitment__position", "commitment__pk", "pk")
    )
    return administrations, rows


# Where a part stands in a round, as the dashboard filters on it (rows from `dashboard`).
ROUND_STATES = {
    "missing": Q(reported=False),
    "reported": Q(reported=True, changed=True),
    "no_change": Q(reported=True, changed=False),
}


def previous_round(round_: ReportingRound) -> ReportingRound | None:
    """The closed round of the same edition opened before this one, if any."""
    return (
        ReportingRound.objects.filter(edition_id=round_.edition_id, closed_at__isnull=False)
        .filter(Q(opened_at__lt=round_.opened_at) | Q(opened_at=round_.opened_at, pk__lt=round_.pk))
        .exclude(pk=round_.pk)
        .order_by("-opened_at", "-pk")
        .first()
    )


# --- Opening ---------------------------------------------------------------------------------


def _check_round_values(deadline: date | None, remind_days_before: int | None, *, today: date) -> None:
    errors = {}
    if deadline is None:
        errors["deadline"] = _("Say by when the administrations must report.")
    elif deadline < today:
        errors["deadline"] = _("The deadline cannot be in the past.")
    if remind_days_before is not None and not 0 <= remind_days_before <= MAX_REMIND_DAYS:
        errors["remind_days_before"] = _("Remind between 0 and %(max)d days before the deadline.") % {
            "max": MAX_REMIND_DAYS
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def open_round(
    *,
    edition: PlanEdition | None = None,
    plan: ActionPlan | None = None,
    deadline: date,
    by: Member | None,
    label: str = "",
    remind_days_before: int | None = 7,
    note: str = "",
) -> ReportingRound:
    """Open a reporting round on `edition` (or on `plan`'s latest edition) and queue one email
    per focal point listing the open parts they must update. At most one open round per edition."""
    if edition is None:
        if plan is None:
            raise ValueError("Open a round on an edition or a plan.")
        edition = plan.editions.order_by("-starts_on", "-pk").first()
        if edition is None:
            raise ValidationError(_("This plan has no edition yet: start one before opening a round."))
    _check_round_values(deadline, remind_days_before, today=timezone.localdate())
    # The edition's row is the lock: two chairs opening at once open one round.
    edition = PlanEdition.objects.select_for_update(of=("self",)).select_related("plan").get(pk=edition.pk)
    if ReportingRound.objects.open().filter(edition=edition).exists():
        raise ValidationError(_("A reporting round is already open for this edition; close it first."))
    try:
        with transaction.atomic():
            round_ = ReportingRound.objects.create(
                edition=edition,
                label=(label or "").strip()[:100],
                deadline=deadline,
                remind_days_before=remind_days_before,
                note=(note or "").strip(),
                opened_by=by,
            )
    except IntegrityError as error:  # the database's one_open_round_per_edition
        raise ValidationError(
            _("A reporting round is already open for this edition; close it first.")
        ) from error
    round_.edition = edition
    send_round_emails(round_, kind=ReminderLog.Kind.ROUND_OPENED, by=by)
    return round_


def focal_points_with_parts(parts: list[CommitmentPart]) -> list[tuple[Member, list[CommitmentPart]]]:
    """[(focal point, their parts)] for parts loaded with `focal_point_list`; active members only."""
    recipients: dict[int, tuple[Member, list[CommitmentPart]]] = {}
    for part in parts:
        for member in part.focal_point_list:
            if member.deactivated_at is None and member.user.is_active:
                recipients.setdefault(member.pk, (member, []))[1].append(part)
    return sorted(recipients.values(), key=lambda pair: pair[0].pk)


def claim_reminder(**fields) -> bool:
    """Record a reminder as sent; False when it already was (the unique constraints decide)."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def send_round_emails(round_: ReportingRound, *, kind: str, by: Member | None = None) -> int:
    """Queue the round's email of `kind` (opened, or the reminder) to each focal point of a part
    still to report, once per round, focal point and kind. Returns the number queued.

    Call inside a transaction: each claim and its outbox row commit together."""
    parts = [part for part in round_parts(round_) if part.status not in CLOSED_STATUSES]
    if kind == ReminderLog.Kind.ROUND_REMINDER:
        parts = [part for part in parts if not part.round_updates]
    sent = 0
    for member, own in focal_points_with_parts(parts):
        with transaction.atomic():
            if not claim_reminder(kind=kind, round=round_, member=member):
                continue
            _queue_round_email(round_, member, own, kind=kind, by=by)
        sent += 1
    return sent


def recipient_language(member: Member) -> str:
    return member.language or settings.LANGUAGE_CODE


def sender_title(text: str, values: dict, by: Member | None) -> str:
    """The sending's name on the sender's outbox pages, in the sender's language."""
    with translation.override(recipient_language(by) if by else settings.LANGUAGE_CODE):
        return _(text) % {key: value() if callable(value) else value for key, value in values.items()}


def part_links(parts: list[CommitmentPart]) -> list[dict]:
    """What an email lists for each part: the part, and the direct links to report and to read."""
    return [
        {
            "part": part,
            "commitment": part.commitment,
            "update_url": settings.SITE_URL + reverse("coordination:update-create", args=[part.pk]),
            "commitment_url": settings.SITE_URL
            + reverse("coordination:commitment-detail", args=[part.commitment_id]),
        }
        for part in parts
    ]


def _queue_round_email(
    round_: ReportingRound, member: Member, parts: list[CommitmentPart], *, kind: str, by: Member | None
) -> None:
    template = "round_opened" if kind == ReminderLog.Kind.ROUND_OPENED else "round_reminder"
    plan = round_.edition.plan
    context = {
        "member": member,
        "round": round_,
        "plan": plan,
        "edition": round_.edition,
        "parts": part_links(parts),
        "round_url": settings.SITE_URL + reverse("rounds:detail", args=[round_.pk]),
    }
    subject, text, html = render_email(
        f"coordination/email/{template}", context, language=recipient_language(member), tz=member.timezone
    )
    title = OPENED_TITLE if kind == ReminderLog.Kind.ROUND_OPENED else REMINDER_TITLE
    batch_title = sender_title(
        title,
        {
            "plan": lambda: localized(plan, "title"),
            "deadline": lambda: formats.date_format(round_.deadline, "DATE_FORMAT"),
        },
        by,
    )
    # The request to report cannot be turned off like reminders: it is how a round reaches its owners.
    queue_message(
        kind=Kind.REPORTING_REQUEST if kind == ReminderLog.Kind.ROUND_OPENED else Kind.COMMITMENT_REMINDER,
        to_email=member.user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        language=recipient_language(member),
        member=member,
        batch=f"round-{round_.pk}-{template.removeprefix('round_')}",
        batch_title=batch_title,
        created_by=by,
    )


# --- Reporting "no change" --------------------------------------------------------------------


def report_no_change(*, part: CommitmentPart, by: Member | None) -> ProgressUpdate:
    """The one-click report that nothing moved on the part (linked to the open round, if any)."""
    return services.record_progress(part=part, by=by, no_change=True)


# --- Closing ---------------------------------------------------------------------------------


@transaction.atomic
def close_round(*, round: ReportingRound, by: Member | None) -> ReportingRound:
    """Close the round and freeze one snapshot per part of its edition (values, weight, due date,
    whether and how it reported, its last update). Snapshots are never changed afterwards."""
    round_ = ReportingRound.objects.select_for_update().get(pk=round.pk)
    if not round_.is_open:
        raise ValidationError(_("This reporting round is already closed."))
    last_update = ProgressUpdate.objects.filter(part=OuterRef("pk")).order_by("-created_at", "-pk")
    parts = (
        CommitmentPart.objects.filter(commitment__edition_id=round_.edition_id)
        .annotate(
            round_updates=Count("updates", filter=Q(updates__round=round_)),
            round_changes=Count("updates", filter=Q(updates__round=round_, updates__no_change=False)),
            last_update_id=Subquery(last_update.values("pk")[:1]),
            last_at=Subquery(last_update.values("created_at")[:1]),
        )
        .values(
            "pk",
            "status",
            "completion",
            "progress",
            "weight",
            "commitment__due_date",
            "round_updates",
            "round_changes",
            "last_update_id",
            "last_at",
        )
        .order_by("pk")
    )
    RoundSnapshot.objects.bulk_create(
        [
            RoundSnapshot(
                round=round_,
                part_id=row["pk"],
                status=row["status"],
                completion=row["completion"],
                progress=row["progress"],
                weight=row["weight"],
                due_date=row["commitment__due_date"],
                reported=row["round_updates"] > 0,
                no_change=row["round_updates"] > 0 and row["round_changes"] == 0,
                last_update_id=row["last_update_id"],
                last_update_at=row["last_at"],
            )
            for row in parts
        ],
        batch_size=500,
    )
    round_.closed_at = max(timezone.now(), round_.opened_at)
    round_.closed_by = by
    round_.save(update_fields=["closed_at", "closed_by"])
    return round_


# --- Comparing ---------------------------------------------------------------------------------


@dataclass
class Standing:
    """A part's values at one moment: a round's snapshot, or now for an open round."""

    status: str
    completion: str
    progress: int
    reported: bool
    no_change: bool

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def completion_label(self) -> str:
        return Completion(self.completion).label


@dataclass
class ComparedPart:
    part: CommitmentPart
    before: Standing | None
    after: Standing
    due_date: date | None
    late: bool

    @property
    def moved(self) -> bool:
        if self.before is None:
            return False
        return (self.before.status, self.before.completion, self.before.progress) != (
            self.after.status,
            self.after.completion,
            self.after.progress,
        )

    @property
    def not_reported(self) -> bool:
        return not self.after.reported and self.after.status not in CLOSED_STATUSES

    @property
    def progress_change(self) -> int:
        return self.after.progress - (self.before.progress if self.before else 0)

    @property
    def advanced(self) -> bool:
        """Moved forward: more progress, or a higher completion level."""
        if self.before is None:
            return False
        return self.after.progress > self.before.progress or COMPLETION_ORDER.index(
            self.after.completion
        ) > COMPLETION_ORDER.index(self.before.completion)


@dataclass
class Comparison:
    previous: ReportingRound | None
    current: ReportingRound
    as_of: date
    rows: list[ComparedPart]

    @property
    def moved(self) -> list[ComparedPart]:
        return [row for row in self.rows if row.moved]

    @property
    def late(self) -> list[ComparedPart]:
        return [row for row in self.rows if row.late]

    @property
    def not_reported(self) -> list[ComparedPart]:
        return [row for row in self.rows if row.not_reported]


def _snapshots(round_: ReportingRound) -> dict[int, RoundSnapshot]:
    return {snapshot.part_id: snapshot for snapshot in RoundSnapshot.objects.filter(round=round_)}


def _standing(snapshot: RoundSnapshot) -> Standing:
    return Standing(
        snapshot.status, snapshot.completion, snapshot.progress, snapshot.reported, snapshot.no_change
    )


def compare_rounds(previous: ReportingRound | None, current: ReportingRound) -> Comparison:
    """Each part of the current round's edition, then (the previous round's snapshot) and now (the
    current round's snapshot, or today's values while it is open); `late` when, as of the current
    round's close (or today), its due date has passed and it is not done or dropped.
    A fixed number of queries (four, five with a previous round)."""
    if previous is not None and previous.edition_id != current.edition_id:
        raise ValueError("Rounds of different editions are not compared.")
    before = _snapshots(previous) if previous is not None else {}
    if current.is_open:
        as_of = timezone.localdate()
        parts = list(round_parts(current, focal_points=False))
        after = {
            part.pk: Standing(
                part.status,
                part.completion,
                part.progress,
                part.round_updates > 0,
                part.round_updates > 0 and part.round_changes == 0,
            )
            for part in parts
        }
        due = {part.pk: part.commitment.due_date for part in parts}
    else:
        as_of = timezone.localdate(current.closed_at)
        snapshots = _snapshots(current)
        parts = list(
            CommitmentPart.objects.filter(pk__in=list(snapshots))
            .select_related("commitment__chapter", "administration")
            .order_by("administration__acronym", "commitment__position", "commitment__pk", "pk")
        )
        after = {pk: _standing(snapshot) for pk, snapshot in snapshots.items()}
        due = {pk: snapshot.due_date for pk, snapshot in snapshots.items()}
    rows = []
    for part in parts:
        now = after[part.pk]
        due_date = due[part.pk]
        late = due_date is not None and due_date < as_of and now.status not in CLOSED_STATUSES
        then = before.get(part.pk)
        rows.append(ComparedPart(part, _standing(then) if then else None, now, due_date, late))
    return Comparison(previous=previous, current=current, as_of=as_of, rows=rows)


def open_round_deadline() -> Subquery:
    """For CommitmentPart: the deadline of its edition's open round (None without one)."""
    rounds = ReportingRound.objects.open().filter(edition_id=OuterRef("commitment__edition_id"))
    return Subquery(rounds.values("deadline")[:1])


def open_round_id() -> Subquery:
    """For CommitmentPart: the id of its edition's open round (None without one)."""
    rounds = ReportingRound.objects.open().filter(edition_id=OuterRef("commitment__edition_id"))
    return Subquery(rounds.values("pk")[:1])


def reported_in_open_round() -> Exists:
    """For CommitmentPart: whether it has an update linked to its edition's open round."""
    return Exists(
        ProgressUpdate.objects.filter(part=OuterRef("pk"), round__closed_at__isnull=True, round__isnull=False)
    )
