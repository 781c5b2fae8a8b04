"""The chair's overview of the answers to one meeting, and the "remind those who have not answered" button.

`answers_overview` reads everything in a fixed number of queries (one list of invitations,
the invited administrations, the group's administrations, the reminders still in the
outbox) and groups it in Python. `remind_unanswered` is the service behind the button.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import emails
from meetings.access import may_manage
from meetings.invitees import (
    REACHABLE,
    answer_label,
    confirmed_new_time,
    deadline_text,
    is_to_confirm,
    mark_substitute_rights,
    taken_place,
)
from meetings.models import Invitation, Meeting
from meetings.sending import queue_meeting_email
from members.models import Administration, Member, Membership
from members.outbox import OutboundMessage

Rsvp = Invitation.Rsvp
Level = Administration.Level

# An administration counts as (possibly) represented when one of its people said yes or maybe.
COMING = frozenset({Rsvp.ACCEPTED, Rsvp.TENTATIVE})
# A person reminded (by the chair or automatically) less than this long ago is not reminded again:
# pressing the button twice in a row, or right after the automatic reminder, sends nothing more.
REMIND_AGAIN_AFTER = timedelta(hours=24)
# Outbox rows that still wait for the worker: a reminder among them is not queued a second time.
PENDING = (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING)


def chair_reminder_batch(meeting: Meeting) -> str:
    """The outbox batch of the reminders sent with the button (all pressings of one meeting)."""
    return f"meeting-{meeting.pk}-reminder-chair"


def _reminder_batches(meeting: Meeting) -> list[str]:
    # The automatic reminder's batch is named in meetings.circulation.send_due_reminders.
    return [chair_reminder_batch(meeting), f"meeting-{meeting.pk}-reminder-unanswered"]


@dataclass
class AdministrationAnswers:
    administration: Administration
    invitations: list[Invitation]
    represented: bool
    # [(label, count)] of the answers given in this administration, in the order of the choices.
    summary: list[tuple[str, int]]


@dataclass
class LevelAnswers:
    level: str
    label: str
    administrations: list[AdministrationAnswers]
    summary: list[tuple[str, int]]
    invited_count: int


@dataclass
class AnswersOverview:
    meeting: Meeting
    invitations: list[Invitation]
    # [(value, label, count)] for every answer, zeros included.
    counts: list[tuple[str, str, int]]
    levels: list[LevelAnswers]
    # Guests, and members without an administration.
    guests: list[Invitation]
    not_represented: list[Administration]
    # Who the button would remind now, and who was reminded too recently to be reminded again.
    remindable: list[Invitation] = field(default_factory=list)
    recently_reminded: int = 0
    # Whether the chair's button already queued reminders for this meeting (the outbox has them).
    chair_reminders_sent: bool = False
    # Why nobody can be reminded although some have not answered (answering has closed); else "".
    reminders_closed: str = ""
    # After the meeting moved (Meeting.time_changed_at): answers given since, and answers still
    # standing for the old time that the invitee has not confirmed yet.
    confirmed_count: int = 0
    to_confirm_count: int = 0

    @property
    def invited_count(self) -> int:
        return len(self.invitations)


def answer_summary(invitations: list[Invitation]) -> list[tuple[str, int]]:
    counts = Counter(invitation.rsvp for invitation in invitations)
    return [(label, counts[value]) for value, label in Rsvp.choices if counts[value]]


def active_invitations(meeting: Meeting) -> list[Invitation]:
    """The meeting's invitations that are not removed, with what the overview, the attendance
    sheet and their exports read: member, user, administration, substitute, attendance.

    Each invitation points at `meeting`, gets `substitute` (the active invitation of whoever
    stands in for them, or None), `stands_in_for` (the invitations they stand in for) and
    `counted_administration` (see `counted_administration`).
    Sorted by counted administration level, acronym, then name; guests last.
    """
    rows = (
        meeting.invitations.filter(removed_at__isnull=True)
        .select_related(
            "member__user",
            "member__administration",
            "delegated_to__member__user",
            "attendance__represented_by__user",
        )
        .order_by("pk")
    )
    invitations = list(rows)
    by_pk = {invitation.pk: invitation for invitation in invitations}
    for invitation in invitations:
        invitation.meeting = meeting
        invitation.stands_in_for = []
    for invitation in invitations:
        # A substitute whose invitation was since removed does not stand in for anyone.
        substitute = by_pk.get(invitation.delegated_to_id) if invitation.delegated_to_id else None
        invitation.substitute = substitute
        if substitute is not None:
            substitute.stands_in_for.append(invitation)
    for invitation in invitations:
        invitation.counted_administration = counted_administration(invitation)
    invitations.sort(key=_sort_key)
    return invitations


LEVEL_ORDER = {value: index for index, value in enumerate(Level.values)}


def _administration(invitation: Invitation) -> Administration | None:
    return invitation.member.administration if invitation.member_id else None


def counted_administration(invitation: Invitation) -> Administration | None:
    """The administration an invitee is counted under: a substitute (invited as such) counts for
    the administration of the person they stand in for, whether they are a colleague, someone
    of another administration or a guest; everyone else for their own administration.

    Needs `stands_in_for`, as set by `active_invitations`.
    """
    if invitation.source == Invitation.Source.SUBSTITUTE:
        for absent in getattr(invitation, "stands_in_for", []):
            if (administration := _administration(absent)) is not None:
                return administration
    return _administration(invitation)


def _sort_key(invitation: Invitation) -> tuple:
    administration = invitation.counted_administration
    if administration is None:
        return (1, 0, "", invitation.display_name.lower())
    return (
        0,
        LEVEL_ORDER.get(administration.level, 99),
        administration.acronym,
        invitation.display_name.lower(),
    )


def _expected_administrations(meeting: Meeting, invitations: list[Invitation]) -> dict[int, Administration]:
    """Administrations the meeting invites: those of the invited members (substitutes aside),
    the invited administrations and, for a whole-group invitation, every administration with
    an active current member in the group."""
    expected = {
        administration.pk: administration
        for invitation in invitations
        if invitation.source != Invitation.Source.SUBSTITUTE
        and (administration := _administration(invitation)) is not None
    }
    for administration in meeting.invited_administrations.all():
        expected.setdefault(administration.pk, administration)
    if meeting.invite_whole_group:
        in_group = (
            Membership.objects.current()
            .filter(group_id=meeting.group_id, member__administration=OuterRef("pk"))
            .filter(member__deactivated_at__isnull=True, member__user__is_active=True)
        )
        for administration in Administration.objects.filter(Exists(in_group)):
            expected.setdefault(administration.pk, administration)
    return expected


def _represented(invitations: list[Invitation]) -> set[int]:
    """Pks of the administrations someone (or a substitute for someone) comes for."""
    represented = set()
    for invitation in invitations:
        if invitation.rsvp not in COMING:
            continue
        if (administration := invitation.counted_administration) is not None:
            represented.add(administration.pk)
        # A substitute who comes represents the administration of the person they stand in for.
        for absent in invitation.stands_in_for:
            if (administration := _administration(absent)) is not None:
                represented.add(administration.pk)
    return represented


def _reminders_in_outbox(meeting: Meeting) -> tuple[set[int], set[str], bool]:
    """(member pks, lower-case addresses) with a reminder of this meeting still waiting in the
    outbox, and whether the button was ever used for this meeting. One query."""
    chair_batch = chair_reminder_batch(meeting)
    rows = OutboundMessage.objects.filter(batch__in=_reminder_batches(meeting))
    members, addresses, pressed = set(), set(), False
    for batch, member_id, address, status in rows.values_list("batch", "member_id", "to_email", "status"):
        pressed = pressed or batch == chair_batch
        if status not in PENDING:
            continue
        if member_id:
            members.add(member_id)
        addresses.add(address.lower())
    return members, addresses, pressed


def _may_be_reminded(invitation: Invitation) -> bool:
    """Active, not answered (or answered before the meeting moved and not confirmed since), was
    sent the invitation, and can be emailed (a guest or an active member)."""
    waiting = invitation.rsvp == Rsvp.NONE or is_to_confirm(invitation)
    if not waiting or invitation.removed_at is not None or invitation.sent_sequence is None:
        return False
    return invitation.member_id is None or invitation.member.is_active


def _recently_reminded(invitation: Invitation, now: datetime) -> bool:
    sent = invitation.unanswered_reminder_sent_at
    return sent is not None and sent > now - REMIND_AGAIN_AFTER


def answers_overview(meeting: Meeting) -> AnswersOverview:
    """Who answered what, by level and administration, and who is not represented.

    Three or four queries whatever the number of invitees (invitations, invited
    administrations, the group's administrations for a whole-group invitation, pending reminders).
    """
    invitations = active_invitations(meeting)
    counts = Counter(invitation.rsvp for invitation in invitations)
    levels: dict[str, dict[int, list[Invitation]]] = {}
    guests = []
    confirmed = to_confirm = 0
    for invitation in invitations:
        invitation.to_confirm = is_to_confirm(invitation)
        invitation.confirmed_new_time = confirmed_new_time(invitation, meeting)
        invitation.answer_label = answer_label(invitation)
        to_confirm += invitation.to_confirm
        confirmed += invitation.confirmed_new_time
        administration = invitation.counted_administration
        if administration is None:
            guests.append(invitation)
            continue
        levels.setdefault(administration.level, {}).setdefault(administration.pk, []).append(invitation)

    represented = _represented(invitations)
    level_rows = []
    for level, label in Level.choices:
        if level not in levels:
            continue
        administrations = [
            AdministrationAnswers(
                administration=members[0].counted_administration,
                invitations=members,
                represented=pk in represented,
                summary=answer_summary(members),
            )
            for pk, members in levels[level].items()
        ]
        everyone = [invitation for group in administrations for invitation in group.invitations]
        level_rows.append(
            LevelAnswers(
                level=level,
                label=label,
                administrations=administrations,
                summary=answer_summary(everyone),
                invited_count=len(everyone),
            )
        )

    expected = _expected_administrations(meeting, invitations)
    not_represented = sorted(
        (administration for pk, administration in expected.items() if pk not in represented),
        key=lambda a: (LEVEL_ORDER.get(a.level, 99), a.acronym),
    )

    now = timezone.now()
    pending_members, pending_addresses, pressed = _reminders_in_outbox(meeting)
    reminders_closed = _answering_closed(meeting, now)
    remindable, recent = [], 0
    for invitation in invitations:
        if reminders_closed or not _may_be_reminded(invitation):
            continue
        if (
            _recently_reminded(invitation, now)
            or invitation.member_id in pending_members
            or invitation.recipient_email.lower() in pending_addresses
        ):
            recent += 1
        else:
            remindable.append(invitation)

    return AnswersOverview(
        meeting=meeting,
        invitations=invitations,
        counts=[(value, label, counts[value]) for value, label in Rsvp.choices],
        levels=level_rows,
        guests=guests,
        not_represented=not_represented,
        remindable=remindable,
        recently_reminded=recent,
        chair_reminders_sent=pressed,
        reminders_closed=reminders_closed,
        confirmed_count=confirmed,
        to_confirm_count=to_confirm,
    )


# --- The reminder button --------------------------------------------------------------------


def _answering_closed(meeting: Meeting, now: datetime) -> str:
    """Why a reminder to answer makes no sense any more (the RSVP deadline passed), else ""."""
    if meeting.rsvp_deadline and meeting.rsvp_deadline <= now:
        return _("Answers were due by %(deadline)s: answering has closed, so nobody is reminded.") % {
            "deadline": deadline_text(meeting)
        }
    return ""


def _check_can_remind(meeting: Meeting, now: datetime) -> None:
    if meeting.is_cancelled:
        raise ValidationError(_("This meeting was cancelled: nobody is reminded."))
    if taken_place(meeting, now):
        raise ValidationError(_("This meeting is over: nobody is reminded."))
    if meeting.circulated_at is None:
        raise ValidationError(
            _("The agenda has not been circulated yet: invitees have no invitation to answer.")
        )
    closed = _answering_closed(meeting, now)
    if closed:
        raise ValidationError(closed)


@transaction.atomic
def remind_unanswered(*, meeting: Meeting, by: Member) -> int:
    """Queue a reminder to every invitee who has not answered, or whose answer was given before
    the meeting moved and is not confirmed yet; returns how many were queued.

    ValidationError when there is nothing to remind of: the meeting is cancelled or over, was
    not circulated, or its RSVP deadline has passed. Each person gets at most one per pressing,
    none if they were reminded less than REMIND_AGAIN_AFTER ago or a reminder for them still
    waits in the outbox. Each reminder is claimed first with a conditional UPDATE on
    unanswered_reminder_sent_at, so two pressings at the same moment (or a pressing and the
    automatic reminders) remind a person once.
    """
    if not may_manage(by, meeting):
        raise PermissionDenied
    now = timezone.now()
    _check_can_remind(meeting, now)

    pending_members, pending_addresses, _pressed = _reminders_in_outbox(meeting)
    not_recent = Q(unanswered_reminder_sent_at__isnull=True) | Q(
        unanswered_reminder_sent_at__lte=now - REMIND_AGAIN_AFTER
    )
    waiting = Q(rsvp=Rsvp.NONE) | Q(rsvp_to_confirm=True)
    still_due = Q(removed_at__isnull=True, sent_sequence__isnull=False) & waiting & REACHABLE & not_recent
    candidates = list(
        Invitation.objects.filter(still_due, meeting=meeting).select_related("member__user").order_by("pk")
    )
    if not candidates:
        return 0

    # The emails read the agenda and documents, the organiser (reply address) and the group,
    # and whether each invitee may send a substitute (their one-click links).
    loaded = Meeting.objects.with_detail_data().get(pk=meeting.pk)
    mark_substitute_rights(loaded, candidates)
    batch = chair_reminder_batch(meeting)
    seen: set[str] = set()
    queued = 0
    for invitation in candidates:
        address = invitation.recipient_email.lower()
        if address in seen or address in pending_addresses or invitation.member_id in pending_members:
            continue
        # A conditional UPDATE, not save(): it leaves no history row, on purpose (the reminder's
        # time is unlabelled bookkeeping the history never shows; the outbox keeps the message).
        claimed = Invitation.objects.filter(still_due, pk=invitation.pk).update(
            unanswered_reminder_sent_at=now
        )
        if not claimed:  # another pressing, or the automatic reminder, got there first
            continue
        seen.add(address)
        invitation.meeting = loaded
        email = emails.reminder_email(invitation, "unanswered")
        queue_meeting_email(email, invitation, batch=batch, by=by)
        queued += 1
    return queued
