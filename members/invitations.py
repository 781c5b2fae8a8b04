"""Invitations to join a group: by email one at a time, or many from a spreadsheet.

The link in the email carries a random token; only its hash is stored. A link works once,
until it expires, and not after it was withdrawn or replaced by a newer invitation.
A spreadsheet import checks every row first and invites nobody unless all rows are valid;
reading the file and checking its header and size is core.spreadsheets'.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import LANGUAGE_CODES
from core.spreadsheets import ImportRejected, RowError, parse_header, read_spreadsheet, row_values, split_rows
from members import services
from members.access import current_role_of, may_grant_role, role_grants
from members.emails import render_email
from members.models import Administration, Group, JoinInvitation, Member, Membership, User
from members.outbox import Kind

Role = Membership.Role

# A substitute stands in for a named member, which an invitation cannot say: invite them as
# a member, then change their role on the group page.
INVITABLE_ROLES = [role for role in Role if role != Role.SUBSTITUTE]
# Tokens are 43 characters (secrets.token_urlsafe(32)); anything much longer is not ours.
_MAX_TOKEN_LENGTH = 100


# --- One invitation -------------------------------------------------------------------------


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _current_member_emails(group: Group, emails: list[str]) -> set[str]:
    """Those of `emails` that belong to someone with a current membership in the group."""
    rows = (
        Membership.objects.current()
        .filter(group=group, member__user__email__in=emails)
        .values_list("member__user__email", flat=True)
    )
    return {email.lower() for email in rows}


def _deactivated_emails(emails: list[str]) -> set[str]:
    """Those of `emails` whose account or member record was deactivated."""
    rows = User.objects.filter(email__in=emails).filter(is_active=False)
    rows_member = Member.objects.filter(user__email__in=emails, deactivated_at__isnull=False)
    return {e.lower() for e in rows.values_list("email", flat=True)} | {
        e.lower() for e in rows_member.values_list("user__email", flat=True)
    }


def join_url(token: str) -> str:
    return settings.SITE_URL + reverse("members:join", args=[token])


def _batch(group: Group) -> str:
    # One batch per group and day: the outbox page shows a sending's invitations together.
    return f"join-{group.pk}-{timezone.localdate().isoformat()}"


@transaction.atomic
def invite_to_group(
    *,
    by: Member,
    group: Group,
    email: str,
    name: str,
    language: str,
    role: str = Role.MEMBER,
    administration: Administration | None = None,
) -> JoinInvitation:
    """Invite a person by email to join the group; queues the email. Replaces an earlier pending one.

    The email is written in the person's own language: the one of their account if they
    have one already, otherwise the language given here.
    """
    email = _normalize_email(email)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    if not name:
        errors["name"] = [_("Enter the person's name.")]
    if language not in LANGUAGE_CODES:
        errors["language"] = [_("Choose Dutch, French, German or English.")]
    if role not in INVITABLE_ROLES:
        errors["role"] = [_("This role cannot be given by invitation.")]
    elif refusal := services.role_refusal(by, group, role):
        errors["role"] = [refusal]
    if "email" not in errors:
        if _current_member_emails(group, [email]):
            errors["email"] = [_("This person is already a member of the group.")]
        elif _deactivated_emails([email]):
            errors["email"] = [_("The account of this person was deactivated: it cannot be invited.")]
    if errors:
        raise ValidationError(errors)

    existing = User.objects.filter(email__iexact=email).select_related("member").first()
    member = getattr(existing, "member", None) if existing else None
    if existing is not None:
        language = existing.language

    now = timezone.now()
    # A newer invitation replaces the earlier ones: only the latest link works.
    JoinInvitation.objects.pending().filter(group=group, email__iexact=email).update(revoked_at=now)

    token, token_hash = services.new_invitation_token()
    invitation = JoinInvitation.objects.create(
        email=email,
        name=name,
        language=language,
        group=group,
        role=role,
        administration=administration,
        token_hash=token_hash,
        invited_by=by,
        created_at=now,
        expires_at=now + services.INVITATION_LIFETIME,
    )
    # The templates read the group's name and the role's label: both come out in `language`.
    context = {
        "invitation": invitation,
        "inviter_name": by.user.name if by else "",
        "join_url": join_url(token),
        "has_account": existing is not None,
    }
    subject, text, html = render_email(
        "members/email/join_invitation", context, language=language, tz=settings.TIME_ZONE
    )
    services.queue_message(
        kind=Kind.JOIN_INVITATION,
        to_email=email,
        subject=subject,
        body_text=text,
        body_html=html,
        language=language,
        member=member,
        batch=_batch(group),
        reply_to=by.user.email if by else "",
        created_by=by,
    )
    return invitation


class Problem(StrEnum):
    UNKNOWN = "unknown"  # no such token: mistyped, truncated or made up
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"  # withdrawn, or replaced by a newer invitation
    NOT_ALLOWED = "not_allowed"  # the person who sent it may no longer give its role


# What the visitor of a link that does not work reads; shown in the invitee's language.
PROBLEM_TEXTS = {
    Problem.UNKNOWN: (
        gettext_lazy("This invitation link is not valid"),
        gettext_lazy(
            "The link may be incomplete: check that you copied all of it from the email. "
            "If it still does not work, ask the person who invited you for a new invitation."
        ),
    ),
    Problem.EXPIRED: (
        gettext_lazy("This invitation has expired"),
        gettext_lazy(
            "Invitation links work for a limited time. Ask the person who invited you to send a new one."
        ),
    ),
    Problem.USED: (
        gettext_lazy("This invitation has already been used"),
        gettext_lazy(
            "Each invitation link works once. If you accepted it, sign in to reach the group. "
            "If you did not, ask the person who invited you for a new invitation."
        ),
    ),
    Problem.REVOKED: (
        gettext_lazy("This invitation was withdrawn"),
        gettext_lazy(
            "It was cancelled or replaced by a newer invitation: use the link in the most recent "
            "email, or ask the person who invited you."
        ),
    ),
    Problem.NOT_ALLOWED: (
        gettext_lazy("This invitation can no longer be accepted"),
        gettext_lazy(
            "The person who invited you may no longer give the role this invitation offers. "
            "Ask the group's chair or secretariat for a new invitation."
        ),
    ),
}


def inviter_may_grant(invitation: JoinInvitation) -> bool:
    """Whether the person who sent the invitation may give its role in its group now (one query)."""
    return may_grant_role(invitation.invited_by, invitation.group_id, invitation.role)


def problem_of(invitation: JoinInvitation) -> Problem | None:
    if invitation.accepted_at is not None:
        return Problem.USED
    if invitation.revoked_at is not None:
        return Problem.REVOKED
    if invitation.is_expired:
        return Problem.EXPIRED
    return None


def find_invitation(token: str) -> tuple[JoinInvitation | None, Problem | None]:
    """(invitation, problem): the invitation of a link, and why it cannot be used, if it cannot."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None, Problem.UNKNOWN
    rows = JoinInvitation.objects.select_related("group", "administration", "invited_by__user")
    # The inviter's role now, in the same query: whether they may still give the invitation's role.
    rows = rows.annotate(inviter_role=current_role_of("invited_by", "group"))
    invitation = rows.filter(token_hash=services.hash_token(token)).first()
    if invitation is None:
        return None, Problem.UNKNOWN
    problem = problem_of(invitation)
    if problem is None and not role_grants(invitation.inviter_role, invitation.role):
        problem = Problem.NOT_ALLOWED
    return invitation, problem


