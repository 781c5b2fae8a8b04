"""A member's own data, across every app (GDPR right of access and portability)."""

from meetings.models import Invitation
from members.models import Member
from members.services import export_member_data


def member_data(member: Member) -> dict:
    data = export_member_data(member=member)
    invitations = (
        Invitation.objects.filter(member=member).select_related("meeting").order_by("meeting__starts_at")
    )
    data["meeting_invitations"] = [
        {
            "meeting": invitation.meeting.title,
            "starts_at": invitation.meeting.starts_at.isoformat(),
            "answer": invitation.rsvp,
            "answered_at": invitation.rsvp_at.isoformat() if invitation.rsvp_at else None,
        }
        for invitation in invitations
    ]
    return data
