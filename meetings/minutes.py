"""Minutes: written by item, sent for comments, approved, published. The writes and their rules.

Each service takes keyword arguments, runs in one transaction on the locked minutes row, raises
ValidationError when a rule says no (PermissionDenied when the member may not act at all), and
keeps a MinutesVersion of every saved state. Emails go through the outbox in the same
transaction (members.services.queue_message), so a rollback sends nothing.

    start_minutes -> save_item / add_item / remove_item / save_settings (while editable)
        -> send_for_comments -> add_comment / settle_comment
        -> approve or approve_at_meeting (frozen; minutes_approved sent after commit)
        -> publish
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.i18n import LANGUAGE_CODES, localized
from core.timezones import zone_or_default
from core.translated import translated_names
from meetings import emails
from meetings.access import may_approve_minutes, may_comment_minutes, may_manage_minutes
from meetings.minutes_versions import snapshot
from meetings.models import (
    ActionItem,
    Attendance,
    Decision,
    Invitation,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesItem,
    MinutesVersion,
)
from meetings.signals import minutes_approved
from members.history import create_recorded, update_recorded
from members.models import Administration, Member, Membership
from members.services import queue_message

Status = Minutes.Status
Audience = Minutes.Audience
COMMENT_MAX_LENGTH = MinutesComment._meta.get_field("text").max_length
REPLY_MAX_LENGTH = MinutesComment._meta.get_field("resolution").max_length
TITLE_MAX_LENGTH = MinutesItem._meta.get_field("title_en").max_length


@dataclass
class DecisionText:
    """A decision as a form gives it: `pk` of an existing one (None for a new one), its texts."""

    text: dict[str, str]
    pk: int | None = None


@dataclass
class ActionText:
    """An action item as a form gives it (`pk` None for a new one)."""

    text: dict[str, str]
    owner_administration: Administration
    owner: Member | None = None
    due_date: date | None = None
    status: str = ActionItem.Status.OPEN
    pk: int | None = None


# --- Reads the services share -------------------------------------------------------------------


def _lock(minutes: Minutes) -> Minutes:
    """The minutes row again, locked for this transaction, with its meeting and group."""
    return Minutes.objects.select_for_update().select_related("meeting__group").get(pk=minutes.pk)


def _require_manager(member: Member | None, meeting: Meeting) -> None:
    if not may_manage_minutes(member, meeting):
        raise PermissionDenied


def _require_editable(minutes: Minutes) -> None:
    if not minutes.is_editable:
        raise ValidationError(_("These minutes are approved: their texts can no longer change."))


def _filled(texts: dict[str, str] | None) -> dict[str, str]:
    """{code: text} for every language, stripped; unknown languages are ignored."""
    texts = texts or {}
    return {code: (texts.get(code) or "").strip() for code in LANGUAGE_CODES}


def _set_texts(obj: object, field: str, texts: dict[str, str]) -> None:
    for code, value in _filled(texts).items():
        setattr(obj, f"{field}_{code}", value)


def _meeting_year(meeting: Meeting) -> int:
    """The meeting's year on the site's calendar (Europe/Brussels), whoever's time zone is active:
    a decision's number must not depend on who saves it."""
    return timezone.localtime(meeting.starts_at, zone_or_default(None)).year


def meeting_ordinal(meeting: Meeting) -> int:
    """The meeting's number among its group's meetings of that year that were not cancelled."""
    year, zone = _meeting_year(meeting), zone_or_default(None)
    earlier = Q(starts_at__lt=meeting.starts_at) | Q(starts_at=meeting.starts_at, pk__lte=meeting.pk)
    rows = Meeting.objects.filter(
        group_id=meeting.group_id,
        starts_at__gte=datetime(year, 1, 1, tzinfo=zone),
        starts_at__lt=datetime(year + 1, 1, 1, tzinfo=zone),
    ).exclude(status=Meeting.Status.CANCELLED)
    return max(rows.filter(earlier).count(), 1)


def decision_number(meeting: Meeting, ordinal: int, k: int) -> str:
    """`<year>/<nn>-<k>`, e.g. 2027/03-2: the year's third meeting, its second decision."""
    return f"{_meeting_year(meeting)}/{ordinal:02d}-{k}"


