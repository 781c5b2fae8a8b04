"""Attendance on the day: the sheet the secretariat fills in, starting from the answers, and its service.

The sheet is `answers.active_invitations(meeting)` (one query) with, for each invitee, the
status to show (recorded, or derived from the answer) and who may be named as representing them:
the active members of their administration (one more query for the whole sheet), their own
substitute, or a guest written by name.

An administration has a hundred or more members, and a sheet of 300 invitees would offer tens of
thousands of colleagues: the colleagues are read as plain (pk, name) pairs, and the rows of one
administration share one tuple of them (SheetRow.administration_colleagues) rather than each
holding its own list.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.access import may_manage
from meetings.answers import active_invitations
from meetings.models import Attendance, Invitation, Meeting
from members.models import Member

NAME_MAX_LENGTH = Attendance._meta.get_field("represented_by_name").max_length

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


class Colleague(NamedTuple):
    """A member who may be chosen as representing an invitee."""

    pk: int
    name: str


@dataclass
class SheetRow:
    invitation: Invitation
    attendance: Attendance | None
    status: str  # recorded, else derived from the answer
    represented_by: Member | None  # recorded, else the substitute if they accepted
    substitute: Member | None  # the member named as substitute beforehand, if any
    # A guest who stood in, by name: recorded, else a guest substitute who accepted.
    represented_by_name: str = ""
    # Whether the sheet asks who represented this invitee (not for those standing in for others).
    representable: bool = True
    # The active members of the invitee's administration, by name, the invitee among them: one
    # tuple shared by the sheet's rows of that administration. Empty when the row offers none.
    administration_colleagues: tuple[Colleague, ...] = ()

    @property
    def colleagues(self) -> list[Colleague]:
        """Who may be chosen as "represented by": the substitute first, then the invitee's
        colleagues (not the invitee)."""
        if not self.representable:
            return []
        substitute = self.substitute.pk if self.substitute is not None else None
        own = self.invitation.member_id
        chosen = [c for c in self.administration_colleagues if c.pk != own and c.pk != substitute]
        if self.substitute is not None:
            chosen.insert(0, Colleague(self.substitute.pk, self.substitute.user.name))
        return chosen

    @property
    def offers_colleagues(self) -> bool:
        """Whether `colleagues` is not empty, without building it."""
        if not self.representable:
            return False
        if self.substitute is not None:
            return True
        own = self.invitation.member_id
        return any(c.pk != own for c in self.administration_colleagues)

    @property
    def representative_name(self) -> str:
        """Who represented the invitee, as the printed list and the exports show it."""
        if self.represented_by is not None:
            return self.represented_by.user.name
        return self.represented_by_name


def _colleagues_by_administration(invitations: list[Invitation]) -> dict[int, tuple[Colleague, ...]]:
    """{administration pk: its active members by name} for the invitees' administrations. One query."""
    ids = {invitation.member.administration_id for invitation in invitations if invitation.member_id}
    ids.discard(None)
    colleagues: dict[int, list[Colleague]] = {}
    if ids:
        rows = (
            Member.objects.active()
            .filter(administration_id__in=ids)
            .order_by("user__name", "pk")
            .values_list("administration_id", "pk", "user__name")
        )
        for administration, pk, name in rows:
            colleagues.setdefault(administration, []).append(Colleague(pk, name))
    return {administration: tuple(members) for administration, members in colleagues.items()}


def _representable(invitation: Invitation) -> bool:
    return not invitation.stands_in_for


def attendance_sheet(meeting: Meeting, *, with_colleagues: bool = True) -> list[SheetRow]:
    """One row per active invitee, in the overview's order, pre-filled from the answers.

    Without `with_colleagues` (the printed list, the exports), rows offer no colleagues to
    choose and the sheet takes one query less.
    """
    invitations = active_invitations(meeting)
    colleagues = _colleagues_by_administration(invitations) if with_colleagues else {}
    rows = []
    for invitation in invitations:
        attendance = recorded(invitation)
        substitute = substitute_member(invitation)
        representable = _representable(invitation)
        own = invitation.member.administration_id if invitation.member_id else None
        shared = colleagues.get(own, ()) if representable else ()
        if attendance is not None:
            status, represented_by = attendance.status, attendance.represented_by
            name = attendance.represented_by_name
        else:
            status = STATUS_FROM_ANSWER.get(invitation.rsvp, Status.ABSENT)
            coming = invitation.substitute is not None and invitation.substitute.rsvp == Rsvp.ACCEPTED
            represented_by = substitute if coming else None
            name = invitation.substitute.display_name if coming and substitute is None else ""
        rows.append(
            SheetRow(invitation, attendance, status, represented_by, substitute, name, representable, shared)
        )
    return rows


def _check_can_record(meeting: Meeting, now: datetime) -> None:
    if meeting.is_cancelled:
        raise ValidationError(_("This meeting was cancelled: there is no attendance to record."))
    if timezone.localtime(meeting.starts_at).date() > timezone.localtime(now).date():
        raise ValidationError(_("Attendance can be recorded from the day of the meeting."))


