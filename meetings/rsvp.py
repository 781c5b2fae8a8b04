"""Answering invitations: accepted, tentative, declined, or a substitute sent in one's place.

Every answer, whatever its channel (the meeting page, the one-click link of the email, the
invitee's calendar, the chair), goes through `record_rsvp` or `delegate`: one transaction that
locks the invitation row, appends the answer to its history (RsvpAnswer) and sets it as the
current one. Concurrent answers to one invitation therefore run one after the other, and the
current answer is always the last one committed.

How one joins (on site or online) is asked of hybrid meetings only. Who may answer, and
until when, is read from meetings.invitees; the one-click links are in meetings.links.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.i18n import LANGUAGE_CODES
from meetings import sending
from meetings.invitees import (
    ANSWER_ACTIONS,
    ANSWERS,
    SUBSTITUTE_REFUSED,
    closed_reason,
    may_answer_for_others,
    may_send_substitute,
)
from meetings.models import AttendanceMode, Invitation, Meeting, RsvpAnswer
from members.models import Member, User

Rsvp = Invitation.Rsvp
Channel = RsvpAnswer.Channel
Source = Invitation.Source

MAX_COMMENT = 1000
# Answers given without signing in: the token or the calendar proved who answers.
SIGNED_OUT_CHANNELS = frozenset({Channel.EMAIL_LINK, Channel.CALENDAR})


def _check_may_answer(invitation: Invitation, *, by: Member | None, channel: str) -> None:
    """PermissionDenied when `by` may not answer for this invitee; ValidationError when closed."""
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    meeting = invitation.meeting
    if by is None:
        if channel not in SIGNED_OUT_CHANNELS:
            raise PermissionDenied
    elif (by.pk != invitation.member_id or channel == Channel.CHAIR) and not may_answer_for_others(
        by, meeting
    ):
        # Someone else's answer, or the chair's channel: only the chair or secretariat.
        raise PermissionDenied
    reason = closed_reason(invitation, by=by)
    if reason:
        raise ValidationError(reason)


def _clean_comment(comment: str | None, invitation: Invitation) -> str:
    """The comment to store; None keeps the current one (a quick answer button sends none)."""
    if comment is None:
        return invitation.rsvp_comment
    comment = comment.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            {"comment": _("The comment can be at most %(max)d characters long.") % {"max": MAX_COMMENT}}
        )
    return comment


def _clean_mode(invitation: Invitation, answer: str, mode: str | None) -> str:
    """The attendance mode to store; None keeps the current one (a calendar does not say)."""
    if answer not in (Rsvp.ACCEPTED, Rsvp.TENTATIVE):
        return ""
    if mode is None:
        return invitation.attendance_mode if invitation.meeting.format == Meeting.Format.HYBRID else ""
    if not mode:
        return ""
    if invitation.meeting.format != Meeting.Format.HYBRID:
        raise ValidationError(
            {"attendance_mode": _("Joining on site or online can only be chosen for a hybrid meeting.")}
        )
    if mode not in AttendanceMode.values:
        raise ValidationError({"attendance_mode": _("Choose on site or online.")})
    return mode


def _locked(invitation: Invitation) -> Invitation:
    """The invitation's row, locked until the end of the transaction, with meeting and member."""
    # of=("self",): lock the invitation only (and PostgreSQL refuses to lock the nullable
    # side of the outer join to a guest's missing member).
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("meeting__group", "member__user", "member__administration")
        .get(pk=invitation.pk)
    )


def _save_answer(
    invitation: Invitation,
    *,
    answer: str,
    by: Member | None,
    channel: str,
    comment: str,
    attendance_mode: str,
    delegated_to: Invitation | None = None,
    confirms: bool = True,
) -> Invitation:
    # The time is taken once the row is locked, so the history's order is the commit order.
    now = timezone.now()
    RsvpAnswer.objects.create(
        invitation=invitation,
        answer=answer,
        comment=comment,
        attendance_mode=attendance_mode,
        channel=channel,
        answered_by=by,
        created_at=now,
    )
    invitation.rsvp = answer
    invitation.rsvp_at = now
    invitation.rsvp_comment = comment
    invitation.attendance_mode = attendance_mode
    invitation.delegated_to = delegated_to
    # An answer given for the meeting's current version confirms it for the current time.
    if confirms:
        invitation.rsvp_to_confirm = False
    fields = ["rsvp", "rsvp_at", "rsvp_comment", "attendance_mode", "delegated_to", "rsvp_to_confirm"]
    invitation.save(update_fields=fields)
    return invitation


