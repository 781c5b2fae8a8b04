"""A membership ended: its invitations to the group's coming meetings are withdrawn at once.

members.services.end_membership (and deactivate_member) send members.signals.membership_ended
inside their transaction; meetings/apps.py connects `on_membership_ended`. It does for that
member's group, right away, what the hourly `sync_invitations` command does for every meeting:
meetings.services.sync_invitations on each coming meeting the member is invited to as part of
the group. Their meeting pages, documents, calendar files and answer links stop working in the
same transaction; once the agenda was circulated they get a cancellation (queued, sent after
commit). Past meetings, answers and attendance stay.
"""

from django.db import transaction
from django.utils import timezone

from meetings import services
from meetings.models import Invitation, Meeting
from members.models import Membership

# What the hourly sync handles, plus drafts: they hold invitations too.
_COMING = (Meeting.Status.DRAFT, Meeting.Status.SCHEDULED)


@transaction.atomic
def withdraw_invitations(*, membership: Membership) -> int:
    """Bring in line with the group every coming meeting the member holds a group invitation to.

    Returns the number of invitations withdrawn (the member's, and any other the sync finds).
    """
    invited = Invitation.objects.filter(
        member_id=membership.member_id, removed_at__isnull=True, source=Invitation.Source.GROUP
    ).values("meeting_id")
    meetings = (
        Meeting.objects.select_for_update()
        .filter(
            group_id=membership.group_id, status__in=_COMING, starts_at__gt=timezone.now(), pk__in=invited
        )
        .order_by("pk")
    )
    removed = 0
    for meeting in meetings:
        _added, gone = services.sync_invitations(meeting=meeting, by=None)
        removed += len(gone)
    return removed


def on_membership_ended(sender, *, membership: Membership, **kwargs) -> None:
    withdraw_invitations(membership=membership)
