"""The writes on plans, commitments and their parts: one transaction each, ValidationError for rules.

Every function takes keyword arguments only. Texts in several languages are passed as a
mapping of column names to values, e.g. `texts={"title_en": "…", "title_fr": "…"}`; only the
columns of the model's translated fields are accepted (`core.translated.translated_names`).
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from coordination.models import (
    CLOSED_STATUSES,
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentPart,
    Completion,
    Evidence,
    Indicator,
    Milestone,
    PlanEdition,
    ProgressUpdate,
    ReportingRound,
    Status,
    roll_up,
)
from core import documents
from core.i18n import LANGUAGE_CODES, localized
from core.timezones import zone_or_default
from core.translated import translated_names
from meetings.models import ActionItem, Minutes
from members.history import update_recorded
from members.models import Administration, Group, Member

MAX_EVIDENCE_PER_UPDATE = 10


# --- Helpers -------------------------------------------------------------------------------


def _set_texts(obj, texts: Mapping[str, str], fields: Iterable[str], *, required: str | None = None) -> None:
    """Copy the language columns of `fields` from `texts` onto `obj`; `required` must be filled in
    one language at least."""
    allowed = set(translated_names(*fields))
    unknown = set(texts) - allowed
    if unknown:
        raise ValueError(f"Unknown text columns: {sorted(unknown)}")
    for name, value in texts.items():
        setattr(obj, name, (value or "").strip())
    if required and not any(getattr(obj, name) for name in translated_names(required)):
        raise ValidationError(
            {translated_names(required)[-1]: _("Fill in at least one language.")}, code="no_language"
        )


def _check_due_date(start_date: date | None, due_date: date | None) -> None:
    if start_date and due_date and due_date < start_date:
        raise ValidationError(
            {"due_date": _("The due date cannot be before the start date.")}, code="ends_before_start"
        )


def _check_progress(progress: int) -> None:
    if not 0 <= progress <= 100:
        raise ValidationError(
            {"progress": _("Progress is a percentage from 0 to 100.")}, code="progress_range"
        )


def _check_weight(weight: int) -> None:
    if not 1 <= weight <= 1000:
        raise ValidationError(
            {"weight": _("The weight is a whole number from 1 to 1000.")}, code="weight_range"
        )


def _check_focal_points(administration: Administration, members: Iterable[Member]) -> list[Member]:
    """Focal points are active members of the part's administration (or of one of its services)."""
    members = list(members)
    for member in members:
        admin = member.administration
        if admin is None or (admin.pk != administration.pk and admin.parent_id != administration.pk):
            raise ValidationError(
                {
                    "focal_points": _("%(name)s does not belong to %(administration)s.")
                    % {"name": member.user.name, "administration": administration.acronym}
                },
                code="focal_point_administration",
            )
    return members


# Why rows changed without being edited one by one (members.history shows them translated).
REASON_ROLLED_UP = gettext_noop("Rolled up from its parts.")
REASON_PLAN_OWNER = gettext_noop("The plan changed owner group.")


def refresh_rollup(commitment: Commitment, *, by: Member | None = None) -> Commitment:
    """Store the commitment's status, completion and progress rolled up from its parts (models.roll_up).

    A change is written with its history row (by `by`, else the request's user); when the roll-up
    stays the same only `updated_at` moves, which the history does not show."""
    rows = commitment.parts.values_list("status", "completion", "progress", "weight")
    result = roll_up(rows)
    now = timezone.now()
    current = (commitment.status, commitment.completion, commitment.progress)
    if current == (result.status, result.completion, result.progress):
        Commitment.objects.filter(pk=commitment.pk).update(updated_at=now)
        commitment.updated_at = now
        return commitment
    commitment.status, commitment.completion, commitment.progress = (
        result.status,
        result.completion,
        result.progress,
    )
    commitment.updated_at = now
    commitment._change_reason = REASON_ROLLED_UP
    update_recorded([commitment], ["status", "completion", "progress", "updated_at"], by=by)
    return commitment


# --- Plans, editions, chapters ---------------------------------------------------------------