@transaction.atomic
def accept_invitation(*, invitation: JoinInvitation, user: User) -> Membership:
    """Make the user a member of the invitation's group with its role. Works once.

    Creates the member record if the user has none (with the invitation's administration).
    """
    # Locked: two clicks, or two browsers, cannot both use the link.
    locked = JoinInvitation.objects.select_for_update().get(pk=invitation.pk)
    problem = problem_of(locked)
    if problem is not None:
        raise ValidationError(PROBLEM_TEXTS[problem][0], code=problem.value)
    if _normalize_email(user.email) != _normalize_email(locked.email):
        raise ValidationError(_("This invitation was sent to another email address."), code="other_email")
    # The role is given now, so the inviter must be allowed to give it now: a secretariat's
    # invitation to be chair, or one sent by someone who has since left, gives nothing.
    if not inviter_may_grant(locked):
        raise ValidationError(PROBLEM_TEXTS[Problem.NOT_ALLOWED][1], code=Problem.NOT_ALLOWED.value)

    member = Member.objects.select_related("user").filter(user=user).first()
    if member is None:
        member = Member.objects.create(user=user, administration=locked.administration)
    elif not member.is_active:
        raise ValidationError(_("Your account was deactivated."), code="deactivated")
    elif member.administration_id is None and locked.administration_id is not None:
        member.administration = locked.administration
        member.save(update_fields=["administration"])

    membership = Membership.objects.current().filter(member=member, group=locked.group).first()
    if membership is None:
        membership = services.add_membership(member=member, group=locked.group, role=locked.role)
    # Someone who became a member in the meantime keeps the role they have now.

    locked.accepted_at = timezone.now()
    locked.accepted_by = member
    locked.save(update_fields=["accepted_at", "accepted_by"])
    invitation.accepted_at, invitation.accepted_by = locked.accepted_at, member
    return membership


