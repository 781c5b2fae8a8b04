"""What a signed-in member's start page shows, read in a fixed number of queries.

`start_page(member)` returns everything templates/coordination/home.html renders: the
member's next meetings with their answer, the invitations waiting for an answer, documents
new since their previous visit, the commitment parts a focal point reports on (with the open
reporting round's deadline) and, for the chair, vice-chair and secretariat, what needs them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.models import CLOSED_STATUSES, CommitmentPart
from coordination.rounds import open_round_deadline, open_round_id, reported_in_open_round
from meetings.invitees import closed_reason
from meetings.models import AttendanceMode, Document, DocumentFile, Invitation, Meeting
from members.access import MANAGERS, current_roles
from members.models import Member, Membership
from members.outbox import OutboundMessage
from members.visits import new_since

Rsvp = Invitation.Rsvp
UPCOMING_LIMIT = 8
LIST_LIMIT = 10
# Documents shown to a member never seen before: those of the last RECENT_DAYS days.
RECENT_DAYS = 14
# Failed or bounced sendings stay on the start page this long; the outbox keeps them all.
BOUNCE_WINDOW = timedelta(days=30)


@dataclass
class Duties:
    """What needs the chair or secretariat in the groups they manage."""

    unanswered: list[Meeting] = field(default_factory=list)
    not_circulated: list[Meeting] = field(default_factory=list)
    failed_sendings: list[dict] = field(default_factory=list)
    bounced_members: list[Member] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.unanswered or self.not_circulated or self.failed_sendings or self.bounced_members)


@dataclass
class StartPage:
    upcoming: list[Invitation]
    waiting: list[Invitation]
    documents: list[Document]
    more_documents: bool
    since: datetime | None
    duties: Duties | None
    recent_days: int = RECENT_DAYS
    reporting: list[CommitmentPart] = field(default_factory=list)
    more_reporting: bool = False


def answer_choices(invitation: Invitation) -> list[dict]:
    """The one-click answers for an invitation: each answer not given yet, or, when the answer
    is to confirm for a new time, that same answer first.

    A hybrid meeting offers to accept on site or online (the joining mode goes with the answer).
    """
    meeting = invitation.meeting
    if meeting.format == Meeting.Format.HYBRID:
        options = [
            (Rsvp.ACCEPTED, AttendanceMode.ON_SITE, _("Accept, on site")),
            (Rsvp.ACCEPTED, AttendanceMode.ONLINE, _("Accept, online")),
        ]
    else:
        options = [(Rsvp.ACCEPTED, "", _("Accept"))]
    options += [(Rsvp.TENTATIVE, "", _("Tentative")), (Rsvp.DECLINED, "", _("Decline"))]
    choices = []
    for answer, mode, label in options:
        current = invitation.rsvp == answer and (not mode or invitation.attendance_mode == mode)
        if current and invitation.rsvp_to_confirm:
            choices.insert(0, {"answer": answer, "mode": mode, "label": _("Confirm: %s") % label})
        elif not current:
            choices.append({"answer": answer, "mode": mode, "label": label})
    return choices


def _my_invitations(member: Member, now: datetime):
    return (
        Invitation.objects.filter(member=member, removed_at__isnull=True, meeting__ends_at__gte=now)
        .exclude(meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        .select_related("meeting__group", "delegated_to__member__user")
        .order_by("meeting__starts_at", "meeting__pk")
    )


def _with_answer_data(invitations: list[Invitation], member: Member, now: datetime) -> list[Invitation]:
    for invitation in invitations:
        invitation.member = member  # its roles are loaded once, for every closed_reason below
        invitation.closed = closed_reason(invitation, by=member, now=now)
        invitation.choices = [] if invitation.closed else answer_choices(invitation)
    return invitations


def new_documents(member: Member, since: datetime | None, now: datetime, managed: list[int]):
    """Documents with a file uploaded since `since` by someone else, in meetings the member sees.

    Drafts count only in the groups the member manages. Newest first, annotated `added_at`.
    """
    after = since or now - timedelta(days=RECENT_DAYS)
    fresh = DocumentFile.objects.filter(document=OuterRef("pk"), uploaded_at__gt=after).exclude(
        uploaded_by=member
    )
    meetings = (
        Meeting.objects.visible_to(member)
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(~Q(status=Meeting.Status.DRAFT) | Q(group_id__in=managed))
    )
    return (
        Document.objects.filter(Exists(fresh), meeting__in=meetings)
        .select_related("meeting__group")
        .annotate(added_at=Max("files__uploaded_at"))
        .order_by("-added_at", "-pk")
    )


def duties_of(member: Member, managed: list[int], now: datetime) -> Duties:
    """Unanswered invitations, agendas not circulated, failed emails and bouncing addresses."""
    upcoming = (
        Meeting.objects.filter(group_id__in=managed, ends_at__gte=now)
        .select_related("group")
        .order_by("starts_at", "pk")
    )
    active = Q(invitations__removed_at__isnull=True)
    unanswered = (
        upcoming.filter(status=Meeting.Status.SCHEDULED, circulated_at__isnull=False)
        .annotate(
            unanswered_count=Count("invitations", filter=active & Q(invitations__rsvp=Rsvp.NONE)),
            to_confirm_count=Count("invitations", filter=active & Q(invitations__rsvp_to_confirm=True)),
        )
        .filter(Q(unanswered_count__gt=0) | Q(to_confirm_count__gt=0))
    )
    not_circulated = upcoming.filter(
        Q(status=Meeting.Status.DRAFT) | Q(status=Meeting.Status.SCHEDULED, circulated_at__isnull=True)
    )
    problems = (OutboundMessage.Status.BOUNCED, OutboundMessage.Status.FAILED)
    failed = (
        OutboundMessage.objects.filter(
            created_by=member, status__in=problems, created_at__gte=now - BOUNCE_WINDOW
        )
        .exclude(batch="")
        .values("batch", "batch_title")
        .annotate(count=Count("pk"), last=Max("created_at"))
        .order_by("-last", "batch")
    )
    in_managed_group = Membership.objects.current().filter(member=OuterRef("pk"), group_id__in=managed)
    bounced = (
        Member.objects.active()
        .filter(Exists(in_managed_group), email_bounced_at__isnull=False)
        .select_related("user", "administration")
        .order_by("-email_bounced_at", "pk")
    )
    return Duties(
        unanswered=list(unanswered[:LIST_LIMIT]),
        not_circulated=list(not_circulated[:LIST_LIMIT]),
        failed_sendings=list(failed[:LIST_LIMIT]),
        bounced_members=list(bounced[:LIST_LIMIT]),
    )


def parts_to_report(member: Member):
    """The open parts the member is a focal point of: first those their edition's open reporting
    round still waits for (nearest deadline first), then by due date. Each is annotated with
    `round_deadline`, `round_pk` (None outside an open round) and `reported` (in that round)."""
    return (
        CommitmentPart.objects.filter(focal_points=member)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("commitment__edition__plan", "administration")
        .annotate(
            round_deadline=open_round_deadline(), round_pk=open_round_id(), reported=reported_in_open_round()
        )
        .order_by(
            F("round_deadline").asc(nulls_last=True),
            "reported",
            F("commitment__due_date").asc(nulls_last=True),
            "commitment__pk",
            "pk",
        )
    )


def start_page(member: Member, now: datetime | None = None) -> StartPage:
    """Everything the start page shows, in 5 queries (9 for the chair and secretariat) whatever the data."""
    now = now or timezone.now()
    managed = [group_id for group_id, role in current_roles(member).items() if role in MANAGERS]
    mine = _my_invitations(member, now)
    upcoming = _with_answer_data(list(mine[:UPCOMING_LIMIT]), member, now)
    waiting = mine.filter(Q(rsvp=Rsvp.NONE) | Q(rsvp_to_confirm=True))
    waiting = _with_answer_data(list(waiting[:LIST_LIMIT]), member, now)
    waiting_ids = {invitation.pk for invitation in waiting}
    for invitation in upcoming:
        invitation.is_waiting = invitation.pk in waiting_ids
    since = new_since(member, now)
    documents = list(new_documents(member, since, now, managed)[: LIST_LIMIT + 1])
    reporting = list(parts_to_report(member)[: LIST_LIMIT + 1])
    return StartPage(
        upcoming=upcoming,
        waiting=waiting,
        documents=documents[:LIST_LIMIT],
        more_documents=len(documents) > LIST_LIMIT,
        since=since,
        duties=duties_of(member, managed, now) if managed else None,
        reporting=reporting[:LIST_LIMIT],
        more_reporting=len(reporting) > LIST_LIMIT,
    )