@transaction.atomic
def create_plan(
    *,
    by: Member | None,
    owner_group: Group,
    texts: Mapping[str, str],
    slug: str = "",
    is_public: bool = False,
) -> ActionPlan:
    """A new action plan owned by `owner_group` (no edition yet)."""
    plan = ActionPlan(owner_group=owner_group, is_public=is_public)
    _set_texts(plan, texts, ["title", "description"], required="title")
    plan.slug = slugify(slug or plan.title)[:60].strip("-")
    if not plan.slug:
        raise ValidationError({"slug": _("Choose a short name made of letters, digits and hyphens.")})
    if ActionPlan.objects.filter(slug=plan.slug).exists():
        raise ValidationError({"slug": _("Another plan already uses this short name.")}, code="slug_taken")
    plan.save()
    return plan


@transaction.atomic
def update_plan(
    *,
    plan: ActionPlan,
    by: Member | None,
    texts: Mapping[str, str] | None = None,
    is_public: bool | None = None,
    owner_group: Group | None = None,
) -> ActionPlan:
    """Change the plan's texts, visibility or owner group (its commitments follow the owner group)."""
    plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if texts is not None:
        _set_texts(plan, texts, ["title", "description"], required="title")
    if is_public is not None:
        plan.is_public = is_public
    if owner_group is not None and owner_group.pk != plan.owner_group_id:
        plan.owner_group = owner_group
        followers = list(Commitment.objects.filter(edition__plan=plan))
        for commitment in followers:
            commitment.owner_group = owner_group
        update_recorded(followers, ["owner_group"], by=by, reason=REASON_PLAN_OWNER)
    plan.save()
    return plan


@transaction.atomic
def create_edition(
    *,
    plan: ActionPlan,
    by: Member | None,
    label: str,
    starts_on: date,
    ends_on: date | None = None,
    carry_over: bool = True,
) -> PlanEdition:
    """A new edition of the plan, following its latest one.

    With `carry_over`, the open commitments of the previous edition (not done, not dropped) are
    copied into the new one, each linked to its predecessor, with their chapters (matched by
    number), parts (current status, completion, progress, weight, focal points), open milestones
    and indicators. The previous edition keeps its commitments and history unchanged.
    """
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": _("Give the edition a label, for example 2025–2028.")})
    if ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end cannot be before the start.")}, code="ends_before_start")
    ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.editions.filter(label=label).exists():
        raise ValidationError({"label": _("This plan already has an edition with this label.")})
    previous = plan.editions.order_by("-starts_on", "-pk").first()
    if previous is not None and starts_on < previous.starts_on:
        raise ValidationError(
            {
                "starts_on": _("A new edition cannot start before the previous one (%(label)s).")
                % {"label": previous.label}
            }
        )
    edition = PlanEdition.objects.create(
        plan=plan, label=label, starts_on=starts_on, ends_on=ends_on, predecessor=previous
    )
    if previous is not None and carry_over:
        _carry_over(previous, edition, by=by)
    return edition


def _carry_over(previous: PlanEdition, edition: PlanEdition, *, by: Member | None) -> None:
    chapters = {}
    for chapter in previous.chapters.all():
        old_pk = chapter.pk
        chapter.pk = None
        chapter.edition = edition
        chapter.save()
        chapters[old_pk] = chapter
    commitments = (
        previous.commitments.exclude(status__in=CLOSED_STATUSES)
        .prefetch_related("parts__focal_points", "milestones", "indicators")
        .order_by("position", "pk")
    )
    for old in commitments:
        parts = list(old.parts.all())
        milestones = [m for m in old.milestones.all() if m.done_on is None]
        indicators = list(old.indicators.all())
        new = Commitment.objects.get(pk=old.pk)
        new.pk = None
        new.edition = edition
        new.chapter = chapters.get(old.chapter_id)
        new.predecessor = old
        new.created_by = by
        new.save()
        part_map = {}
        for part in parts:
            focal_points = list(part.focal_points.all())
            old_part_pk = part.pk
            part.pk = None
            part.commitment = new
            part.last_update_at = None
            part.save()
            part.focal_points.set(focal_points)
            part_map[old_part_pk] = part
        for milestone in milestones:
            milestone.pk = None
            milestone.commitment = new
            milestone.part = part_map.get(milestone.part_id)
            milestone.save()
        for indicator in indicators:
            indicator.pk = None
            indicator.commitment = new
            indicator.save()
        refresh_rollup(new, by=by)