# Why rows changed without being edited one by one (members.history shows them translated).
REASON_DECISIONS_RENUMBERED = gettext_noop("The decisions were renumbered.")
REASON_FROM_AGENDA = gettext_noop("Taken from the agenda.")
REASON_ITEMS_RENUMBERED = gettext_noop("An item above it was removed.")


def _renumber(minutes: Minutes, *, by: Member | None) -> None:
    """Number the decisions in order of item and position (one update and one history insert for
    those that change)."""
    ordinal = meeting_ordinal(minutes.meeting)
    decisions = list(
        Decision.objects.filter(minutes=minutes).order_by("item__position", "item_id", "position", "pk")
    )
    changed = []
    for k, decision in enumerate(decisions, start=1):
        number = decision_number(minutes.meeting, ordinal, k)
        if decision.number != number:
            decision.number = number
            changed.append(decision)
    update_recorded(changed, ["number"], by=by, reason=REASON_DECISIONS_RENUMBERED)


def _record_version(minutes: Minutes, by: Member | None) -> MinutesVersion:
    """Keep the minutes' texts as they are now as the next version."""
    minutes.version += 1
    minutes.updated_by = by
    minutes.save(update_fields=["version", "updated_by", "updated_at", "status"])
    return MinutesVersion.objects.create(
        minutes=minutes, number=minutes.version, status=minutes.status, content=snapshot(minutes), saved_by=by
    )


def _chair_of(meeting: Meeting) -> Member | None:
    """The group's chair today, else the meeting's organiser."""
    membership = (
        Membership.objects.current()
        .filter(group_id=meeting.group_id, role=Membership.Role.CHAIR)
        .select_related("member")
        .order_by("start", "pk")
        .first()
    )
    return membership.member if membership else meeting.organiser


# --- Writing -------------------------------------------------------------------------------------


