"""Who may see and change meetings: the one place where these rules live.

Reading follows Meeting.objects.visible_to (the meeting's group, or a personal invitation);
writing needs Action.MANAGE_MEETINGS in the meeting's group (chair, vice-chair, secretariat).
A meeting the member cannot see answers 404, never 403, so nobody learns what exists.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from meetings.models import Meeting
from members.access import Action, can, require, role_in
from members.models import Group, Member


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