@transaction.atomic
def create_chapter(
    *,
    edition: PlanEdition,
    by: Member | None,
    texts: Mapping[str, str],
    code: str = "",
    position: int | None = None,
) -> Chapter:
    chapter = Chapter(edition=edition, code=(code or "").strip())
    _set_texts(chapter, texts, ["title"], required="title")
    if chapter.code and edition.chapters.filter(code=chapter.code).exists():
        raise ValidationError({"code": _("This edition already has a chapter with this number.")})
    if position is None:
        position = (edition.chapters.aggregate(last=Max("position"))["last"] or 0) + 1
    chapter.position = position
    chapter.save()
    return chapter


# --- Commitments and parts -----------------------------------------------------------------------

COMMITMENT_TEXTS = ["title", "description"]


def _check_reference(commitment: Commitment) -> None:
    if not commitment.reference:
        return
    same = Commitment.objects.filter(reference=commitment.reference).exclude(pk=commitment.pk)
    if commitment.edition_id:
        same = same.filter(edition_id=commitment.edition_id)
    else:
        same = same.filter(edition__isnull=True, owner_group_id=commitment.owner_group_id)
    if same.exists():
        raise ValidationError(
            {"reference": _("Another commitment already has this reference.")}, code="reference_taken"
        )


def _check_chapter(commitment: Commitment) -> None:
    if commitment.chapter is not None and commitment.chapter.edition_id != commitment.edition_id:
        raise ValidationError({"chapter": _("This chapter belongs to another edition.")})


@transaction.atomic
def create_commitment(
    *,
    by: Member | None,
    texts: Mapping[str, str],
    lead_administration: Administration,
    edition: PlanEdition | None = None,
    owner_group: Group | None = None,
    chapter: Chapter | None = None,
    reference: str = "",
    source: str = Commitment.Source.ACTION_PLAN,
    source_reference: str = "",
    start_date: date | None = None,
    due_date: date | None = None,
    is_public: bool = True,
    administrations: Iterable[Administration] = (),
    focal_points: Mapping[int, Iterable[Member]] | None = None,
) -> Commitment:
    """A commitment with one part for its lead administration and one for each of `administrations`.

    In a plan, `edition` sets the owner group (the plan's); outside any plan, `owner_group` is
    required. `focal_points` maps an administration's id to the members who report its part.
    """
    if edition is not None:
        owner_group = edition.plan.owner_group
    if owner_group is None:
        raise ValueError("A commitment outside any plan needs an owner group.")
    commitment = Commitment(
        owner_group=owner_group,
        edition=edition,
        chapter=chapter,
        reference=(reference or "").strip(),
        source=source,
        source_reference=(source_reference or "").strip(),
        lead_administration=lead_administration,
        start_date=start_date,
        due_date=due_date,
        is_public=is_public,
        created_by=by,
    )
    _set_texts(commitment, texts, COMMITMENT_TEXTS, required="title")
    if source not in Commitment.Source.values:
        raise ValidationError({"source": _("Choose one of the sources.")})
    _check_due_date(start_date, due_date)
    _check_chapter(commitment)
    _check_reference(commitment)
    last = Commitment.objects.filter(edition=edition, owner_group=owner_group).aggregate(last=Max("position"))
    commitment.position = (last["last"] or 0) + 1
    commitment.save()
    owners = [lead_administration, *[a for a in administrations if a.pk != lead_administration.pk]]
    focal_points = focal_points or {}
    for administration in dict.fromkeys(owners):
        part = CommitmentPart.objects.create(commitment=commitment, administration=administration)
        points = _check_focal_points(administration, focal_points.get(administration.pk, ()))
        if points:
            part.focal_points.set(points)
    refresh_rollup(commitment, by=by)
    return commitment


EDITABLE_COMMITMENT_FIELDS = {
    "chapter",
    "reference",
    "source",
    "source_reference",
    "lead_administration",
    "start_date",
    "due_date",
    "is_public",
}


@transaction.atomic
def update_commitment(
    *, commitment: Commitment, by: Member | None, texts: Mapping[str, str] | None = None, **changes
) -> Commitment:
    """Change a commitment's texts and fields (those in EDITABLE_COMMITMENT_FIELDS).

    A new lead administration gets a part if it has none. Status and progress are not edited
    here: they come from the parts' updates.
    """
    unknown = set(changes) - EDITABLE_COMMITMENT_FIELDS
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    commitment = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("edition__plan")
        .get(pk=commitment.pk)
    )
    if texts is not None:
        _set_texts(commitment, texts, COMMITMENT_TEXTS, required="title")
    for name, value in changes.items():
        setattr(commitment, name, value.strip() if isinstance(value, str) else value)
    _check_due_date(commitment.start_date, commitment.due_date)
    _check_chapter(commitment)
    _check_reference(commitment)
    commitment.save()
    if "lead_administration" in changes:
        CommitmentPart.objects.get_or_create(
            commitment=commitment, administration=commitment.lead_administration
        )
        refresh_rollup(commitment, by=by)
    return commitment


