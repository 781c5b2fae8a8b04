"""What the pages, emails and calendar files read about one invitee: their language and time
zone, where their replies go, which answers they may give and until when.

Reads only: nothing here writes or sends, so every layer above (builders, sending, services,
views) can use it.

Rules: a removed invitation, a cancelled meeting or one that has taken place takes no answer;
after the meeting's RSVP deadline only the chair or secretariat (Action.MANAGE_MEETINGS in the
meeting's group) may change an answer. An observer of the meeting's group (no Action.ANSWER
there) is invited with the group and says whether they come, but sends no substitute
(`may_send_substitute`).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import LANGUAGE_CODES
from core.timezones import zone_or_default
from meetings.models import Invitation, Meeting
from members.access import RULES, Action, can, role_in
from members.models import Administration, Member, Membership

Rsvp = Invitation.Rsvp
Source = Invitation.Source

# The answers an invitee can give, in the order pages and emails offer them.
ANSWERS = (Rsvp.ACCEPTED, Rsvp.TENTATIVE, Rsvp.DECLINED, Rsvp.DELEGATED)


# Labels of the one-click links and of the answer buttons: what the invitee does.
ANSWER_ACTIONS = {
    Rsvp.ACCEPTED: gettext_lazy("Accept"),
    Rsvp.TENTATIVE: gettext_lazy("Tentative"),
    Rsvp.DECLINED: gettext_lazy("Decline"),
    Rsvp.DELEGATED: gettext_lazy("Send a substitute"),
}


def may_answer_for_others(member: Member | None, meeting: Meeting) -> bool:
    """The chair and secretariat answer for any invitee, also after the deadline."""
    return can(member, Action.MANAGE_MEETINGS, meeting.group_id)


# Invitations whose own terms decide whether a substitute may be sent, whatever the invitee's role
# in the group: the chair chose this person by name, or they are not on the platform.
OWN_TERMS_SOURCES = frozenset({Source.PERSONAL, Source.GUEST})


# Impersonal: the observer reads it, and so does the chair recording an observer's answer.
SUBSTITUTE_REFUSED = gettext_lazy(
    "Observers of this group say whether they will attend, but cannot send someone in their place."
)


def may_send_substitute(invitation: Invitation) -> bool:
    """Whether the invitee may send someone in their place.

    A member of the meeting's group whose role does not allow Action.ANSWER there (an
    observer) may not; guests, personal invitations and people outside the group keep their
    invitation's rules. Reads `invitation.substitute_allowed` when `mark_substitute_rights`
    set it; else looks up the invitee's roles (one query, cached on the member).
    """
    if not invitation.member_id or invitation.source in OWN_TERMS_SOURCES:
        return True
    known = getattr(invitation, "substitute_allowed", None)
    if known is not None:
        return known
    member, group_id = invitation.member, invitation.meeting.group_id
    return role_in(member, group_id) is None or can(member, Action.ANSWER, group_id)


def mark_substitute_rights(meeting: Meeting, invitations: list[Invitation]) -> None:
    """Set `substitute_allowed` on each invitation in one query (emails to many invitees)."""
    member_ids = [i.member_id for i in invitations if i.member_id and i.source not in OWN_TERMS_SOURCES]
    roles = dict(
        Membership.objects.current()
        .filter(group_id=meeting.group_id, member_id__in=member_ids)
        .values_list("member_id", "role")
    )
    for invitation in invitations:
        role = roles.get(invitation.member_id)
        # The same rule as may_send_substitute: outside the group, or a role that may answer.
        invitation.substitute_allowed = role is None or role in RULES[Action.ANSWER]


def mark_replaced(invitations: list[Invitation]) -> None:
    """Set `replaces` on each substitute's invitation: the invitations (member, user and
    administration loaded) of those who sent them in their place. One query, none without substitutes."""
    substitutes = {i.pk: i for i in invitations if i.source == Source.SUBSTITUTE}
    for invitation in invitations:
        invitation.replaces = []
    if not substitutes:
        return
    senders = (
        Invitation.objects.filter(
            delegated_to__in=list(substitutes), rsvp=Rsvp.DELEGATED, removed_at__isnull=True
        )
        .select_related("member__user", "member__administration")
        .order_by("pk")
    )
    for sender in senders:
        substitutes[sender.delegated_to_id].replaces.append(sender)


def answers_for(invitation: Invitation) -> tuple[str, ...]:
    """The answers this invitee may give, in the order pages and emails offer them."""
    if may_send_substitute(invitation):
        return ANSWERS
    return tuple(answer for answer in ANSWERS if answer != Rsvp.DELEGATED)


def deadline_text(meeting: Meeting) -> str:
    """The RSVP deadline in the active time zone, e.g. "14 January 2027, 17:00"."""
    local = timezone.localtime(meeting.rsvp_deadline)
    return date_format(local, "DATETIME_FORMAT")


def closed_reason(invitation: Invitation, *, by: Member | None = None, now=None) -> str:
    """ "" when an answer can be given now (by `by`, or by the invitee when None); else why not.

    After the deadline, an invitee whose invitation came later (a substitute the chair sent)
    may still give a first answer.
    """
    meeting = invitation.meeting
    now = now or timezone.now()
    if invitation.removed_at is not None:
        return _("This person is no longer invited to this meeting.")
    if meeting.is_cancelled:
        return _("This meeting is cancelled.")
    if meeting.status == Meeting.Status.HELD or meeting.ends_at <= now:
        return _("This meeting has already taken place.")
    deadline = meeting.rsvp_deadline
    if deadline and now > deadline and not may_answer_for_others(by, meeting):
        invited_late = (
            invitation.created_at and invitation.created_at > deadline and invitation.rsvp == Rsvp.NONE
        )
        if not invited_late:
            return _(
                "Answers were due by %(deadline)s. To change your answer now, please contact the "
                "chair or the secretariat."
            ) % {"deadline": deadline_text(meeting)}
    return ""


def colleagues_of(invitation: Invitation):
    """Who a member invitee may send in their place: active members of their administration."""
    member = invitation.member if invitation.member_id else None
    if member is None or member.administration_id is None:
        return Member.objects.none()
    return (
        Member.objects.active()
        .filter(administration_id=member.administration_id, anonymised_at__isnull=True)
        .exclude(pk=member.pk)
        .select_related("user")
        .order_by("user__name", "pk")
    )


def invitation_language(invitation: Invitation) -> str:
    """A member's own preference; for a guest, the language chosen when inviting them."""
    if invitation.member_id:
        return invitation.member.language
    return invitation.language or settings.LANGUAGE_CODE


