"""Attendance on the day: the sheet the secretariat fills in, starting from the answers, and its service.

The sheet is `overview.active_invitations(meeting)` (one query) with, for each invitee, the
status to show (recorded, or derived from the answer) and who may be named as representing them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.access import may_manage
from meetings.models import Attendance, Invitation, Meeting
from meetings.overview import active_invitations
from members.models import Member

Rsvp = Invitation.Rsvp
Status = Attendance.Status

# Where the sheet starts when nothing is recorded yet. Who accepted is expected; who declined
# (or sends a substitute) told us in advance, which is what "excused" means in minutes; who
# did not answer or only said "maybe" is absent until the secretariat sees them.
STATUS_FROM_ANSWER = {
    Rsvp.ACCEPTED: Status.PRESENT,
    Rsvp.DECLINED: Status.EXCUSED,
    Rsvp.DELEGATED: Status.EXCUSED,
    Rsvp.TENTATIVE: Status.ABSENT,
    Rsvp.NONE: Status.ABSENT,
}


def recorded(invitation: Invitation) -> Attendance | None:
    """The invitation's attendance row, if one was recorded (loaded with select_related)."""
    try:
        return invitation.attendance
    except Attendance.DoesNotExist:
        return None


def substitute_member(invitation: Invitation) -> Member | None:
    """The member who may be named as representing this invitee: their substitute, if any."""
    substitute = getattr(invitation, "substitute", None)
    if substitute is None or not substitute.member_id:
        return None
    return substitute.member


@dataclass
class SheetRow:
    invitation: Invitation
    attendance: Attendance | None
    status: str  # recorded, else derived from the answer
    represented_by: Member | None  # recorded, else the substitute if they accepted
    substitute: Member | None  # who may be chosen as "represented by"


def attendance_sheet(meeting: Meeting) -> list[SheetRow]:
    """One row per active invitee, in the overview's order, pre-filled from the answers."""
    rows = []
    for invitation in active_invitations(meeting):
        attendance = recorded(invitation)
        substitute = substitute_member(invitation)
        if attendance is not None:
            status, represented_by = attendance.status, attendance.represented_by
        else:
            status = STATUS_FROM_ANSWER.get(invitation.rsvp, Status.ABSENT)
            coming = invitation.substitute is not None and invitation.substitute.rsvp == Rsvp.ACCEPTED
            represented_by = substitute if coming else None
        rows.append(SheetRow(invitation, attendance, status, represented_by, substitute))
    return rows


def _check_can_record(meeting: Meeting, now: datetime) -> None:
    if meeting.is_cancelled:
        raise ValidationError(_("This meeting was cancelled: there is no attendance to record."))
    if timezone.localtime(meeting.starts_at).date() > timezone.localtime(now).date():
        raise ValidationError(_("Attendance can be recorded from the day of the meeting."))


@transaction.atomic
def record_attendance(*, meeting: Meeting, by: Member, rows) -> int:
    """Record who was there. `rows`: (invitation_id, status, represented_by_id or None) per invitee.

    Every row must name an active invitation of this meeting, once, with a known status; a
    representative must be that invitee's substitute, present themselves (when listed), and a
    present invitee is not represented.
    Anything wrong changes nothing. Existing rows are updated, not duplicated. Returns how many
    rows were created or changed.
    """
    if not may_manage(by, meeting):
        raise PermissionDenied
    now = timezone.now()
    _check_can_record(meeting, now)

    wanted = [(int(pk), status, int(rep) if rep else None) for pk, status, rep in rows]
    ids = [pk for pk, _status, _rep in wanted]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Each invitee can be listed only once."))
    invitations = {
        invitation.pk: invitation
        for invitation in Invitation.objects.filter(
            meeting=meeting, removed_at__isnull=True, pk__in=ids
        ).select_related("delegated_to")
    }
    if set(ids) - set(invitations):
        raise ValidationError(_("Someone in the list is not invited to this meeting. Nothing was saved."))
    statuses = {pk: status for pk, status, _rep in wanted}
    errors = []
    for pk, status, representative in wanted:
        invitation = invitations[pk]
        if status not in Status.values:
            errors.append(_("Choose present, absent or excused for everyone."))
            continue
        if representative is None:
            continue
        substitute = invitation.delegated_to
        if substitute is None or substitute.removed_at is not None or substitute.member_id != representative:
            errors.append(_("Only an invitee's own substitute can be named as representing them."))
        elif status == Status.PRESENT:
            errors.append(_("Someone who was present is not also represented."))
        elif statuses.get(substitute.pk, Status.PRESENT) != Status.PRESENT:
            errors.append(_("A substitute who was not present cannot represent anyone."))
    if errors:
        raise ValidationError(sorted(set(errors)))

    existing = {
        row.invitation_id: row for row in Attendance.objects.select_for_update().filter(invitation_id__in=ids)
    }
    to_create, to_update = [], []
    for pk, status, representative in wanted:
        row = existing.get(pk)
        if row is None:
            to_create.append(
                Attendance(invitation_id=pk, status=status, represented_by_id=representative, recorded_by=by)
            )
        elif row.status != status or row.represented_by_id != representative:
            row.status, row.represented_by_id, row.recorded_by, row.recorded_at = (
                status,
                representative,
                by,
                now,
            )
            to_update.append(row)
    Attendance.objects.bulk_create(to_create)
    Attendance.objects.bulk_update(to_update, ["status", "represented_by", "recorded_by", "recorded_at"])
    return len(to_create) + len(to_update)