@transaction.atomic
def add_part(
    *,
    commitment: Commitment,
    by: Member | None,
    administration: Administration,
    weight: int = 1,
    focal_points: Iterable[Member] = (),
) -> CommitmentPart:
    """A part for another owner administration; the commitment's roll-up counts it at once."""
    _check_weight(weight)
    # The locked row, fresh: its roll-up is compared and its history row written below.
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.parts.filter(administration=administration).exists():
        raise ValidationError(
            {
                "administration": _("%(administration)s already has a part in this commitment.")
                % {"administration": administration.acronym}
            },
            code="part_exists",
        )
    points = _check_focal_points(administration, focal_points)
    try:
        with transaction.atomic():
            part = CommitmentPart.objects.create(
                commitment=commitment, administration=administration, weight=weight
            )
    except IntegrityError as error:  # a concurrent request added it first
        raise ValidationError({"administration": _("This administration already has a part.")}) from error
    part.focal_points.set(points)
    refresh_rollup(commitment, by=by)
    return part


@transaction.atomic
def update_part(
    *,
    part: CommitmentPart,
    by: Member | None,
    weight: int | None = None,
    focal_points: Iterable[Member] | None = None,
) -> CommitmentPart:
    """Change a part's weight or focal points (its status and progress change only through updates)."""
    part = (
        CommitmentPart.objects.select_for_update()
        .select_related("administration", "commitment")
        .get(pk=part.pk)
    )
    if weight is not None:
        _check_weight(weight)
        part.weight = weight
        part.save(update_fields=["weight"])
    if focal_points is not None:
        part.focal_points.set(_check_focal_points(part.administration, focal_points))
    refresh_rollup(part.commitment, by=by)
    return part


@transaction.atomic
def remove_part(*, part: CommitmentPart, by: Member | None) -> None:
    """Remove a part added by mistake. A part with reports keeps its history: mark it dropped instead."""
    part = CommitmentPart.objects.select_for_update(of=("self",)).select_related("commitment").get(pk=part.pk)
    commitment = part.commitment
    if part.administration_id == commitment.lead_administration_id:
        raise ValidationError(_("The lead administration's part cannot be removed."), code="lead_part")
    if part.updates.exists() or part.snapshots.exists():
        raise ValidationError(
            _("This part has progress reports; post an update marking it dropped instead."),
            code="part_has_history",
        )
    part.delete()
    refresh_rollup(commitment, by=by)


# --- Progress updates ------------------------------------------------------------------------------