def recipient_timezone(invitation: Invitation) -> str:
    """The member's time zone if it is a valid one; Europe/Brussels for guests."""
    return zone_or_default(invitation.member.timezone if invitation.member_id else "").key


# Invitees who can be emailed: guests, and members who are still active.
REACHABLE = Q(member__isnull=True) | Q(member__deactivated_at__isnull=True, member__user__is_active=True)


# Who the "please answer" reminder is for: no answer yet, or an answer given before the meeting
# moved that is still to confirm.
UNANSWERED = Q(rsvp=Rsvp.NONE) | Q(rsvp_to_confirm=True)


def reply_address(meeting: Meeting) -> str:
    """Replies go to the organiser, or to the group's contact address."""
    if meeting.organiser_id and meeting.organiser.user.email:
        return meeting.organiser.user.email
    return meeting.group.contact_email


def taken_place(meeting: Meeting, now: datetime | None = None) -> bool:
    """Whether the meeting is over: marked as held, or its end has passed. Such a meeting is no
    longer circulated, cancelled or reminded of."""
    return meeting.status == Meeting.Status.HELD or meeting.ends_at <= (now or timezone.now())


def is_to_confirm(invitation: Invitation) -> bool:
    """The answer was given before the meeting moved and the invitee has not confirmed it since."""
    return invitation.rsvp_to_confirm and invitation.rsvp != Rsvp.NONE


def confirmed_new_time(invitation: Invitation, meeting: Meeting) -> bool:
    """The invitee answered after the meeting last moved: their answer holds for the new time."""
    return (
        meeting.time_changed_at is not None
        and not is_to_confirm(invitation)
        and invitation.rsvp != Rsvp.NONE
        and invitation.rsvp_at is not None
        and invitation.rsvp_at >= meeting.time_changed_at
    )


def answer_label(invitation: Invitation) -> str:
    """The answer as the chair reads it, e.g. "Accepted – to confirm for the new time"."""
    label = invitation.get_rsvp_display()
    if is_to_confirm(invitation):
        return _("%(answer)s – to confirm for the new time") % {"answer": label}
    return label


