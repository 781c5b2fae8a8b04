"""Who may see and change meetings: the one place where these rules live.

Reading follows Meeting.objects.visible_to (the meeting's group, or a personal invitation);
writing needs Action.MANAGE_MEETINGS in the meeting's group (chair, vice-chair, secretariat).
A meeting the member cannot see answers 404, never 403, so nobody learns what exists.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from meetings.models import Attendance, Invitation, Meeting, Minutes
from members.access import RULES, Action, can, current_roles, require, role_in
from members.models import Group, Member, Membership

Role = Membership.Role
RULES_MANAGE_MINUTES = RULES[Action.MANAGE_MINUTES]


def get_meeting_for(
    member: Member, pk: int, *, edit: bool = False, queryset: QuerySet[Meeting] | None = None
) -> Meeting:
    """The meeting if `member` may see it (else 404); 403 when `edit` and they may not manage it.

    `queryset` narrows what is loaded (e.g. `Meeting.objects.with_detail_data()`).
    """
    rows = (queryset if queryset is not None else Meeting.objects.all()).visible_to(member)
    meeting = get_object_or_404(rows, pk=pk)
    if edit and not may_manage(member, meeting):
        raise PermissionDenied
    return meeting


def may_see(member: Member | None, meeting: Meeting, *, invited: bool) -> bool:
    """Meeting.objects.visible_to for one meeting already loaded: a current member of its group
    (the member's roles, cached on them), or `invited` (the caller found their active invitation).
    For a page that needs both anyway, this spares the subqueries of visible_to."""
    return invited or (member is not None and current_roles(member).get(meeting.group_id) is not None)


def may_manage(member: Member | None, meeting: Meeting) -> bool:
    """Schedule, edit, build the agenda, upload documents, invite, circulate, cancel."""
    return can(member, Action.MANAGE_MEETINGS, meeting.group_id)


def get_group_to_schedule_in(member: Member, slug: str) -> Group:
    """The group to schedule a meeting in: 404 if the member is not in it, 403 if they cannot manage."""
    group = Group.objects.filter(slug=slug).first()
    if group is None:
        raise Http404
    require(member, Action.MANAGE_MEETINGS, group)
    return group


def may_download(member: Member | None, meeting: Meeting, *, invited: bool | None = None) -> bool:
    """Documents are for the group's current members and the meeting's (not removed) invitees.

    `invited` may say whether the member holds an active invitation when the caller already knows.
    """
    if member is None or not member.is_active:
        return False
    if role_in(member, meeting.group_id) is not None:
        return True
    if invited is None:
        invited = meeting.invitations.filter(member=member, removed_at__isnull=True).exists()
    return invited


def get_meeting_to_manage(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, for its managers only: 404 when not visible, 403 when not a manager."""
    return get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.select_related("group"))


# Minutes ---------------------------------------------------------------------------------------
#
# Managers (chair, vice-chair, secretariat) write and see minutes at every step. While the
# minutes are out for comments, their audience reads and comments: those who attended (present,
# or represented) or the whole group, observers reading only. Approved minutes stay with the
# managers until published; published minutes are for every reader of the group (observers
# included) and the meeting's invitees. A member of another group sees nothing: 404.

APPROVERS = frozenset({Role.CHAIR, Role.VICE_CHAIR})


def may_manage_minutes(member: Member | None, meeting: Meeting) -> bool:
    """Write and edit the minutes, send them for comments, settle comments, publish."""
    return can(member, Action.MANAGE_MINUTES, meeting.group_id)


def may_approve_minutes(member: Member | None, meeting: Meeting) -> bool:
    """Approve in the chair's name: the chair or a vice-chair."""
    return role_in(member, meeting.group_id) in APPROVERS


def _attended(member: Member, meeting: Meeting) -> bool:
    return (
        Attendance.objects.filter(
            invitation__meeting=meeting, invitation__member=member, status=Attendance.Status.PRESENT
        ).exists()
        or Attendance.objects.filter(invitation__meeting=meeting, represented_by=member).exists()
    )


def _in_comment_audience(member: Member, minutes: Minutes) -> bool:
    if minutes.status != Minutes.Status.FOR_COMMENTS or role_in(member, minutes.meeting.group_id) is None:
        return False
    if minutes.comment_audience == Minutes.Audience.GROUP:
        return True
    return _attended(member, minutes.meeting)


def may_read_minutes(member: Member | None, minutes: Minutes) -> bool:
    if member is None or not member.is_active:
        return False
    meeting = minutes.meeting
    if may_manage_minutes(member, meeting):
        return True
    if minutes.status == Minutes.Status.PUBLISHED:
        return may_download(member, meeting)
    return _in_comment_audience(member, minutes)


def may_comment_minutes(member: Member | None, minutes: Minutes) -> bool:
    """Readers of draft minutes out for comments who take part (not observers), before the deadline.

    The deadline itself is checked by the service, which says why a late comment is refused.
    """
    if member is None or not member.is_active:
        return False
    if not can(member, Action.ANSWER, minutes.meeting.group_id):
        return False
    return _in_comment_audience(member, minutes)


def readable_minutes(member: Member | None) -> QuerySet[Minutes]:
    """Every minutes the member may read, as one query: for registers, search and lists."""
    if member is None or not member.is_active:
        return Minutes.objects.none()
    roles = current_roles(member)
    managed = [group_id for group_id, role in roles.items() if role in RULES_MANAGE_MINUTES]
    in_group = list(roles)
    attended = Exists(
        Attendance.objects.filter(
            Q(invitation__member=member, status=Attendance.Status.PRESENT) | Q(represented_by=member),
            invitation__meeting=OuterRef("meeting"),
        )
    )
    invited = Exists(
        Invitation.objects.filter(meeting=OuterRef("meeting"), member=member, removed_at__isnull=True)
    )
    published = Q(status=Minutes.Status.PUBLISHED) & (Q(meeting__group_id__in=in_group) | invited)
    out_for_comments = Q(status=Minutes.Status.FOR_COMMENTS, meeting__group_id__in=in_group) & (
        Q(comment_audience=Minutes.Audience.GROUP) | attended
    )
    return Minutes.objects.filter(Q(meeting__group_id__in=managed) | published | out_for_comments)
