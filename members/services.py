"""Writes of the members app: keyword-only arguments, one transaction, side effects after commit."""

import hashlib
import secrets
from datetime import timedelta
from functools import partial
from typing import Required, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import documents
from core.translated import translated_names
from members.access import may_change_membership, may_grant_role
from members.history import forget_member_in_history, history_about
from members.models import (
    Administration,
    Group,
    GroupLink,
    JoinInvitation,
    Member,
    Membership,
    new_feed_token,
)
from members.outbox import MANDATORY_KINDS, OutboundMessage, new_message_id
from members.signals import member_anonymised, membership_ended
from members.tasks import FAILED_INTERRUPTED, REQUEUED_INTERRUPTED, schedule_deliveries, schedule_delivery

Status = OutboundMessage.Status


# --- The outbox -------------------------------------------------------------------------

# Why a row was not sent; stored in English in last_error, translated where it is shown.
SUPPRESSED_NO_ADDRESS = gettext_noop("No email address.")
SUPPRESSED_DEACTIVATED = gettext_noop("The member was deactivated.")
SUPPRESSED_MUTED = gettext_noop("The member turned this kind of email off.")
FAILED_INVALID_ADDRESS = gettext_noop("The email address is not valid.")
OUTBOX_REASONS = frozenset(
    {
        SUPPRESSED_NO_ADDRESS,
        SUPPRESSED_DEACTIVATED,
        SUPPRESSED_MUTED,
        FAILED_INVALID_ADDRESS,
        REQUEUED_INTERRUPTED,
        FAILED_INTERRUPTED,
    }
)


class OutboundFields(TypedDict, total=False):
    """What one email to one recipient is made of: queue_message's keyword arguments."""

    kind: Required[str]
    to_email: Required[str]
    subject: Required[str]
    body_text: Required[str]
    body_html: str
    language: str
    member: Member | None
    batch: str
    batch_title: str
    reply_to: str
    headers: dict | None
    attachments: list[dict] | None
    alternatives: list[dict] | None
    created_by: Member | None


def queue_message(**fields: Unpack[OutboundFields]) -> OutboundMessage:
    """Queue one email to one recipient; it goes out after the surrounding transaction commits.

    The member's notification preferences are applied here (and in queue_messages), and only
    here: an optional kind they turned off, or any email to a deactivated member, is recorded
    as "not sent". An address no provider would take fails at once, so that the sender sees it.
    `batch_title` names the sending on the sender's outbox pages, in the sender's language.
    """
    message = _outbound_row(**fields)
    message.save()
    if message.status == Status.QUEUED:
        # After commit: the worker must see the row, and a rollback must send nothing.
        transaction.on_commit(partial(schedule_delivery, message.pk), robust=True)
    return message


def queue_messages(messages: list[OutboundFields]) -> list[OutboundMessage]:
    """Queue many emails at once, each dict holding queue_message's keyword arguments.

    Each row is what queue_message would write (the same preferences and address checks), but
    the rows are inserted in bulk and, after commit, delivered in chunks: one task per chunk,
    sending over one connection (members.tasks.deliver_messages). Returns the rows, in order.
    """
    rows = [_outbound_row(**message) for message in messages]
    for row in rows:
        row.message_id = new_message_id()  # bulk_create does not call save()
    rows = OutboundMessage.objects.bulk_create(rows, batch_size=BULK_INSERT_SIZE)
    queued = [row.pk for row in rows if row.status == Status.QUEUED]
    if queued:
        # After commit, as queue_message does; a chunk whose task is lost here (the process
        # dies in between) waits for the periodic flush (members.tasks.flush_outbox).
        transaction.on_commit(partial(schedule_deliveries, queued), robust=True)
    return rows


# Rows per INSERT: well below SQLite's limit of variables per statement (32,766) at 18 columns.
BULK_INSERT_SIZE = 500


