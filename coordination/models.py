"""Commitments: action plans and their editions, commitments carried by one or more
administrations (each reporting its own part), progress updates with evidence, reporting
rounds with their frozen snapshots, and the log that makes each reminder go once.

Who owns what:

- An `ActionPlan` belongs to an owner group (members.Group); its `PlanEdition`s follow one
  another (2021–2024, then 2025–2028), each with its `Chapter`s.
- A `Commitment` belongs to an owner group too: the plan's, or, outside any plan (a political
  commitment, a decision of a meeting), the group that follows it up. `owner_group` is kept
  equal to `edition.plan.owner_group` by the services; visibility reads it without joins.
- Each owner administration has one `CommitmentPart` with its own status, completion level,
  progress, weight and focal points. The commitment's `status`, `completion` and `progress`
  are rolled up from its parts by `roll_up()` (see there for the rule) and stored, so that
  lists filter and sort on them in SQL; only `services.refresh_rollup` writes them.
- A `ProgressUpdate` is one dated report on a part. Updates are never edited or deleted:
  each keeps the values before and after, so the timeline shows what changed and when.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.translated import TranslatedField, any_language_filled
from meetings.models import ActionItem
from members.models import Administration, Group, Member, Membership


class Status(models.TextChoices):
    """Where a part (or, rolled up, a commitment) stands."""

    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DELAYED = "delayed", _("Delayed")
    DROPPED = "dropped", _("Dropped")


# Done and dropped commitments are closed: they are not carried over to a new edition,
# not reminded of, and never overdue.
CLOSED_STATUSES = frozenset({Status.DONE, Status.DROPPED})


class Completion(models.TextChoices):
    """The Open Government Partnership's completion scale, in its order."""

    NOT_STARTED = "not_started", _("Not started")
    LIMITED = "limited", _("Limited")
    SUBSTANTIAL = "substantial", _("Substantial")
    COMPLETED = "completed", _("Completed")


COMPLETION_ORDER = list(Completion.values)


@dataclass(frozen=True)
class RollUp:
    status: str
    completion: str
    progress: int


def roll_up(parts: Iterable[tuple[str, str, int, int]]) -> RollUp:
    """The commitment's values from its parts' (status, completion, progress, weight).

    Dropped parts do not count, unless every part is dropped. Among the others:
    - status: all done → done; any delayed → delayed; all planned → planned; else in progress;
    - completion: the least advanced part's level (a commitment is only as complete as its
      least complete part);
    - progress: the mean of the parts' progress weighted by their weight, rounded half up.
    No part at all: planned, not started, 0. Pure: also rolls up a round's snapshots.
    """
    parts = list(parts)
    if not parts:
        return RollUp(Status.PLANNED, Completion.NOT_STARTED, 0)
    active = [part for part in parts if part[0] != Status.DROPPED]
    counted = active or parts
    statuses = {part[0] for part in counted}
    if not active:
        status = Status.DROPPED
    elif statuses == {Status.DONE}:
        status = Status.DONE
    elif Status.DELAYED in statuses:
        status = Status.DELAYED
    elif statuses == {Status.PLANNED}:
        status = Status.PLANNED
    else:
        status = Status.IN_PROGRESS
    completion = min((part[1] for part in counted), key=COMPLETION_ORDER.index)
    total_weight = sum(part[3] for part in counted)
    if total_weight:
        mean = Decimal(sum(part[2] * part[3] for part in counted)) / total_weight
    else:  # weights are at least 1 in the database; a caller's zero weights count equally
        mean = Decimal(sum(part[2] for part in counted)) / len(counted)
    progress = int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return RollUp(status, completion, progress)


def _current_membership(member: Member, group_ref: str) -> models.QuerySet:
    return Membership.objects.current().filter(group=OuterRef(group_ref), member=member)


class ActionPlanQuerySet(models.QuerySet):
    def visible_to(self, member: Member) -> Self:
        """Plans of the member's current groups, and plans where they are a focal point of a part."""
        focal = CommitmentPart.objects.filter(commitment__edition__plan=OuterRef("pk"), focal_points=member)
        return self.filter(Exists(_current_membership(member, "owner_group")) | Exists(focal))

    def public(self) -> Self:
        return self.filter(is_public=True)


class ActionPlan(models.Model):
    """A structured set of commitments, e.g. the federal CSR Action Plan, updated in editions."""

    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    title = TranslatedField(models.CharField, _("title"), max_length=255)
    description = TranslatedField(models.TextField, _("description"))
    owner_group = models.ForeignKey(
        Group, verbose_name=_("owner group"), on_delete=models.PROTECT, related_name="action_plans"
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Anyone can read the plan's public commitments and their progress, without personal data."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ActionPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("title"), name="actionplan_has_a_title")
        ]

    def __str__(self) -> str:
        return self.title


