"""Writes of the members app: keyword-only arguments, one transaction, side effects after commit."""

import hashlib
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Administration, Group, JoinInvitation, Member, Membership, User, new_feed_token
from members.outbox import MANDATORY_KINDS, Kind, OutboundMessage

Status = OutboundMessage.Status
OUTBOX_STALE_AFTER = timedelta(minutes=15)


# --- The outbox -------------------------------------------------------------------------


def queue_message(
    *,
    kind: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    language: str = "",
    member: Member | None = None,
    batch: str = "",
    reply_to: str = "",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    alternatives: list[dict] | None = None,
    created_by: Member | None = None,
) -> OutboundMessage:
    """Queue one email to one recipient; it goes out after the surrounding transaction commits.

    The member's notification preferences are applied here, and only here: an optional kind
    they turned off, or any email to a deactivated member, is recorded as "not sent".
    """
    suppressed_because = ""
    if member is not None:
        if not member.is_active:
            suppressed_because = "member deactivated"
        elif kind not in MANDATORY_KINDS and kind in (member.muted_kinds or []):
            suppressed_because = "member turned this kind of email off"
    message = OutboundMessage.objects.create(
        kind=kind,
        batch=batch,
        member=member,
        to_email=to_email,
        language=language or (member.language if member else settings.LANGUAGE_CODE),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        reply_to=reply_to,
        headers=headers or {},
        attachments=attachments or [],
        alternatives=alternatives or [],
        created_by=created_by,
        status=Status.SUPPRESSED if suppressed_because else Status.QUEUED,
        last_error=suppressed_because,
    )
    if not suppressed_because:
        from members.tasks import schedule_delivery

        # After commit: the worker must see the row, and a rollback must send nothing.
        transaction.on_commit(partial(schedule_delivery, message.pk), robust=True)
    return message


def requeue_stale_messages(older_than: timedelta = OUTBOX_STALE_AFTER) -> int:
    """Put back rows a crashed worker left in "sending". Returns how many.

    The row keeps its Message-ID, so in the rare case the crash came after the provider
    accepted the message, receiving mail systems see the same message, not a new one.
    """
    cutoff = timezone.now() - older_than
    return OutboundMessage.objects.filter(status=Status.SENDING, status_changed_at__lte=cutoff).update(
        status=Status.QUEUED, next_attempt_at=None, last_error="requeued after an interrupted attempt"
    )


def retry_message(*, message: OutboundMessage) -> None:
    """Send a failed message again, at once (the sender's "retry" button)."""
    if message.status != Status.FAILED:
        raise ValidationError(_("Only failed messages can be sent again."))
    message.status = Status.QUEUED
    message.next_attempt_at = None
    message.save(update_fields=["status", "next_attempt_at"])
    from members.tasks import schedule_delivery

    transaction.on_commit(partial(schedule_delivery, message.pk), robust=True)


TRACKING_STATUS = {
    "delivered": Status.DELIVERED,
    "bounced": Status.BOUNCED,
    "complained": Status.COMPLAINED,
    "rejected": Status.FAILED,
    "failed": Status.FAILED,
}


@transaction.atomic
def record_delivery_event(
    *, message_id: str, event_type: str, outbox_id: str = "", description: str = ""
) -> bool:
    """Apply a provider's tracking event to its outbox row. Returns whether a row matched.

    A hard bounce flags the member's address, so the directory shows it needs fixing.
    """
    status = TRACKING_STATUS.get(event_type)
    if status is None:
        return False
    rows = OutboundMessage.objects.select_for_update()
    message = rows.filter(provider_message_id=message_id).first() if message_id else None
    if message is None and outbox_id.isdigit():
        message = rows.filter(pk=int(outbox_id)).first()
    if message is None:
        return False
    # "delivered" after a bounce or complaint must not hide the problem.
    if not (status == Status.DELIVERED and message.status in {Status.BOUNCED, Status.COMPLAINED}):
        message.status = status
        message.status_changed_at = timezone.now()
        if description:
            message.last_error = description[:2000]
        message.save(update_fields=["status", "status_changed_at", "last_error"])
    if status == Status.BOUNCED and message.member_id:
        Member.objects.filter(pk=message.member_id, email_bounced_at__isnull=True).update(
            email_bounced_at=timezone.now()
        )
    return True


# --- Members and memberships ------------------------------------------------------------