def _outbound_row(
    *,
    kind: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    language: str = "",
    member: Member | None = None,
    batch: str = "",
    batch_title: str = "",
    reply_to: str = "",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    alternatives: list[dict] | None = None,
    created_by: Member | None = None,
) -> OutboundMessage:
    """The unsaved outbox row for one email: queued, or not sent / failed with the reason."""
    status, reason = Status.QUEUED, ""
    if not to_email:
        status, reason = Status.SUPPRESSED, SUPPRESSED_NO_ADDRESS
    elif member is not None and not member.is_active:
        status, reason = Status.SUPPRESSED, SUPPRESSED_DEACTIVATED
    elif member is not None and kind not in MANDATORY_KINDS and kind in (member.muted_kinds or []):
        status, reason = Status.SUPPRESSED, SUPPRESSED_MUTED
    else:
        try:
            validate_email(to_email)
        except ValidationError:
            status, reason = Status.FAILED, FAILED_INVALID_ADDRESS
    return OutboundMessage(
        kind=kind,
        batch=batch,
        batch_title=batch_title[:255],
        member=member,
        to_email=to_email,
        language=language or (member.language if member else "") or settings.LANGUAGE_CODE,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        reply_to=reply_to,
        headers=headers or {},
        attachments=attachments or [],
        alternatives=alternatives or [],
        created_by=created_by,
        status=status,
        last_error=reason,
    )


@transaction.atomic
def retry_message(*, message: OutboundMessage) -> None:
    """Send a failed message again, at once (the sender's "Send again" button)."""
    # Conditional update: a double click queues the row once.
    now = timezone.now()
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.QUEUED, next_attempt_at=None, status_changed_at=now
    )
    if not updated:
        raise ValidationError(_("Only failed messages can be sent again."))
    message.status, message.next_attempt_at, message.status_changed_at = Status.QUEUED, None, now
    transaction.on_commit(partial(schedule_delivery, message.pk), robust=True)


# anymail's normalized event types -> outbox status. Others ("queued", "sent", "deferred",
# "opened", …) say nothing final about delivery and are ignored.
TRACKING_STATUS = {
    "delivered": Status.DELIVERED,
    "bounced": Status.BOUNCED,
    "complained": Status.COMPLAINED,
    "rejected": Status.FAILED,
    "failed": Status.FAILED,
}


@transaction.atomic
def record_delivery_event(
    *, message_id: str, event_type: str, outbox_id: str = "", description: str = "", recipient: str = ""
) -> bool:
    """Apply a provider's tracking event to its outbox row. Returns whether a row changed.

    A hard bounce flags the member's address, so the directory shows it needs fixing.
    """
    status = TRACKING_STATUS.get(event_type)
    if status is None:
        return False
    rows = OutboundMessage.objects.select_for_update().exclude(status=Status.SUPPRESSED)
    message = rows.filter(provider_message_id=message_id).first() if message_id else None
    outbox_id = str(outbox_id or "")
    if message is None and outbox_id.isdigit():
        message = rows.filter(pk=int(outbox_id)).first()
    if message is None:
        return False
    # The event names its recipient: if it is not this row's, the ids matched by accident
    # (another application on the same provider account), and the row is left alone.
    if recipient and recipient.strip().lower() != message.to_email.lower():
        return False
    # "delivered" after a bounce or complaint must not hide the problem.
    if status == Status.DELIVERED and message.status in {Status.BOUNCED, Status.COMPLAINED}:
        return False
    message.status = status
    message.status_changed_at = timezone.now()
    update_fields = ["status", "status_changed_at"]
    if status != Status.DELIVERED and description:
        message.last_error = description[:2000]
        update_fields.append("last_error")
    message.save(update_fields=update_fields)
    if status == Status.BOUNCED and message.member_id:
        # Only while the member still uses the address that bounced.
        Member.objects.filter(
            pk=message.member_id, email_bounced_at__isnull=True, user__email__iexact=message.to_email
        ).update(email_bounced_at=message.status_changed_at)
    return True