def invitees_by_administration(invitations: list[Invitation]) -> list[dict]:
    """Invitees grouped under their administration (guests last), each group with its answers."""
    groups: dict[int | None, dict] = {}
    for invitation in invitations:
        administration = invitation.member.administration if invitation.member_id else None
        key = administration.pk if administration else None
        group = groups.setdefault(key, {"administration": administration, "invitations": []})
        group["invitations"].append(invitation)
    for group in groups.values():
        group["invitations"].sort(key=lambda i: i.display_name.lower())
        group["represented"] = any(i.rsvp == Invitation.Rsvp.ACCEPTED for i in group["invitations"])
    return sorted(
        groups.values(),
        key=lambda g: (
            g["administration"] is None,
            g["administration"].acronym if g["administration"] else "",
        ),
    )


class InviteeRow(NamedTuple):
    """One invitee as the meeting page lists them: plain values, labels already translated."""

    pk: int
    name: str
    source_label: str
    rsvp: str
    rsvp_label: str


@dataclass
class InviteeOverview:
    """The meeting page's "Who is invited": the invitees grouped by administration (like
    invitees_by_administration), everyone by name, and how many gave each answer."""

    groups: list[dict]
    by_name: list[InviteeRow]
    answers: Counter

    @property
    def count(self) -> int:
        return len(self.by_name)


def invitee_overview(meeting: Meeting) -> InviteeOverview:
    """The active invitees of `meeting` as plain rows, in one query whatever their number.

    Hundreds of rows are read as values, not model instances, and each label is translated once
    per call rather than once per row: at 300 invitees that is most of the page's time. The
    administrations come in the same query (their acronym and names, all the page shows of them).
    """
    rsvp_labels = {value: str(label) for value, label in Rsvp.choices}
    source_labels = {value: str(label) for value, label in Source.choices}
    name_fields = [f"member__administration__name_{code}" for code in LANGUAGE_CODES]
    values = (
        Invitation.objects.filter(meeting_id=meeting.pk, removed_at__isnull=True)
        .values_list(
            "pk",
            "member_id",
            "member__user__name",
            "name",
            "email",
            "source",
            "rsvp",
            "member__administration_id",
            "member__administration__acronym",
            *name_fields,
        )
        .order_by()
    )
    grouped: dict[int | None, list[InviteeRow]] = {}
    administrations: dict[int, Administration] = {}
    answers: Counter = Counter()
    for pk, member_id, user_name, name, email, source, rsvp, administration_id, acronym, *names in values:
        display_name = user_name if member_id else (name or email)
        row = InviteeRow(
            pk, display_name, source_labels.get(source, source), rsvp, rsvp_labels.get(rsvp, rsvp)
        )
        key = administration_id if member_id else None
        grouped.setdefault(key, []).append(row)
        if key is not None and key not in administrations:
            fields = {f"name_{code}": text for code, text in zip(LANGUAGE_CODES, names, strict=True)}
            administrations[key] = Administration(pk=key, acronym=acronym, **fields)
        answers[rsvp] += 1
    groups = []
    for key, rows in grouped.items():
        rows.sort(key=lambda row: row.name.lower())
        groups.append(
            {
                "administration": administrations.get(key) if key is not None else None,
                "invitations": rows,
                "represented": any(row.rsvp == Rsvp.ACCEPTED for row in rows),
            }
        )
    groups.sort(
        key=lambda g: (
            g["administration"] is None,
            g["administration"].acronym if g["administration"] else "",
        )
    )
    by_name = sorted((row for rows in grouped.values() for row in rows), key=lambda row: row.name.lower())
    return InviteeOverview(groups, by_name, answers)


@dataclass
class AttendanceGroup:
    """The attendance rows of one administration (None: guests and people without one)."""

    administration: object
    rows: list = field(default_factory=list)


def attendance_by_administration(sheet: list) -> list[AttendanceGroup]:
    """The attendance sheet's rows (meetings.attendance.SheetRow) grouped by the administration
    they are counted under, by acronym, guests and people without one last; rows keep the sheet's
    order. The minutes page and the minutes PDF both show attendance this way (here, in the reads
    layer, so that neither the page nor the PDF builder imports the other)."""
    groups: dict = {}
    for row in sheet:
        administration = getattr(row.invitation, "counted_administration", None)
        key = administration.pk if administration else None
        groups.setdefault(key, AttendanceGroup(administration)).rows.append(row)
    return sorted(
        groups.values(),
        key=lambda group: (group.administration is None, getattr(group.administration, "acronym", "")),
    )