def create_member(
    *,
    email: str,
    name: str,
    language: str = "en",
    administration: Administration | None = None,
    password: str | None = None,
    job_title: str = "",
) -> Member:
    """Create a person who can sign in (verified address) and their member record."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email, password, name=name, language=language)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return Member.objects.create(user=user, administration=administration, job_title=job_title)


def add_membership(
    *, member: Member, group: Group, role: str, substitute_for: Member | None = None, start=None
) -> Membership:
    """Give the member a role in the group, ending the role they had there before."""
    if role == Membership.Role.SUBSTITUTE:
        if substitute_for is None:
            raise ValidationError(_("A substitute stands in for a named member."))
        if substitute_for.administration_id != member.administration_id:
            raise ValidationError(_("A substitute must belong to the same administration as the member."))
        if substitute_for.pk == member.pk:
            raise ValidationError(_("A member cannot stand in for themselves."))
    elif substitute_for is not None:
        raise ValidationError(_("Only substitutes stand in for another member."))
    start = start or timezone.localdate()
    with transaction.atomic():
        open_ones = Membership.objects.select_for_update().filter(
            member=member, group=group, end__isnull=True
        )
        for previous in open_ones:
            if previous.role == role and previous.substitute_for_id == getattr(substitute_for, "pk", None):
                return previous
            previous.end = max(start, previous.start)
            previous.save(update_fields=["end"])
        return Membership.objects.create(
            member=member, group=group, role=role, substitute_for=substitute_for, start=start
        )


def change_role(*, membership: Membership, role: str, substitute_for: Member | None = None) -> Membership:
    """End the current membership and start a new one with the new role: history is kept."""
    if membership.end is not None:
        raise ValidationError(_("This membership has already ended."))
    return add_membership(
        member=membership.member, group=membership.group, role=role, substitute_for=substitute_for
    )


@transaction.atomic
def end_membership(*, membership: Membership, on=None) -> Membership:
    if membership.end is not None:
        raise ValidationError(_("This membership has already ended."))
    membership.end = max(on or timezone.localdate(), membership.start)
    membership.save(update_fields=["end"])
    return membership


@transaction.atomic
def deactivate_member(*, member: Member) -> Member:
    """End all memberships and stop all emails; past answers and attendance stay."""
    today = timezone.localdate()
    for membership in Membership.objects.select_for_update().filter(member=member, end__isnull=True):
        membership.end = max(today, membership.start)
        membership.save(update_fields=["end"])
    member.deactivated_at = timezone.now()
    member.save(update_fields=["deactivated_at"])
    OutboundMessage.objects.filter(member=member, status=Status.QUEUED).update(
        status=Status.SUPPRESSED, last_error="member deactivated"
    )
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])
    return member


@transaction.atomic
def anonymise_member(*, member: Member) -> Member:
    """Erase a departed member's personal data; their rows stay so history adds up."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    if member.deactivated_at is None:
        raise ValidationError(_("Deactivate the member before anonymising them."))
    if member.anonymised_at is not None:
        raise ValidationError(_("This member is already anonymised."))
    user = member.user
    placeholder = f"anonymised-{member.pk}@invalid.invalid"
    user.email = placeholder
    user.name = _("Former member %(number)s") % {"number": member.pk}
    user.set_unusable_password()
    user.save(update_fields=["email", "name", "password"])
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    member.job_title = member.phone = ""
    member.muted_kinds = []
    member.feed_token = new_feed_token()
    member.anonymised_at = timezone.now()
    member.save(update_fields=["job_title", "phone", "muted_kinds", "feed_token", "anonymised_at"])
    OutboundMessage.objects.filter(member=member).update(
        to_email=placeholder, subject="", body_text="", body_html="", attachments=[], alternatives=[]
    )
    JoinInvitation.objects.filter(accepted_by=member).update(email=placeholder, name="")
    return member


def regenerate_feed_token(*, member: Member) -> str:
    """A new secret calendar feed address; the old one stops working at once."""
    member.feed_token = new_feed_token()
    member.save(update_fields=["feed_token"])
    return member.feed_token


# --- Invitations to join ----------------------------------------------------------------

INVITATION_LIFETIME = timedelta(days=14)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_invitation_token() -> tuple[str, str]:
    """(token for the link, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


__all__ = [
    "Kind",
    "add_membership",
    "anonymise_member",
    "change_role",
    "create_member",
    "deactivate_member",
    "end_membership",
    "queue_message",
    "record_delivery_event",
    "regenerate_feed_token",
    "requeue_stale_messages",
    "retry_message",
]