def _wanted(rows) -> list[tuple[int, str, int | None, str]]:
    """(invitation pk, status, representative member pk or None, guest name) per row; rows may
    leave out the guest name."""
    wanted = []
    for row in rows:
        pk, status, representative, *rest = row
        name = " ".join(str(rest[0] if rest else "").split())
        wanted.append((int(pk), status, int(representative) if representative else None, name))
    return wanted


def _representative_error(invitation: Invitation, representative: Member | None, pk: int) -> str:
    """Why `representative` (the member with pk `pk`) cannot represent this invitee, or ""."""
    invitee = invitation.display_name
    if representative is None:
        return _("Someone named as representing %(invitee)s is not a member of the platform.") % {
            "invitee": invitee
        }
    substitute = invitation.delegated_to
    if substitute is not None and substitute.removed_at is None and substitute.member_id == pk:
        return ""
    if pk == invitation.member_id:
        return _("%(invitee)s cannot represent themselves.") % {"invitee": invitee}
    administration = invitation.member.administration if invitation.member_id else None
    if administration is None:
        return _(
            "Only %(invitee)s's own substitute can be chosen from the members; write anyone else's name as a guest."
        ) % {"invitee": invitee}
    if representative.administration_id != administration.pk:
        return _(
            "%(member)s is not a member of %(administration)s: only a colleague from the same "
            "administration, or a guest by name, can represent %(invitee)s."
        ) % {"member": representative.user.name, "administration": administration.acronym, "invitee": invitee}
    if not representative.is_active:
        return _(
            "%(member)s is no longer an active member: choose another colleague or write a guest's name."
        ) % {"member": representative.user.name}
    return ""


@transaction.atomic
def record_attendance(*, meeting: Meeting, by: Member, rows) -> int:
    """Record who was there. `rows`: (invitation_id, status, represented_by_id or None[, guest
    name]) per invitee.

    Every row must name an active invitation of this meeting, once, with a known status. An
    invitee who was not present may be represented by their own substitute, an active colleague
    of their administration, or a guest by name (not both a member and a name); a representative
    who is on the list must have been present. Anything wrong changes nothing. Existing rows are
    updated, not duplicated. Returns how many rows were created or changed.
    """
    if not may_manage(by, meeting):
        raise PermissionDenied
    now = timezone.now()
    _check_can_record(meeting, now)

    wanted = _wanted(rows)
    ids = [pk for pk, _status, _rep, _name in wanted]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Each invitee can be listed only once."))
    invitations = {
        invitation.pk: invitation
        for invitation in Invitation.objects.filter(
            meeting=meeting, removed_at__isnull=True, pk__in=ids
        ).select_related("delegated_to", "member__user", "member__administration")
    }
    if set(ids) - set(invitations):
        raise ValidationError(_("Someone in the list is not invited to this meeting. Nothing was saved."))
    # Whether each listed member was there: a representative on the list must have been present.
    member_status = {
        invitations[pk].member_id: status for pk, status, _rep, _name in wanted if invitations[pk].member_id
    }
    representatives = {
        member.pk: member
        for member in Member.objects.filter(
            pk__in={rep for _pk, _status, rep, _name in wanted if rep is not None}
        ).select_related("user")
    }
    errors = []
    for pk, status, representative, name in wanted:
        invitation = invitations[pk]
        if status not in Status.values:
            errors.append(_("Choose present, absent or excused for everyone."))
            continue
        if representative is None and not name:
            continue
        if representative is not None and name:
            errors.append(
                _("Choose a colleague or write a guest's name for %(invitee)s, not both.")
                % {"invitee": invitation.display_name}
            )
        elif len(name) > NAME_MAX_LENGTH:
            errors.append(
                _("A guest's name can be at most %(count)d characters long.") % {"count": NAME_MAX_LENGTH}
            )
        elif representative is not None and (
            error := _representative_error(invitation, representatives.get(representative), representative)
        ):
            errors.append(error)
        elif status == Status.PRESENT:
            errors.append(_("Someone who was present is not also represented."))
        elif member_status.get(representative, Status.PRESENT) != Status.PRESENT:
            errors.append(
                _("%(name)s was not present and cannot represent anyone.")
                % {"name": representatives[representative].user.name}
            )
    if errors:
        raise ValidationError(sorted(set(errors)))

    existing = {
        row.invitation_id: row for row in Attendance.objects.select_for_update().filter(invitation_id__in=ids)
    }
    to_create, to_update = [], []
    for pk, status, representative, name in wanted:
        row = existing.get(pk)
        if row is None:
            to_create.append(
                Attendance(
                    invitation_id=pk,
                    status=status,
                    represented_by_id=representative,
                    represented_by_name=name,
                    recorded_by=by,
                )
            )
        elif (row.status, row.represented_by_id, row.represented_by_name) != (status, representative, name):
            row.status, row.represented_by_id, row.represented_by_name = status, representative, name
            row.recorded_by, row.recorded_at = by, now
            to_update.append(row)
    Attendance.objects.bulk_create(to_create)
    Attendance.objects.bulk_update(
        to_update, ["status", "represented_by", "represented_by_name", "recorded_by", "recorded_at"]
    )
    return len(to_create) + len(to_update)