# --- Members and memberships ------------------------------------------------------------


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


MANAGING_ROLES = frozenset({Membership.Role.CHAIR, Membership.Role.VICE_CHAIR, Membership.Role.SECRETARIAT})


def _keep_a_manager(membership: Membership, new_role: str | None) -> None:
    """Refuse to leave a group without anyone to manage it (chair, vice-chair or secretariat)."""
    if membership.role not in MANAGING_ROLES or new_role in MANAGING_ROLES:
        return
    others = (
        Membership.objects.current()
        .select_for_update()
        .filter(group_id=membership.group_id, role__in=MANAGING_ROLES, member__deactivated_at__isnull=True)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ValidationError(
            _("This is the group's last chair, vice-chair or secretariat: appoint another one first.")
        )


ONLY_A_CHAIR = gettext_noop("Only the chair appoints a chair or vice-chair.")
NOT_A_MANAGER = gettext_noop("Only the group's chair, vice-chair or secretariat changes its members.")


def role_refusal(by: Member | None, group: Group | int, role: str) -> str:
    """Why `by` may not give `role` in the group (translated), or "" when they may."""
    if may_grant_role(by, group, role):
        return ""
    return _(ONLY_A_CHAIR) if may_grant_role(by, group, Membership.Role.MEMBER) else _(NOT_A_MANAGER)


@transaction.atomic
def change_role(
    *, membership: Membership, role: str, by: Member | None, substitute_for: Member | None = None
) -> Membership:
    """End the current membership and start a new one with the new role: history is kept.

    `by` must be allowed to change this membership and to give the new role (members.access).
    """
    if membership.end is not None:
        raise ValidationError(_("This membership has already ended."))
    if not may_change_membership(by, membership, role):
        refusal = role_refusal(by, membership.group_id, role) or role_refusal(
            by, membership.group_id, membership.role
        )
        raise ValidationError({"role": [refusal]}, code="not_allowed")
    _keep_a_manager(membership, role)
    return add_membership(
        member=membership.member, group=membership.group, role=role, substitute_for=substitute_for
    )


def _close(membership: Membership, on) -> None:
    """Save the membership's end; what it gave in other apps is withdrawn in this transaction."""
    membership.end = max(on, membership.start)
    membership.save(update_fields=["end"])
    # Not on_commit: access must end with the membership, in the same transaction, or not at all.
    membership_ended.send(sender=Membership, membership=membership)


@transaction.atomic
def end_membership(*, membership: Membership, by: Member | None, on=None) -> Membership:
    """End the membership (today unless `on` says otherwise) and withdraw what it gave.

    `by` must be allowed to change it (members.access); the group keeps at least one manager.
    Receivers of `membership_ended` withdraw, in this transaction, the invitations to the
    group's coming meetings: the meeting pages, documents, calendar files and answer links
    stop working at once.
    """
    if membership.end is not None:
        raise ValidationError(_("This membership has already ended."))
    if not may_change_membership(by, membership):
        raise ValidationError(role_refusal(by, membership.group_id, membership.role), code="not_allowed")
    _keep_a_manager(membership, None)
    _close(membership, on or timezone.localdate())
    return membership


@transaction.atomic
def deactivate_member(*, member: Member) -> Member:
    """End all memberships and stop all emails; past answers and attendance stay.

    A staff action (the admin site), not a group manager's: no role rule applies.
    """
    member.deactivated_at = timezone.now()
    member.save(update_fields=["deactivated_at"])
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])
    # After the flags: what the receivers of membership_ended queue for the member is suppressed.
    today = timezone.localdate()
    for membership in Membership.objects.select_for_update().filter(member=member, end__isnull=True):
        _close(membership, today)
    OutboundMessage.objects.filter(member=member, status=Status.QUEUED).update(
        status=Status.SUPPRESSED, last_error=SUPPRESSED_DEACTIVATED
    )
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
    old_email = user.email
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
    # Invitations to join sent to that address, accepted or not, name the person too.
    JoinInvitation.objects.filter(Q(accepted_by=member) | Q(email__iexact=old_email)).update(
        email=placeholder, name=""
    )
    member_anonymised.send(sender=Member, member=member, old_email=old_email)
    # The history keeps earlier versions of those rows: their personal text goes too.
    forget_member_in_history(member=member, old_email=old_email, placeholder=placeholder)
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