class PlanEdition(models.Model):
    """One period of a plan ("2021–2024"); a new edition carries the open commitments over."""

    plan = models.ForeignKey(
        ActionPlan, verbose_name=_("action plan"), on_delete=models.CASCADE, related_name="editions"
    )
    label = models.CharField(_("label"), max_length=100, help_text=_("For example 2021–2024."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    predecessor = models.OneToOneField(
        "self",
        verbose_name=_("previous edition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        ordering = ["plan_id", "-starts_on", "-pk"]
        get_latest_by = "starts_on"
        constraints = [
            models.UniqueConstraint(fields=["plan", "label"], name="planedition_unique_label"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="planedition_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.label}"


class Chapter(models.Model):
    """A chapter or theme of an edition, e.g. "2. Human rights in public procurement"."""

    edition = models.ForeignKey(
        PlanEdition, verbose_name=_("edition"), on_delete=models.CASCADE, related_name="chapters"
    )
    code = models.CharField(_("number"), max_length=20, blank=True)
    title = TranslatedField(models.CharField, _("title"), max_length=255)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["edition_id", "position", "code", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("title"), name="chapter_has_a_title"),
            models.UniqueConstraint(
                fields=["edition", "code"], condition=~Q(code=""), name="chapter_unique_code_per_edition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()


class CommitmentQuerySet(models.QuerySet):
    def visible_to(self, member: Member) -> Self:
        """Commitments of the member's current groups, and those where they are a focal point of a part."""
        # Exists(), not joins: annotations on the same queryset keep their counts.
        focal = CommitmentPart.objects.filter(commitment=OuterRef("pk"), focal_points=member)
        return self.filter(Exists(_current_membership(member, "owner_group")) | Exists(focal))

    def public(self) -> Self:
        """What the public page may show: public commitments of public plans."""
        return self.filter(is_public=True, edition__plan__is_public=True)

    def open(self) -> Self:
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, on=None) -> Self:
        """Open commitments whose due date has passed (today by default)."""
        return self.open().filter(due_date__lt=on or timezone.localdate())

    def with_list_data(self) -> Self:
        """Each commitment with its chapter, lead administration and `part_list` (each part with its
        administration), in a fixed number of queries: feeds the plan page and commitment tables."""
        parts = CommitmentPart.objects.select_related("administration").order_by("administration__acronym")
        return self.select_related("chapter", "lead_administration").prefetch_related(
            Prefetch("parts", queryset=parts, to_attr="part_list")
        )

    def with_detail_data(self) -> Self:
        """Everything commitment_detail.html reads, in a fixed number of queries.

        `part_list` (administration, focal points with user and administration, `update_list`
        newest first with author and evidence), `milestone_list`, `indicator_list`, and the plan,
        edition, chapter, lead administration and predecessor.
        """
        updates = (
            ProgressUpdate.objects.select_related("author__user", "round")
            .prefetch_related("evidence")
            .order_by("-created_at", "-pk")
        )
        focal_points = Member.objects.select_related("user", "administration")
        parts = (
            CommitmentPart.objects.select_related("administration")
            .prefetch_related(
                Prefetch("focal_points", queryset=focal_points, to_attr="focal_point_list"),
                Prefetch("updates", queryset=updates, to_attr="update_list"),
            )
            .order_by("administration__acronym")
        )
        return self.select_related(
            "owner_group", "edition__plan", "chapter", "lead_administration", "predecessor__edition"
        ).prefetch_related(
            Prefetch("parts", queryset=parts, to_attr="part_list"),
            Prefetch("milestones", queryset=Milestone.objects.all(), to_attr="milestone_list"),
            Prefetch("indicators", queryset=Indicator.objects.all(), to_attr="indicator_list"),
        )


class Commitment(models.Model):
    """An action of a plan, a political commitment or a decision of a meeting, carried by one
    or more administrations (its parts), with a roll-up of their status and progress."""

    Status = Status
    Completion = Completion

    class Source(models.TextChoices):
        ACTION_PLAN = "action_plan", _("Action plan")
        GOVERNMENT_AGREEMENT = "government_agreement", _("Government agreement")
        POLITICAL_COMMITMENT = "political_commitment", _("Political commitment")
        MEETING_DECISION = "meeting_decision", _("Decision of a meeting")

    owner_group = models.ForeignKey(
        Group, verbose_name=_("owner group"), on_delete=models.PROTECT, related_name="commitments"
    )
    edition = models.ForeignKey(
        PlanEdition,
        verbose_name=_("edition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
    )
    chapter = models.ForeignKey(
        Chapter,
        verbose_name=_("chapter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
    )
    reference = models.CharField(_("reference"), max_length=30, blank=True, help_text=_("For example 2.4."))
    position = models.PositiveIntegerField(_("position"), default=0)
    title = TranslatedField(models.CharField, _("title"), max_length=500)
    description = TranslatedField(models.TextField, _("description"))
    source = models.CharField(_("source"), max_length=30, choices=Source.choices, default=Source.ACTION_PLAN)
    source_reference = models.CharField(
        _("source reference"),
        max_length=255,
        blank=True,
        help_text=_("Where it was decided or written: a page, an article, a meeting and its date."),
    )
    action_item = models.OneToOneField(
        ActionItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitment",
        verbose_name=_("action item of the minutes"),
        help_text=_("Set when the commitment comes from approved minutes."),
    )
    lead_administration = models.ForeignKey(
        Administration,
        verbose_name=_("lead administration"),
        on_delete=models.PROTECT,
        related_name="led_commitments",
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
    )
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Shown on the public page when the plan is public.")
    )
    # Rolled up from the parts by services.refresh_rollup (coordination.models.roll_up).
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, editable=False
    )
    completion = models.CharField(
        _("completion"),
        max_length=20,
        choices=Completion.choices,
        default=Completion.NOT_STARTED,
        editable=False,
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, editable=False)
    created_by = models.ForeignKey(
        Member,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CommitmentQuerySet.as_manager()

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["edition_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("title"), name="commitment_has_a_title"),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(due_date__gte=F("start_date")),
                name="commitment_due_after_start",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="commitment_progress_at_most_100"),
            models.UniqueConstraint(
                fields=["edition", "reference"],
                condition=Q(edition__isnull=False) & ~Q(reference=""),
                name="commitment_unique_reference_per_edition",
            ),
            models.UniqueConstraint(
                fields=["owner_group", "reference"],
                condition=Q(edition__isnull=True) & ~Q(reference=""),
                name="commitment_unique_reference_outside_plans",
            ),
            # Carrying an edition's commitments over twice must not duplicate them.
            models.UniqueConstraint(
                fields=["edition", "predecessor"],
                condition=Q(predecessor__isnull=False),
                name="commitment_carried_over_once_per_edition",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="commitment_status_due")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()


class CommitmentPart(models.Model):
    """One owner administration's share of a commitment, reported by its focal points."""

    Status = Status
    Completion = Completion

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="parts"
    )
    administration = models.ForeignKey(
        Administration,
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        related_name="commitment_parts",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    completion = models.CharField(
        _("completion"), max_length=20, choices=Completion.choices, default=Completion.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, help_text=_("How much this part counts in the commitment's progress.")
    )
    focal_points = models.ManyToManyField(
        Member, verbose_name=_("focal points"), blank=True, related_name="commitment_parts"
    )
    last_update_at = models.DateTimeField(_("last update"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["commitment_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "administration"], name="one_part_per_administration"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="part_progress_at_most_100"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=1000), name="part_weight_1_to_1000"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment} – {self.administration.acronym}"


class Milestone(models.Model):
    """A dated step of a commitment, optionally of one part."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="milestones"
    )
    part = models.ForeignKey(
        CommitmentPart,
        verbose_name=_("part"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="milestones",
    )
    title = TranslatedField(models.CharField, _("title"), max_length=255)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["commitment_id", "due_date", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("title"), name="milestone_has_a_title")
        ]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    """A measure of a commitment's result: baseline, target and the value reached so far."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="indicators"
    )
    name = TranslatedField(models.CharField, _("name"), max_length=255)
    unit = models.CharField(
        _("unit"), max_length=50, blank=True, help_text=_("For example %, companies, EUR.")
    )
    baseline = models.DecimalField(_("baseline"), max_digits=18, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4, null=True, blank=True)
    current_value = models.DecimalField(
        _("current value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    measured_on = models.DateField(_("measured on"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["commitment_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("name"), name="indicator_has_a_name")
        ]

    def __str__(self) -> str:
        return self.name


class ReportingRoundQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.filter(closed_at__isnull=True)


class ReportingRound(models.Model):
    """The chair asks every owner administration of an edition's commitments to report by a date."""

    edition = models.ForeignKey(
        PlanEdition, verbose_name=_("edition"), on_delete=models.PROTECT, related_name="reporting_rounds"
    )
    label = models.CharField(_("label"), max_length=100, blank=True, help_text=_("For example Spring 2026."))
    deadline = models.DateField(_("deadline"))
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind (days before the deadline)"), null=True, blank=True, default=7
    )
    note = models.TextField(_("note to the focal points"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        Member,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        Member,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReportingRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")
        ordering = ["edition_id", "-opened_at", "-pk"]
        get_latest_by = "opened_at"
        constraints = [
            models.UniqueConstraint(
                fields=["edition"], condition=Q(closed_at__isnull=True), name="one_open_round_per_edition"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="round_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition} – {self.label or self.deadline.isoformat()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ProgressUpdate(models.Model):
    """One dated report on a part: a text, and the part's values before and after it.

    Never edited or deleted (the part's current values are the last update's); a "no change"
    report keeps the values and says so."""

    Status = Status
    Completion = Completion

    part = models.ForeignKey(
        CommitmentPart, verbose_name=_("part"), on_delete=models.PROTECT, related_name="updates"
    )
    round = models.ForeignKey(
        ReportingRound,
        verbose_name=_("reporting round"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="updates",
    )
    author = models.ForeignKey(
        Member, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    text = models.TextField(_("what happened"), blank=True)
    language = models.CharField(
        _("language of the text"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    no_change = models.BooleanField(_("no change"), default=False)
    previous_status = models.CharField(_("previous status"), max_length=20, choices=Status.choices)
    previous_completion = models.CharField(
        _("previous completion"), max_length=20, choices=Completion.choices
    )
    previous_progress = models.PositiveSmallIntegerField(_("previous progress (%)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    completion = models.CharField(_("completion"), max_length=20, choices=Completion.choices)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["part_id", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100) & Q(previous_progress__lte=100),
                name="update_progress_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(no_change=False)
                | Q(
                    status=F("previous_status"),
                    completion=F("previous_completion"),
                    progress=F("previous_progress"),
                ),
                name="update_no_change_keeps_values",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part} – {self.created_at:%Y-%m-%d}"

    @property
    def changed_status(self) -> bool:
        return self.status != self.previous_status

    @property
    def changed_completion(self) -> bool:
        return self.completion != self.previous_completion

    @property
    def changed_progress(self) -> bool:
        return self.progress != self.previous_progress


def evidence_path(instance: "Evidence", filename: str) -> str:
    # The stored name is ours; the original name is kept in a field and used for downloads.
    return f"commitments/{instance.update.part.commitment_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """A link or an uploaded document (checked by content) that backs a progress update."""

    update = models.ForeignKey(
        ProgressUpdate, verbose_name=_("progress update"), on_delete=models.CASCADE, related_name="evidence"
    )
    title = models.CharField(_("title"), max_length=255, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("document"), upload_to=evidence_path, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = pgettext_lazy("plural", "evidence")
        ordering = ["update_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(~Q(url="") & Q(file="")) | (Q(url="") & ~Q(file="")),
                name="evidence_is_a_link_or_a_document",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.original_name or self.url

    @property
    def is_document(self) -> bool:
        return bool(self.file)


class RoundSnapshot(models.Model):
    """A part as it stood when its reporting round closed; never changed afterwards."""

    Status = Status
    Completion = Completion

    round = models.ForeignKey(
        ReportingRound, verbose_name=_("reporting round"), on_delete=models.CASCADE, related_name="snapshots"
    )
    part = models.ForeignKey(
        CommitmentPart, verbose_name=_("part"), on_delete=models.PROTECT, related_name="snapshots"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    completion = models.CharField(_("completion"), max_length=20, choices=Completion.choices)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    reported = models.BooleanField(_("reported in the round"), default=False)
    no_change = models.BooleanField(_("reported no change"), default=False)
    last_update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("last update"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_update_at = models.DateTimeField(_("last update at"), null=True, blank=True)

    class Meta:
        verbose_name = _("round snapshot")
        verbose_name_plural = _("round snapshots")
        ordering = ["round_id", "part_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "part"], name="one_snapshot_per_part_and_round"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="snapshot_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.round} – {self.part_id}"


class ReminderLog(models.Model):
    """One reminder sent (or claimed for sending): the unique constraints make each go once,
    however often the periodic job runs.

    Due-date reminders are per part, kind and due date (a moved due date is reminded again);
    round emails are per round, recipient and kind.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due date approaching")
        OVERDUE = "overdue", _("Due date passed")
        ROUND_OPENED = "round_opened", _("Reporting round opened")
        ROUND_REMINDER = "round_reminder", _("Reporting round deadline approaching")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    part = models.ForeignKey(
        CommitmentPart,
        verbose_name=_("part"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    round = models.ForeignKey(
        ReportingRound,
        verbose_name=_("reporting round"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("recipient"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=["due_soon", "overdue"],
                        part__isnull=False,
                        due_date__isnull=False,
                        round__isnull=True,
                    )
                    | Q(
                        kind__in=["round_opened", "round_reminder"], round__isnull=False, member__isnull=False
                    )
                ),
                name="reminder_names_what_it_is_about",
            ),
            models.UniqueConstraint(
                fields=["part", "kind", "due_date"],
                condition=Q(round__isnull=True),
                name="one_due_reminder_per_part",
            ),
            models.UniqueConstraint(
                fields=["round", "member", "kind"],
                condition=Q(round__isnull=False),
                name="one_round_email_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.sent_at:%Y-%m-%d}"