@transaction.atomic
def revoke_invitation(*, invitation: JoinInvitation) -> JoinInvitation:
    """Withdraw a pending invitation: its link stops working at once."""
    updated = JoinInvitation.objects.pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())
    if not updated:
        raise ValidationError(_("Only invitations that are still pending can be withdrawn."))
    invitation.refresh_from_db(fields=["revoked_at"])
    return invitation


def invitations_for_list(group: Group):
    """Every invitation of the group, with what invitation_list.html reads, in one query."""
    return (
        JoinInvitation.objects.filter(group=group)
        .select_related("administration", "invited_by__user", "accepted_by__user")
        .order_by("-created_at", "-pk")
    )


# --- Many invitations from a spreadsheet -------------------------------------------------------
# Reading the file, the header and the row limit are core.spreadsheets'.

REQUIRED_COLUMNS = ("email", "name", "language", "administration")
OPTIONAL_COLUMNS = ("role",)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_COLUMN_ALIASES = {"e-mail": "email", "mail": "email"}


def _header(cells: list[str], number: int) -> tuple[dict[str, int], list[RowError]]:
    """{column: index}, or the errors of a header row that lacks or repeats columns."""
    return parse_header(cells, number, columns=COLUMNS, required=REQUIRED_COLUMNS, aliases=_COLUMN_ALIASES)


def _role_lookup() -> dict[str, str]:
    """Accepted spellings of each role: its value, and its label in English and every language."""
    lookup = {}
    for code in LANGUAGE_CODES:
        with translation.override(code):
            for role in Role:
                lookup[str(role.label).strip().lower()] = role.value
    for role in Role:
        lookup[role.value] = role.value
        lookup[role.value.replace("_", "-")] = role.value
        lookup[role.value.replace("_", " ")] = role.value
    return lookup


@dataclass
class _Row:
    number: int
    email: str
    name: str
    language: str
    administration: Administration | None
    role: str