# --- Services -----------------------------------------------------------------------------------


@transaction.atomic
def record_rsvp(
    *,
    invitation: Invitation,
    answer: str,
    by: Member | None = None,
    channel: str,
    comment: str | None = "",
    attendance_mode: str | None = "",
    for_current_version: bool = True,
) -> Invitation:
    """Record an answer (accepted, tentative or declined) and return the updated invitation.

    `by` is who answers: the invitee themself, or the chair or secretariat for someone else;
    None when a one-click link or a calendar reply proved who answers. `comment` and
    `attendance_mode` None keep the current ones. Sending a substitute goes through `delegate`.
    The answer clears `rsvp_to_confirm`, unless `for_current_version` is False (a calendar
    answering a version sent before the meeting last changed).
    """
    if answer == Rsvp.DELEGATED:
        raise ValidationError({"substitute": _("Choose who will attend in your place.")})
    if answer not in ANSWERS:
        raise ValidationError({"answer": _("Choose accept, tentative, decline or send a substitute.")})
    locked = _locked(invitation)
    _check_may_answer(locked, by=by, channel=channel)
    return _save_answer(
        locked,
        answer=answer,
        by=by,
        channel=channel,
        comment=_clean_comment(comment, locked),
        attendance_mode=_clean_mode(locked, answer, attendance_mode),
        confirms=for_current_version,
    )


def _substitute_member(invitation: Invitation, substitute: Member, *, field: str = "substitute") -> Member:
    """The substitute, reloaded, if they may stand in for the invitee; ValidationError on `field`."""
    row = Member.objects.select_related("user", "administration").filter(pk=substitute.pk).first()
    if row is None or not row.is_active or row.anonymised_at is not None:
        raise ValidationError({field: _("This person is no longer active on the platform.")})
    if row.pk == invitation.member_id:
        raise ValidationError({field: _("Choose someone other than the invitee.")})
    own = invitation.member.administration if invitation.member_id else None
    if own is None or row.administration_id != own.pk:
        if own is None:
            message = _("A substitute must come from the invitee's administration.")
        else:
            message = _("A substitute must come from the same administration (%(administration)s).") % {
                "administration": own.name
            }
        raise ValidationError({field: message})
    return row


def _private_substitute(invitation: Invitation, email: str) -> Member | None:
    """The member an address typed on the signed-out page stands for, if they may stand in; else None.

    None makes the address a guest invitation. Whether the address has an account, is active,
    or belongs to another administration is therefore never told to whoever holds the link:
    the page answers the same, and the person at that address is invited either way.
    """
    own = invitation.member.administration_id if invitation.member_id else None
    if own is None:
        return None
    return (
        Member.objects.active()
        .filter(user__email__iexact=email, administration_id=own, anonymised_at__isnull=True)
        .exclude(pk=invitation.member_id)
        .select_related("user", "administration")
        .first()
    )


