"""The "Follow-up of commitments" item on the owner group's next agenda, in the four languages.

Its description (Markdown, as every agenda item description) summarises what changed on the
plan edition since the group's last meeting: the commitments that moved, those done or delayed,
those past their due date, who reported in the round, and links to the round comparison.
Added through meetings.services.add_agenda_item (coordination imports meetings, never the reverse).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coordination.models import CLOSED_STATUSES, Commitment, CommitmentPart, ProgressUpdate, ReportingRound
from core.i18n import LANGUAGE_CODES, localized
from meetings import services as meeting_services
from meetings.models import AgendaItem, Meeting
from members.models import Member

MAX_LISTED = 15


def next_meeting(group_id: int, now: datetime | None = None) -> Meeting | None:
    """The group's next meeting that is not cancelled nor held: the agenda being built."""
    now = now or timezone.now()
    return (
        Meeting.objects.filter(group_id=group_id, starts_at__gt=now)
        .filter(status__in=[Meeting.Status.DRAFT, Meeting.Status.SCHEDULED])
        .order_by("starts_at", "pk")
        .first()
    )


def last_meeting(group_id: int, now: datetime | None = None) -> Meeting | None:
    """The group's latest meeting that started before now and was not cancelled."""
    now = now or timezone.now()
    return (
        Meeting.objects.filter(group_id=group_id, starts_at__lte=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at", "-pk")
        .first()
    )


@dataclass
class Moved:
    commitment: Commitment
    changes: list  # [(part, first update since, last update since)]


@dataclass
class Summary:
    since: datetime
    since_meeting: bool
    moved: list[Moved]
    more: int
    done: int
    delayed: int
    late: int
    reported: int
    to_report: int


def summarise(round_: ReportingRound, since: datetime, *, since_meeting: bool = True) -> Summary:
    """What changed on the round's edition since `since` (the group's last meeting, or when
    `since_meeting` is False the round's opening), in a fixed number of queries."""
    changed = (
        ProgressUpdate.objects.filter(part__commitment__edition_id=round_.edition_id, created_at__gte=since)
        .filter(no_change=False)
        .select_related("part__administration", "part__commitment")
        .order_by("part__commitment__position", "part__commitment__pk", "part__pk", "created_at", "pk")
    )
    by_part: dict[int, list[ProgressUpdate]] = {}
    for update in changed:
        by_part.setdefault(update.part_id, []).append(update)
    moved: dict[int, Moved] = {}
    for updates in by_part.values():
        first, last = updates[0], updates[-1]
        part = last.part
        if (first.previous_status, first.previous_progress, first.previous_completion) == (
            last.status,
            last.progress,
            last.completion,
        ):
            continue  # went there and back: nothing to report
        row = moved.setdefault(part.commitment_id, Moved(part.commitment, []))
        row.changes.append((part, first, last))
    parts = CommitmentPart.objects.filter(commitment__edition_id=round_.edition_id)
    counts = parts.aggregate(
        done=Count("pk", filter=Q(status="done", last_update_at__gte=since)),
        delayed=Count("pk", filter=Q(status="delayed")),
        late=Count(
            "pk",
            filter=Q(commitment__due_date__lt=timezone.localdate()) & ~Q(status__in=CLOSED_STATUSES),
        ),
        to_report=Count("pk", filter=~Q(status__in=CLOSED_STATUSES)),
    )
    reported = parts.filter(updates__round=round_).distinct().count()
    rows = list(moved.values())
    return Summary(
        since=since,
        since_meeting=since_meeting,
        moved=rows[:MAX_LISTED],
        more=max(0, len(rows) - MAX_LISTED),
        done=counts["done"],
        delayed=counts["delayed"],
        late=counts["late"],
        reported=reported,
        to_report=max(counts["to_report"], reported),
    )


def item_texts(round_: ReportingRound, summary: Summary) -> dict[str, str]:
    """title_<code> and description_<code> for every language, each rendered in that language."""
    plan = round_.edition.plan
    comparison_url = settings.SITE_URL + reverse("rounds:compare", args=[round_.pk])
    texts = {}
    for code in LANGUAGE_CODES:
        with translation.override(code):
            texts[f"title_{code}"] = _("Follow-up of commitments: %(plan)s") % {
                "plan": localized(plan, "title", code)
            }
            context = {
                "round": round_,
                "plan": plan,
                "summary": summary,
                "comparison_url": comparison_url,
                "language": code,
            }
            texts[f"description_{code}"] = render_to_string("coordination/follow_up_item.md", context).strip()
    return texts


@transaction.atomic
def add_follow_up_item(
    *, round: ReportingRound, by: Member | None, now: datetime | None = None
) -> AgendaItem:
    """Add the follow-up item at the end of the owner group's next agenda. ValidationError when
    the group has no upcoming meeting."""
    now = now or timezone.now()
    plan = round.edition.plan
    meeting = next_meeting(plan.owner_group_id, now)
    if meeting is None:
        raise ValidationError(
            _("The group has no upcoming meeting: schedule it first, then add the follow-up to its agenda.")
        )
    previous = last_meeting(plan.owner_group_id, now)
    since = previous.starts_at if previous is not None else round.opened_at
    texts = item_texts(round, summarise(round, since, since_meeting=previous is not None))
    return meeting_services.add_agenda_item(
        meeting=meeting, by=by, kind=AgendaItem.Kind.INFORMATION, duration_minutes=20, **texts
    )
