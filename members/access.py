"""Who may do what: the one place where roles become permissions.

Views call `member_required` to load request.member, and `can()` / `require()` to check
an action on a group. A group the member cannot see answers 404, never 403, so that
nobody learns what exists in groups they do not belong to.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse

from members.models import Group, Member, Membership

Role = Membership.Role


class Action(StrEnum):
    VIEW = "view"  # read the group, its meetings, documents and minutes
    ANSWER = "answer"  # answer invitations, comment, update own commitments
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, end memberships
    MANAGE_MEETINGS = "manage_meetings"  # schedule, agendas, documents, circulate
    MANAGE_MINUTES = "manage_minutes"  # write, approve and circulate minutes
    MANAGE_REPORTING = "manage_reporting"  # reporting rounds on commitments
    EDIT_PUBLIC_PAGE = "edit_public_page"  # the group's public page


MANAGERS = frozenset({Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARIAT})
PARTICIPANTS = MANAGERS | {Role.MEMBER, Role.SUBSTITUTE}
READERS = PARTICIPANTS | {Role.OBSERVER}

RULES: dict[Action, frozenset[str]] = {
    Action.VIEW: READERS,
    Action.ANSWER: PARTICIPANTS,
    Action.MANAGE_MEMBERS: MANAGERS,
    Action.MANAGE_MEETINGS: MANAGERS,
    Action.MANAGE_MINUTES: MANAGERS,
    Action.MANAGE_REPORTING: MANAGERS,
    Action.EDIT_PUBLIC_PAGE: MANAGERS,
}


def current_roles(member: Member) -> dict[int, str]:
    """{group_id: role} of the member's memberships in force today, cached on the member."""
    cached = getattr(member, "_current_roles", None)
    if cached is None:
        # By start only (the model's ordering by group slug and member name would join two tables):
        # where a membership ends as another in the same group begins, the newer role counts.
        rows = Membership.objects.current().filter(member=member).order_by("start", "pk").values_list("group_id", "role")
        cached = dict(rows)
        member._current_roles = cached
    return cached


def role_in(member: Member | None, group: Group | int) -> str | None:
    if member is None or not member.is_active:
        return None
    group_id = group if isinstance(group, int) else group.pk
    return current_roles(member).get(group_id)


def can(member: Member | None, action: Action, group: Group | int) -> bool:
    role = role_in(member, group)
    return role is not None and role in RULES[action]


def require(member: Member | None, action: Action, group: Group | int) -> None:
    """404 when the member does not belong to the group, 403 when their role does not allow it."""
    if role_in(member, group) is None:
        raise Http404
    if not can(member, action, group):
        raise PermissionDenied


def groups_where(member: Member, action: Action) -> QuerySet[Group]:
    roles = RULES[action]
    ids = [group_id for group_id, role in current_roles(member).items() if role in roles]
    return Group.objects.filter(pk__in=ids)


LEADERS = frozenset({Role.CHAIR, Role.VICE_CHAIR})


def may_grant_role(actor: Member | None, group: Group | int, role: str) -> bool:
    """Whether `actor` may give `role` in the group, today: by invitation, import or change of role.

    Managers give roles; only a chair appoints a chair or vice-chair. The one rule every path
    checks (members.services and members.invitations call it; forms only narrow the choices).
    """
    return role_grants(role_in(actor, group), role)


def role_grants(actor_role: str | None, role: str) -> bool:
    """may_grant_role for someone whose current role in the group is `actor_role` (None: none)."""
    if actor_role not in RULES[Action.MANAGE_MEMBERS]:
        return False
    return role not in LEADERS or actor_role == Role.CHAIR


def current_role_of(member_field: str, group_field: str) -> Subquery:
    """The current role, in the row's group, of the active member a row points to (an annotation),
    for role_grants: reads the rule's input in the same query as the row."""
    rows = Membership.objects.current().filter(
        member=OuterRef(member_field),
        group=OuterRef(group_field),
        member__deactivated_at__isnull=True,
        member__user__is_active=True,
    )
    return Subquery(rows.values("role")[:1])


def grantable_roles(actor: Member | None, group: Group | int, roles=Role) -> list[str]:
    """Those of `roles` that `actor` may give in the group, in their order."""
    return [role for role in roles if may_grant_role(actor, group, role)]


def may_change_membership(actor: Member, membership: Membership, new_role: str | None = None) -> bool:
    """Managers change roles; only a chair appoints or removes a chair or vice-chair."""
    if not may_grant_role(actor, membership.group_id, membership.role):
        return False
    return new_role is None or may_grant_role(actor, membership.group_id, new_role)


def groups_known_to(member: Member) -> QuerySet[Group]:
    """Groups whose names the member may see: their own, and those with a published page."""
    return Group.objects.filter(Q(pk__in=list(current_roles(member))) | Q(is_public=True))


def manages_any_group(member: Member) -> bool:
    return any(role in MANAGERS for role in current_roles(member).values())


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; loads request.member once (with user and administration) or answers 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        member = (
            Member.objects.select_related("user", "administration").active().filter(user=request.user).first()
        )
        if member is None:
            raise PermissionDenied
        request.member = member
        return view(request, *args, **kwargs)

    return wrapper