@transaction.atomic
def delegate(
    *,
    invitation: Invitation,
    by: Member | None,
    substitute: Member | None = None,
    email: str = "",
    name: str = "",
    language: str = "",
    channel: str = Channel.WEB,
    comment: str | None = "",
) -> Invitation:
    """Send a substitute: the invitee's answer becomes "delegated". Returns the substitute's invitation.

    The substitute is a colleague of the invitee's administration (`substitute`), or someone
    without an account, by `email` (a guest invitation, with `name` and `language`). An address
    that belongs to a member is that member. The substitute gets their own invitation (source
    SUBSTITUTE, or the one they already hold) and answers for themselves; when the agenda was
    already circulated, it is queued for them in this transaction. An observer of the group
    sends nobody (`may_send_substitute`).

    Signed out (the one-click link, whose holder may not be the invitee), who is on the platform
    is not told: an address is that member only if they may stand in (an active colleague of
    the invitee's administration), else it is a guest invitation by address with the name
    typed, and no error names or describes an account. See `_private_substitute`.
    """
    if substitute is not None and email:
        raise ValidationError(
            {"substitute_email": _("Choose a colleague or give an email address, not both.")}
        )
    email = (email or "").strip().lower()
    if substitute is None and not email:
        raise ValidationError(
            {"substitute": _("Choose a colleague, or give the email address of the person who will attend.")}
        )
    if language and language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose one of the platform's languages.")})
    # The meeting first, as the invitation services do: one new invitation at a time.
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=invitation.meeting_id)
    locked = _locked(invitation)
    locked.meeting = meeting
    _check_may_answer(locked, by=by, channel=channel)
    if not may_send_substitute(locked):
        raise ValidationError({"answer": SUBSTITUTE_REFUSED})
    comment = _clean_comment(comment, locked)

    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"substitute_email": _("Enter a valid email address.")}) from exc
        if email == (locked.recipient_email or "").lower():
            raise ValidationError({"substitute_email": _("Choose someone other than the invitee.")})
        if channel in SIGNED_OUT_CHANNELS:
            substitute = _private_substitute(locked, email)
        else:
            user = User.objects.filter(email__iexact=email).select_related("member").first()
            substitute = getattr(user, "member", None) if user is not None else None
    if substitute is not None:
        substitute = _substitute_member(
            locked, substitute, field="substitute_email" if email else "substitute"
        )
        existing = meeting.invitations.filter(member=substitute).first()
    else:
        existing = meeting.invitations.filter(member__isnull=True, email__iexact=email).first()

    if existing is not None and existing.removed_at is None and existing.delegated_to_id == locked.pk:
        # Signed out, the address typed, not the name of an account.
        shown = email if email and channel in SIGNED_OUT_CHANNELS else existing.display_name
        raise ValidationError(
            {"substitute": _("%(name)s already sends this invitee in their place.") % {"name": shown}}
        )
    if substitute is not None:
        wanted_language = substitute.language
    else:
        wanted_language = language or locked.language or settings.LANGUAGE_CODE

    is_new = existing is None or existing.removed_at is not None
    if existing is None:
        replacement = Invitation(
            meeting=meeting,
            member=substitute,
            email="" if substitute else email,
            name="" if substitute else (name or "").strip()[:150],
            language=wanted_language,
            source=Source.SUBSTITUTE,
        )
        replacement.save()
    elif existing.removed_at is not None:
        # Invited again, as a substitute: a fresh invitation without the old answer.
        replacement = existing
        replacement.removed_at = None
        replacement.source = Source.SUBSTITUTE
        replacement.language = wanted_language
        replacement.rsvp = Rsvp.NONE
        replacement.rsvp_at = None
        replacement.rsvp_to_confirm = False
        replacement.rsvp_comment = ""
        replacement.attendance_mode = ""
        replacement.delegated_to = None
        replacement.sent_sequence = None
        if substitute is None and name:
            replacement.name = name.strip()[:150]
        replacement.save()
    else:
        replacement = existing  # already invited: they have the meeting and answer for themselves
    if substitute is not None:
        replacement.member = substitute  # loaded with its user: no query to show the name

    _save_answer(
        locked,
        answer=Rsvp.DELEGATED,
        by=by,
        channel=channel,
        comment=comment,
        attendance_mode="",
        delegated_to=replacement,
    )
    if is_new and meeting.circulated_at is not None:
        # In this transaction, like circulate_agenda: the outbox row commits with the answer, so
        # an email that fails to render undoes the answer instead of going missing after commit.
        sending.send_to_new_invitees(meeting=meeting, invitations=[replacement], by=by)
    return replacement


# --- What the meeting page shows ---------------------------------------------------------------


def answer_context(member: Member, meeting: Meeting, invitation: Invitation | None = None) -> dict:
    """Context of templates/meetings/_answer_form.html, without a query (the chair's links to
    record anyone's answer come with the page's kept parts, meetings/page_parts.py).

    `meeting` has `active_invitations` (at least the member's own and their substitute's);
    `invitation` is the member's own, when the caller already found it.
    """
    active = getattr(meeting, "active_invitations", None) or []
    if invitation is None:
        invitation = next((i for i in active if i.member_id == member.pk), None)
    if invitation is not None:
        invitation.meeting = meeting
        invitation.member = member  # its roles are loaded already: no query for may_send_substitute
    closed = closed_reason(invitation, by=member) if invitation is not None else ""
    substitute_id = invitation.delegated_to_id if invitation is not None else None
    return {
        "answer_invitation": invitation,
        "answer_substitute": next((i for i in active if substitute_id and i.pk == substitute_id), None),
        "answer_closed": closed,
        "answer_may_delegate": invitation is not None and may_send_substitute(invitation),
        "answer_choices": [
            (answer, ANSWER_ACTIONS[answer]) for answer in ANSWERS if answer != Rsvp.DELEGATED
        ],
        "answer_modes": AttendanceMode.choices if meeting.format == Meeting.Format.HYBRID else [],
        "answer_max_comment": MAX_COMMENT,
    }