# --- Profile, public page, personal data -----------------------------------------------


@transaction.atomic
def update_profile(
    *,
    member: Member,
    name: str,
    job_title: str,
    administration: Administration | None,
    phone: str,
    language: str,
    timezone_name: str,
    muted_kinds: list[str],
    form_of_address: str | None = None,
) -> Member:
    user = member.user
    user.name = name
    user.language = language
    user.save(update_fields=["name", "language"])
    member.job_title = job_title
    member.administration = administration
    member.phone = phone
    member.timezone = timezone_name
    # Mandatory kinds can never be muted, whatever the form sent.
    member.muted_kinds = sorted(set(muted_kinds) - set(MANDATORY_KINDS))
    fields = ["job_title", "administration", "phone", "timezone", "muted_kinds"]
    if form_of_address is not None:
        member.form_of_address = form_of_address
        fields.append("form_of_address")
    member.save(update_fields=fields)
    return member


@transaction.atomic
def update_public_page(*, group: Group, changes: dict) -> Group:
    allowed = {
        "is_public",
        "contact_email",
        "show_next_meetings",
        *translated_names("name", "mandate", "lines_of_action"),
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Not part of the public page: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(group, field, value)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def add_group_link(*, group: Group, title: dict[str, str], url: str = "", upload=None) -> GroupLink:
    """A useful link, or a public document (checked like every upload), on the group's public page."""
    if bool(url) == bool(upload):
        raise ValidationError(_("Give either an address or a document, not both."))
    fields = {f"title_{code}": title.get(code, "") for code, _n in settings.LANGUAGES}
    if not any(fields.values()):
        raise ValidationError(_("Give the link a title in at least one language."))
    last = group.links.order_by("-position").values_list("position", flat=True).first() or 0
    link = GroupLink(group=group, url=url, position=last + 1, **fields)
    if upload is not None:
        kind = documents.validate_upload(upload)
        upload.name = documents.safe_filename(upload.name or "", kind)
        link.document = upload
    link.save()
    return link


def remove_group_link(*, link) -> None:
    link.delete()


def export_member_data(*, member: Member) -> dict:
    """Everything Concerto stores about the member, for their own download (GDPR art. 15/20)."""
    user = member.user
    memberships = member.memberships.select_related("group", "substitute_for__user").order_by("start")
    messages = OutboundMessage.objects.filter(member=member).order_by("created_at")
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "name": user.name,
            "preferred_language": user.language,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "member": {
            "administration": member.administration.acronym if member.administration_id else None,
            "job_title": member.job_title,
            "phone": member.phone,
            "time_zone": member.timezone,
            "emails_not_wanted": member.muted_kinds,
            "address_bounced_at": member.email_bounced_at.isoformat() if member.email_bounced_at else None,
        },
        "memberships": [
            {
                "group": m.group.name,
                "role": m.role,
                "stands_in_for": m.substitute_for.user.name if m.substitute_for_id else None,
                "start": m.start.isoformat(),
                "end": m.end.isoformat() if m.end else None,
            }
            for m in memberships
        ],
        "emails_sent_to_you": [
            {
                "kind": m.kind,
                "subject": m.subject,
                "status": m.status,
                "queued_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in messages
        ],
        # Changes to your memberships, roles, invitations and answers: who made them and when.
        "history": history_about(member),
    }