def _check_link(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ValidationError({"links": _("Enter a full web address, starting with https://.")}) from error
    if len(url) > 500:
        raise ValidationError({"links": _("A web address can have at most 500 characters.")})
    return url


@transaction.atomic
def record_progress(
    *,
    part: CommitmentPart,
    by: Member | None,
    text: str = "",
    status: str | None = None,
    completion: str | None = None,
    progress: int | None = None,
    no_change: bool = False,
    language: str = "",
    links: Iterable[str] = (),
    files: Iterable[UploadedFile] = (),
    at: datetime | None = None,
) -> ProgressUpdate:
    """A dated update on a part: its text, the new status, completion and progress (None keeps the
    current value) and evidence (links, and documents checked by content). The part's current
    values and the commitment's roll-up change in the same transaction; the update is linked to
    the edition's open reporting round, if any. Nothing earlier is changed.

    `no_change` reports that nothing moved: the values stay, and the update says so.
    """
    part = CommitmentPart.objects.select_for_update(of=("self",)).select_related("commitment").get(pk=part.pk)
    new_status = status or part.status
    new_completion = completion or part.completion
    new_progress = part.progress if progress is None else progress
    if new_status not in Status.values:
        raise ValidationError({"status": _("Choose one of the statuses.")})
    if new_completion not in Completion.values:
        raise ValidationError({"completion": _("Choose one of the completion levels.")})
    _check_progress(new_progress)
    if language and language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose one of the platform's languages.")})
    values_change = (new_status, new_completion, new_progress) != (
        part.status,
        part.completion,
        part.progress,
    )
    if no_change and values_change:
        raise ValidationError(
            _("An update reporting no change keeps the status, completion and progress as they are."),
            code="no_change_with_changes",
        )
    if new_status == Status.DONE and new_progress != 100:
        raise ValidationError(
            {
                "progress": _(
                    "A part marked done is at 100 %; set the progress to 100 or choose another status."
                )
            },
            code="done_below_100",
        )
    links = [_check_link(url) for url in links if (url or "").strip()]
    files = [upload for upload in files if upload]
    if len(links) + len(files) > MAX_EVIDENCE_PER_UPDATE:
        raise ValidationError(
            _("An update can carry at most %(n)d links and documents.") % {"n": MAX_EVIDENCE_PER_UPDATE}
        )
    kinds = []
    for upload in files:
        try:
            kinds.append(documents.validate_upload(upload))
        except ValidationError as error:
            raise ValidationError({"files": error.messages}) from error
    text = (text or "").strip()
    if not (text or values_change or no_change or links or files):
        raise ValidationError(
            _("Write what happened, change a value, add evidence or report no change."), code="empty"
        )

    commitment = part.commitment
    round_ = None
    if commitment.edition_id:
        round_ = ReportingRound.objects.open().filter(edition_id=commitment.edition_id).first()
    when = at or timezone.now()
    update = ProgressUpdate.objects.create(
        part=part,
        round=round_,
        author=by,
        created_at=when,
        text=text,
        language=language,
        no_change=no_change,
        previous_status=part.status,
        previous_completion=part.completion,
        previous_progress=part.progress,
        status=new_status,
        completion=new_completion,
        progress=new_progress,
    )
    for url in links:
        Evidence.objects.create(update=update, url=url)
    for upload, kind in zip(files, kinds, strict=True):
        name = documents.safe_filename(upload.name or "", kind)
        Evidence.objects.create(
            update=update,
            file=upload,
            original_name=name,
            content_type=kind.content_type,
            size=upload.size or 0,
        )
    part.status, part.completion, part.progress = new_status, new_completion, new_progress
    # The latest report wins even when a backdated one (demo, import) is recorded after it.
    if part.last_update_at is None or when >= part.last_update_at:
        part.last_update_at = when
    part.save(update_fields=["status", "completion", "progress", "last_update_at"])
    refresh_rollup(commitment, by=by)
    return update


# --- Milestones and indicators ----------------------------------------------------------------------


@transaction.atomic
def add_milestone(
    *,
    commitment: Commitment,
    by: Member | None,
    texts: Mapping[str, str],
    due_date: date | None = None,
    done_on: date | None = None,
    part: CommitmentPart | None = None,
) -> Milestone:
    if part is not None and part.commitment_id != commitment.pk:
        raise ValidationError({"part": _("This part belongs to another commitment.")})
    milestone = Milestone(commitment=commitment, part=part, due_date=due_date, done_on=done_on)
    _set_texts(milestone, texts, ["title"], required="title")
    milestone.position = (commitment.milestones.aggregate(last=Max("position"))["last"] or 0) + 1
    milestone.save()
    return milestone


@transaction.atomic
def update_milestone(
    *,
    milestone: Milestone,
    by: Member | None,
    texts: Mapping[str, str] | None = None,
    due_date: date | None = None,
    done_on: date | None = None,
) -> Milestone:
    """Change a milestone; `done_on` marks it done (its due date and done date are kept as given)."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if texts is not None:
        _set_texts(milestone, texts, ["title"], required="title")
    milestone.due_date = due_date
    milestone.done_on = done_on
    milestone.save()
    return milestone


@transaction.atomic
def add_indicator(
    *,
    commitment: Commitment,
    by: Member | None,
    texts: Mapping[str, str],
    unit: str = "",
    baseline=None,
    target=None,
    current_value=None,
    measured_on: date | None = None,
) -> Indicator:
    indicator = Indicator(
        commitment=commitment,
        unit=(unit or "").strip(),
        baseline=baseline,
        target=target,
        current_value=current_value,
        measured_on=measured_on,
    )
    _set_texts(indicator, texts, ["name"], required="name")
    indicator.position = (commitment.indicators.aggregate(last=Max("position"))["last"] or 0) + 1
    indicator.save()
    return indicator


@transaction.atomic
def update_indicator(
    *,
    indicator: Indicator,
    by: Member | None,
    texts: Mapping[str, str] | None = None,
    current_value=None,
    measured_on: date | None = None,
    **changes,
) -> Indicator:
    """Record the indicator's current value (and when it was measured), or change its definition
    (`texts`, `unit`, `baseline`, `target`)."""
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    unknown = set(changes) - {"unit", "baseline", "target"}
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    if texts is not None:
        _set_texts(indicator, texts, ["name"], required="name")
    for name, value in changes.items():
        setattr(indicator, name, value)
    indicator.current_value = current_value
    indicator.measured_on = measured_on or (timezone.localdate() if current_value is not None else None)
    indicator.save()
    return indicator


# --- Commitments from approved minutes --------------------------------------------------------

COMMITMENT_TITLE_LENGTH = Commitment._meta.get_field("title_en").max_length
SOURCE_REFERENCE_LENGTH = Commitment._meta.get_field("source_reference").max_length


def _cut_on_word(text: str, limit: int) -> str:
    """`text` on one line, cut before `limit` characters at the end of a word, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def _meeting_reference(minutes: Minutes) -> str:
    """'Minutes of <meeting title>, <date>' in the language the minutes are written in, the date on
    the site's calendar (the stored text must not depend on the approver's time zone)."""
    meeting = minutes.meeting
    day = timezone.localtime(meeting.starts_at, zone_or_default(None)).date()
    with translation.override(minutes.language):
        text = _("Minutes of %(meeting)s, %(date)s") % {
            "meeting": localized(meeting, "title", minutes.language),
            "date": date_format(day, "DATE_FORMAT"),
        }
    return _cut_on_word(text, SOURCE_REFERENCE_LENGTH)


def _action_texts(action: ActionItem) -> dict[str, str]:
    """The commitment's title in every language the action is written in; the full text goes to
    the description when the title had to be cut."""
    texts = {}
    for code in LANGUAGE_CODES:
        text = getattr(action, f"text_{code}").strip()
        title = _cut_on_word(text, COMMITMENT_TITLE_LENGTH)
        texts[f"title_{code}"] = title
        texts[f"description_{code}"] = text if title != text else ""
    return texts


def _owner_as_focal_point(action: ActionItem) -> list[Member]:
    """The action's owner, when they belong to its administration (the rule of focal points)."""
    if action.owner is None or not action.owner.is_active:
        return []
    try:
        return _check_focal_points(action.owner_administration, [action.owner])
    except ValidationError:
        return []


@transaction.atomic
def commitments_from_minutes(*, minutes: Minutes, by: Member | None) -> list[Commitment]:
    """One commitment outside any plan for each action item of approved `minutes` that has none yet
    (safe to call twice). Returns the commitments made now.

    Owned by the meeting's group, led by the action's administration, due when the action is,
    reported by the action's owner when they belong to that administration; not public. The
    action item stays open: the commitment carries the follow-up from then on.
    """
    # The lock makes two calls for the same minutes wait for each other instead of racing.
    minutes = (
        Minutes.objects.select_for_update(of=("self",)).select_related("meeting__group").get(pk=minutes.pk)
    )
    if minutes.status not in {Minutes.Status.APPROVED, Minutes.Status.PUBLISHED}:
        raise ValidationError(_("Only approved minutes turn their action items into commitments."))
    actions = (
        ActionItem.objects.filter(minutes=minutes, commitment__isnull=True)
        .select_related("owner_administration", "owner__user", "owner__administration")
        .order_by("item__position", "position", "pk")
    )
    source_reference = _meeting_reference(minutes)
    made = []
    for action in actions:
        focal_points = _owner_as_focal_point(action)
        commitment = create_commitment(
            by=by,
            texts=_action_texts(action),
            lead_administration=action.owner_administration,
            edition=None,
            owner_group=minutes.meeting.group,
            source=Commitment.Source.MEETING_DECISION,
            source_reference=source_reference,
            due_date=action.due_date,
            is_public=False,
            focal_points={action.owner_administration_id: focal_points} if focal_points else None,
        )
        commitment.action_item = action
        commitment.save(update_fields=["action_item"])
        made.append(commitment)
    return made