@transaction.atomic
def start_minutes(*, meeting: Meeting, by: Member, language: str = "") -> Minutes:
    """Minutes for a held (or started) meeting: one item per agenda item, its title in every language."""
    _require_manager(by, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.is_cancelled:
        raise ValidationError(_("This meeting was cancelled: it has no minutes."))
    if meeting.status != Meeting.Status.HELD and meeting.starts_at > timezone.now():
        raise ValidationError(_("Minutes can be written once the meeting has started."))
    if Minutes.objects.filter(meeting=meeting).exists():
        raise ValidationError(_("This meeting already has minutes."))
    language = language if language in LANGUAGE_CODES else by.language
    minutes = Minutes.objects.create(
        meeting=meeting, chair=_chair_of(meeting), language=language, created_by=by, updated_by=by
    )
    titles = translated_names("title")
    items = [
        MinutesItem(
            minutes=minutes,
            agenda_item=agenda_item,
            position=position,
            **{name: getattr(agenda_item, name) for name in titles},
        )
        for position, agenda_item in enumerate(meeting.agenda_items.order_by("position", "pk"), start=1)
    ]
    create_recorded(items, by=by, reason=REASON_FROM_AGENDA)
    _record_version(minutes, by)
    return minutes


@transaction.atomic
def save_settings(*, minutes: Minutes, by: Member, language: str, chair: Member | None) -> Minutes:
    """The language the minutes are written in, and who chaired."""
    minutes = _lock(minutes)
    _require_manager(by, minutes.meeting)
    _require_editable(minutes)
    if language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose one of the platform's languages.")})
    minutes.language, minutes.chair = language, chair
    minutes.save(update_fields=["language", "chair", "updated_at"])
    _record_version(minutes, by)
    return minutes


def _check_title(title: dict[str, str]) -> None:
    values = _filled(title).values()
    if not any(values):
        raise ValidationError({"title": _("Give the item a title in at least one language.")})
    if any(len(value) > TITLE_MAX_LENGTH for value in values):
        raise ValidationError(
            {"title": _("A title can be at most %(count)d characters long.") % {"count": TITLE_MAX_LENGTH}}
        )


def _item_of(minutes: Minutes, item: MinutesItem) -> MinutesItem:
    row = MinutesItem.objects.select_for_update().filter(minutes=minutes, pk=item.pk).first()
    if row is None:
        raise ValidationError(_("This item is not part of these minutes."))
    return row


@transaction.atomic
def save_item(
    *,
    item: MinutesItem,
    by: Member,
    summary: dict[str, str],
    decisions: list[DecisionText],
    actions: list[ActionText],
    title: dict[str, str] | None = None,
) -> MinutesItem:
    """Save one item's texts: its title (when given), summary, decisions and action items.

    Decisions and actions are the item's whole list: those not given are removed, those with a `pk`
    of this item are updated, the others added. Decisions are numbered again.
    """
    minutes = _lock(item.minutes)
    _require_manager(by, minutes.meeting)
    _require_editable(minutes)
    item = _item_of(minutes, item)
    if title is not None:
        _check_title(title)
        _set_texts(item, "title", title)
    _set_texts(item, "summary", summary)
    item.save()

    errors = []
    for decision in decisions:
        if not any(_filled(decision.text).values()):
            errors.append(_("Each decision needs a text in at least one language."))
    for action in actions:
        if not any(_filled(action.text).values()):
            errors.append(_("Each action item needs a text in at least one language."))
        if action.owner_administration is None:
            errors.append(_("Each action item needs an owner administration."))
        if action.status not in ActionItem.Status.values:
            errors.append(_("Choose open or done for each action item."))
    if errors:
        raise ValidationError(sorted(set(errors)))

    existing_decisions = {row.pk: row for row in Decision.objects.filter(item=item)}
    kept = {d.pk for d in decisions if d.pk in existing_decisions}
    Decision.objects.filter(item=item).exclude(pk__in=kept).delete()
    for position, given in enumerate(decisions, start=1):
        row = existing_decisions.get(given.pk) or Decision(item=item, minutes=minutes)
        _set_texts(row, "text", given.text)
        row.position = position
        row.save()

    existing_actions = {row.pk: row for row in ActionItem.objects.filter(item=item)}
    kept = {a.pk for a in actions if a.pk in existing_actions}
    ActionItem.objects.filter(item=item).exclude(pk__in=kept).delete()
    for position, given in enumerate(actions, start=1):
        row = existing_actions.get(given.pk) or ActionItem(item=item, minutes=minutes)
        _set_texts(row, "text", given.text)
        row.owner_administration = given.owner_administration
        row.owner = given.owner
        row.due_date = given.due_date
        row.status = given.status
        row.position = position
        row.save()

    _renumber(minutes, by=by)
    _record_version(minutes, by)
    return item


@transaction.atomic
def add_item(
    *, minutes: Minutes, by: Member, title: dict[str, str], summary: dict[str, str] | None = None
) -> MinutesItem:
    """An item that was not on the agenda ("any other business"), after the others."""
    minutes = _lock(minutes)
    _require_manager(by, minutes.meeting)
    _require_editable(minutes)
    _check_title(title)
    last = (
        MinutesItem.objects.filter(minutes=minutes)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    item = MinutesItem(minutes=minutes, position=(last or 0) + 1)
    _set_texts(item, "title", title)
    _set_texts(item, "summary", summary or {})
    item.save()
    _record_version(minutes, by)
    return item


@transaction.atomic
def remove_item(*, item: MinutesItem, by: Member) -> None:
    """Remove an added item, with its decisions and actions; agenda items stay."""
    minutes = _lock(item.minutes)
    _require_manager(by, minutes.meeting)
    _require_editable(minutes)
    item = _item_of(minutes, item)
    if not item.is_added:
        raise ValidationError(_("Items of the agenda stay in the minutes; only added items can be removed."))
    position = item.position
    item.delete()
    # Close the gap: the page numbers items by their order, the item's own page by its position.
    below = list(MinutesItem.objects.filter(minutes=minutes, position__gt=position))
    for row in below:
        row.position -= 1
    update_recorded(below, ["position"], by=by, reason=REASON_ITEMS_RENUMBERED)
    _renumber(minutes, by=by)
    _record_version(minutes, by)


# --- Comments ------------------------------------------------------------------------------------


def comment_audience(minutes: Minutes, audience: str) -> list[Member]:
    """The current members of the group who receive the minutes for comments: all of them, or
    those who attended (present, or representing someone). Members with their user loaded."""
    memberships = Membership.objects.current().filter(group_id=minutes.meeting.group_id)
    members = Member.objects.filter(pk__in=memberships.values("member_id")).select_related("user")
    if audience == Audience.ATTENDEES:
        present = Attendance.objects.filter(
            invitation__meeting_id=minutes.meeting_id, status=Attendance.Status.PRESENT
        ).values("invitation__member_id")
        representing = Attendance.objects.filter(
            invitation__meeting_id=minutes.meeting_id, represented_by__isnull=False
        ).values("represented_by_id")
        members = members.filter(Q(pk__in=present) | Q(pk__in=representing))
    return list(members.order_by("pk"))


def _queue(email: emails.MeetingEmail, member: Member, *, batch: str, title: str, by: Member) -> None:
    queue_message(
        kind=email.kind,
        to_email=email.to_email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        language=email.language,
        member=member,
        batch=batch,
        batch_title=title,
        created_by=by,
    )


def _batch_title(label: str, minutes: Minutes, by: Member) -> str:
    return f"{label}: {localized(minutes.meeting, 'title', by.language)}"


@transaction.atomic
def send_for_comments(
    *, minutes: Minutes, by: Member, audience: str, deadline: datetime, notify: bool = True
) -> int:
    """Open draft minutes for comments until `deadline`; email the audience a link (never the
    text). Minutes already out for comments take the new deadline and audience, and the audience
    is emailed again when `notify`. Returns the number of emails queued."""
    minutes = _lock(minutes)
    _require_manager(by, minutes.meeting)
    if minutes.status not in {Status.DRAFT, Status.FOR_COMMENTS}:
        raise ValidationError(_("Approved minutes can no longer be sent for comments."))
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose who receives the minutes for comments.")})
    if deadline is None or deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline for comments must be in the future.")})
    again = minutes.status == Status.FOR_COMMENTS
    now = timezone.now()
    minutes.comment_audience, minutes.comment_deadline = audience, deadline
    if again:
        minutes.save(update_fields=["comment_audience", "comment_deadline", "updated_at"])
        if not notify:
            return 0
        batch = f"minutes-{minutes.pk}-comments-v{minutes.version}-{now:%Y%m%d%H%M%S}"
    else:
        minutes.status = Status.FOR_COMMENTS
        minutes.sent_for_comments_by, minutes.sent_for_comments_at = by, now
        minutes.save()
        _record_version(minutes, by)
        batch = f"minutes-{minutes.pk}-comments-v{minutes.version}"
    recipients = comment_audience(minutes, audience)
    title = _batch_title(_("Minutes for comments"), minutes, by)
    for member in recipients:
        _queue(emails.minutes_for_comments_email(member, minutes), member, batch=batch, title=title, by=by)
    return len(recipients)


@transaction.atomic
def add_comment(
    *, minutes: Minutes, by: Member, text: str, item: MinutesItem | None = None
) -> MinutesComment:
    """A reader's comment on one item (or the whole), while the minutes are out for comments."""
    minutes = _lock(minutes)
    if minutes.status != Status.FOR_COMMENTS:
        raise ValidationError(_("These minutes are not open for comments."))
    if not may_comment_minutes(by, minutes):
        raise ValidationError(_("You are not among those asked to comment on these minutes."))
    if minutes.comment_deadline is not None and timezone.now() > minutes.comment_deadline:
        raise ValidationError(_("The deadline for comments has passed."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write your comment.")})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"text": _("A comment can be at most %(count)d characters long.") % {"count": COMMENT_MAX_LENGTH}}
        )
    if item is not None and item.minutes_id != minutes.pk:
        raise ValidationError(_("This item is not part of these minutes."))
    return MinutesComment.objects.create(minutes=minutes, item=item, author=by, text=text)


@transaction.atomic
def settle_comment(*, comment: MinutesComment, by: Member, accept: bool, reply: str) -> MinutesComment:
    """Accept or dismiss a comment, with a word of reply. Managers only, before approval."""
    minutes = _lock(comment.minutes)
    _require_manager(by, minutes.meeting)
    comment = MinutesComment.objects.select_for_update().get(pk=comment.pk, minutes=minutes)
    if comment.status != MinutesComment.Status.OPEN:
        raise ValidationError(_("This comment is already settled."))
    _require_editable(minutes)
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("Say in a word why the comment is accepted or dismissed.")})
    if len(reply) > REPLY_MAX_LENGTH:
        raise ValidationError(
            {"reply": _("A reply can be at most %(count)d characters long.") % {"count": REPLY_MAX_LENGTH}}
        )
    comment.status = MinutesComment.Status.ACCEPTED if accept else MinutesComment.Status.DISMISSED
    comment.resolution, comment.resolved_by, comment.resolved_at = reply, by, timezone.now()
    comment.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    return comment


# --- Approval and publication -----------------------------------------------------------------


def _approve(minutes: Minutes, by: Member, at_meeting: Meeting | None) -> Minutes:
    if minutes.status in {Status.APPROVED, Status.PUBLISHED}:
        raise ValidationError(_("These minutes are already approved."))
    _renumber(minutes, by=by)  # the numbers are frozen from here on
    minutes.status = Status.APPROVED
    minutes.approved_by, minutes.approved_at, minutes.approved_at_meeting = by, timezone.now(), at_meeting
    minutes.save()
    _record_version(minutes, by)
    # After commit: coordination's receiver must see the approved rows, and a rollback sends nothing.
    transaction.on_commit(partial(minutes_approved.send, sender=Minutes, minutes=minutes, by=by))
    return minutes


@transaction.atomic
def approve(*, minutes: Minutes, by: Member) -> Minutes:
    """The chair (or a vice-chair) approves the minutes: texts and decision numbers are frozen."""
    minutes = _lock(minutes)
    if not may_approve_minutes(by, minutes.meeting):
        raise PermissionDenied
    return _approve(minutes, by, None)


def later_meetings(minutes: Minutes):
    """The meetings at which these minutes can be approved: the same group's, starting after this
    meeting, not cancelled."""
    meeting = minutes.meeting
    return (
        Meeting.objects.filter(group_id=meeting.group_id, starts_at__gt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at", "pk")
    )


@transaction.atomic
def approve_at_meeting(*, minutes: Minutes, by: Member, meeting: Meeting) -> Minutes:
    """Record that the minutes were approved at `meeting` (a later meeting of the same group)."""
    minutes = _lock(minutes)
    _require_manager(by, minutes.meeting)
    if meeting is None or not later_meetings(minutes).filter(pk=meeting.pk).exists():
        raise ValidationError({"meeting": _("Choose a later meeting of the same group, not cancelled.")})
    return _approve(minutes, by, meeting)


def publication_audience(minutes: Minutes) -> list[Member]:
    """Every current member of the group and the meeting's member invitees, once each."""
    meeting = minutes.meeting
    memberships = Membership.objects.current().filter(group_id=meeting.group_id).values("member_id")
    invited = Invitation.objects.filter(
        meeting=meeting, removed_at__isnull=True, member__isnull=False
    ).values("member_id")
    rows = Member.objects.filter(Q(pk__in=memberships) | Q(pk__in=invited)).select_related("user")
    return list(rows.order_by("pk"))


@transaction.atomic
def publish(*, minutes: Minutes, by: Member) -> int:
    """Publish approved minutes to the group and the invitees, with an email holding a link only.
    Returns the number of emails queued."""
    minutes = _lock(minutes)
    _require_manager(by, minutes.meeting)
    if minutes.status == Status.PUBLISHED:
        raise ValidationError(_("These minutes are already published."))
    if minutes.status != Status.APPROVED:
        raise ValidationError(_("Minutes are published once approved."))
    minutes.status = Status.PUBLISHED
    minutes.published_by, minutes.published_at = by, timezone.now()
    minutes.save(update_fields=["status", "published_by", "published_at", "updated_at"])
    recipients = publication_audience(minutes)
    batch = f"minutes-{minutes.pk}-published"
    title = _batch_title(_("Minutes published"), minutes, by)
    for member in recipients:
        _queue(emails.minutes_published_email(member, minutes), member, batch=batch, title=title, by=by)
    return len(recipients)


__all__ = [
    "ActionText",
    "DecisionText",
    "add_comment",
    "add_item",
    "approve",
    "approve_at_meeting",
    "publish",
    "remove_item",
    "save_item",
    "save_settings",
    "send_for_comments",
    "settle_comment",
    "start_minutes",
]
