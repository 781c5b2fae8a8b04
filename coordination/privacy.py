"""A member's own data, across every app (GDPR right of access and portability)."""

from coordination.models import CommitmentPart, ProgressUpdate
from meetings.models import Attendance, CalendarReply, DocumentFile, Invitation, RsvpAnswer
from members.models import JoinInvitation, Member
from members.services import export_member_data


def _when(value) -> str | None:
    return value.isoformat() if value else None


def member_data(member: Member) -> dict:
    """Everything Concerto stores about the member, in a fixed number of queries."""
    data = export_member_data(member=member)
    email = member.user.email
    invitations = (
        Invitation.objects.filter(member=member).select_related("meeting").order_by("meeting__starts_at")
    )
    answers = RsvpAnswer.objects.filter(invitation__member=member).select_related("invitation__meeting")
    attendance = Attendance.objects.filter(invitation__member=member).select_related("invitation__meeting")
    data["meeting_invitations"] = [
        {
            "meeting": invitation.meeting.title,
            "starts_at": _when(invitation.meeting.starts_at),
            "answer": invitation.rsvp,
            "answered_at": _when(invitation.rsvp_at),
            "comment": invitation.rsvp_comment,
            "joining": invitation.attendance_mode,
        }
        for invitation in invitations
    ]
    data["answer_history"] = [
        {
            "meeting": answer.invitation.meeting.title,
            "answer": answer.answer,
            "comment": answer.comment,
            "joining": answer.attendance_mode,
            "through": answer.channel,
            "at": _when(answer.created_at),
        }
        for answer in answers.order_by("created_at", "pk")
    ]
    data["attendance"] = [
        {"meeting": row.invitation.meeting.title, "status": row.status, "recorded_at": _when(row.recorded_at)}
        for row in attendance
    ]
    data["calendar_replies"] = [
        {"received_at": _when(reply.received_at), "answer": reply.partstat, "outcome": reply.outcome}
        for reply in CalendarReply.objects.filter(attendee__iexact=email).order_by("received_at")
    ]
    data["invitations_to_join"] = [
        {"group": invitation.group.name, "role": invitation.role, "sent_at": _when(invitation.created_at)}
        for invitation in JoinInvitation.objects.filter(email__iexact=email).select_related("group")
    ]
    data["documents_you_uploaded"] = [
        {
            "meeting": row.document.meeting.title,
            "file": row.original_name,
            "uploaded_at": _when(row.uploaded_at),
        }
        for row in DocumentFile.objects.filter(uploaded_by=member).select_related("document__meeting")
    ]
    updates = (
        ProgressUpdate.objects.filter(author=member)
        .select_related("part__commitment", "part__administration")
        .prefetch_related("evidence")
        .order_by("created_at", "pk")
    )
    data["progress_updates_you_posted"] = [
        {
            "commitment": update.part.commitment.title,
            "reference": update.part.commitment.reference,
            "administration": update.part.administration.acronym,
            "at": _when(update.created_at),
            "text": update.text,
            "status": update.status,
            "progress": update.progress,
            "no_change": update.no_change,
            "evidence": [row.original_name or row.url for row in update.evidence.all()],
        }
        for update in updates
    ]
    parts = CommitmentPart.objects.filter(focal_points=member).select_related("commitment", "administration")
    data["commitments_you_report_on"] = [
        {
            "commitment": part.commitment.title,
            "reference": part.commitment.reference,
            "administration": part.administration.acronym,
        }
        for part in parts.order_by("commitment__reference", "pk")
    ]
    return data