class _RowChecker:
    """Checks the data rows of an import against each other and the database (a fixed number of queries)."""

    def __init__(self, group: Group, emails: list[str], by: Member | None) -> None:
        # What the importer may not give, and why: their role is read once, not per row.
        self.refusals = {role: services.role_refusal(by, group, role) for role in INVITABLE_ROLES}
        self.administrations = {a.acronym.lower(): a for a in Administration.objects.filter(is_active=True)}
        self.roles = _role_lookup()
        self.taken = _current_member_emails(group, emails)
        self.deactivated = _deactivated_emails(emails)
        self.first_row_of: dict[str, int] = {}

    def check(self, number: int, values: dict[str, str]) -> tuple[_Row | None, list[RowError]]:
        errors: list[RowError] = []
        email = self._email(values["email"].lower(), number, errors)
        name = values["name"]
        if not name:
            errors.append(RowError(number, "name", _("The name is missing.")))
        elif len(name) > 150:
            errors.append(RowError(number, "name", _("The name is longer than 150 characters.")))

        language = values["language"].lower()
        if language not in LANGUAGE_CODES:
            message = _("“%(value)s” is not a language: write nl, fr, de or en.")
            errors.append(RowError(number, "language", message % {"value": values["language"]}))

        acronym = values["administration"]
        administration = self.administrations.get(acronym.lower()) if acronym else None
        if acronym and administration is None:
            message = _("No active administration has the acronym “%(value)s”.")
            errors.append(RowError(number, "administration", message % {"value": acronym}))

        role_text = values["role"]
        role = self.roles.get(role_text.lower(), "") if role_text else Role.MEMBER.value
        if not role:
            message = _("“%(value)s” is not a role.") % {"value": role_text}
            errors.append(RowError(number, "role", message))
        elif role not in INVITABLE_ROLES:
            message = _("Substitutes cannot be invited: invite them as members, then change their role.")
            errors.append(RowError(number, "role", message))
        elif self.refusals[role]:
            errors.append(RowError(number, "role", self.refusals[role]))

        if errors:
            return None, errors
        return _Row(number, email, name, language, administration, role), []

    def _email(self, email: str, number: int, errors: list[RowError]) -> str:
        message = ""
        if not email:
            message = _("The email address is missing.")
        else:
            try:
                validate_email(email)
            except ValidationError:
                message = _("“%(value)s” is not a valid email address.") % {"value": email}
            else:
                if email in self.first_row_of:
                    message = _("%(email)s is already on row %(row)d.") % {
                        "email": email,
                        "row": self.first_row_of[email],
                    }
                elif email in self.taken:
                    message = _("%(email)s is already a member of the group.") % {"email": email}
                elif email in self.deactivated:
                    message = _("The account of %(email)s was deactivated: it cannot be invited.") % {
                        "email": email
                    }
                self.first_row_of.setdefault(email, number)
        if message:
            errors.append(RowError(number, "email", message))
        return email


def _validate_rows(
    group: Group, rows: list[tuple[int, list[str]]], by: Member | None
) -> tuple[list[_Row], list[RowError]]:
    """The rows to invite, or every error of the file (header first: without columns, rows mean nothing)."""
    no_one = _("The file has a header row but no one to invite.")
    positions, data_rows, errors = split_rows(rows, header=_header, no_data_message=no_one)
    if errors:
        return [], errors
    records = [(number, row_values(cells, positions, COLUMNS)) for number, cells in data_rows]
    checker = _RowChecker(group, [values["email"].lower() for _n, values in records], by)
    valid = []
    for number, values in records:
        row, row_errors = checker.check(number, values)
        errors.extend(row_errors)
        if row is not None:
            valid.append(row)
    return valid, errors


def import_invitations(*, by: Member, group: Group, uploaded_file: UploadedFile) -> list[JoinInvitation]:
    """Invite everyone listed in a CSV or XLSX file, or nobody: raises ImportRejected with every error."""
    valid, errors = _validate_rows(group, read_spreadsheet(uploaded_file), by)
    if errors:
        raise ImportRejected(errors)
    invitations = []
    with transaction.atomic():
        for row in valid:
            try:
                invitation = invite_to_group(
                    by=by,
                    group=group,
                    email=row.email,
                    name=row.name,
                    language=row.language,
                    role=row.role,
                    administration=row.administration,
                )
            except ValidationError as error:
                # Checked above already; only a change made meanwhile gets here. Nobody is invited.
                raise ImportRejected(
                    [
                        RowError(row.number, field, message)
                        for field, messages in error.message_dict.items()
                        for message in messages
                    ]
                ) from error
            invitations.append(invitation)
    return invitations
