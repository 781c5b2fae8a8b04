"""Who may see and change plans, commitments and parts: the one place for these rules.

Built on members.access (roles in force today, cached on the member):

- **See** a plan, or a commitment: a current member of its owner group (any role, observers
  included), or a focal point of one of its parts (an administration's focal point need not
  belong to the owner group). The plan page then lists only the commitments they may see.
- **Report on a part** (post a progress update): that part's focal points, and the owner
  group's chair, vice-chair and secretariat (Action.MANAGE_REPORTING). Other members of the
  group, including colleagues of the same administration who are not focal points, read only.
- **Manage** a plan, its editions, chapters, commitments, parts, milestones and indicators:
  the owner group's chair, vice-chair and secretariat (Action.MANAGE_REPORTING). A plan is
  created for a group the member manages.

What the member may not see answers 404 (nobody learns what exists elsewhere); what they may
see but not change answers 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from coordination.models import ActionPlan, Commitment, CommitmentPart
from members.access import Action, can, groups_where, role_in
from members.models import Group, Member

MANAGE = Action.MANAGE_REPORTING


def can_manage_group(member: Member | None, group: Group | int) -> bool:
    return can(member, MANAGE, group)


def managed_groups(member: Member) -> QuerySet[Group]:
    """Groups for which the member may create and manage plans and commitments."""
    return groups_where(member, MANAGE)


def can_manage_plan(member: Member | None, plan: ActionPlan) -> bool:
    return can_manage_group(member, plan.owner_group_id)


def can_manage_commitment(member: Member | None, commitment: Commitment) -> bool:
    return can_manage_group(member, commitment.owner_group_id)


def is_focal_point(member: Member | None, part: CommitmentPart) -> bool:
    """Whether the member is one of the part's focal points; reads `focal_point_list` when prefetched."""
    if member is None or not member.is_active:
        return False
    loaded = getattr(part, "focal_point_list", None)
    if loaded is not None:
        return any(point.pk == member.pk for point in loaded)
    return part.focal_points.filter(pk=member.pk).exists()


def can_report_on(member: Member | None, part: CommitmentPart) -> bool:
    """Whether the member may post a progress update on the part."""
    return is_focal_point(member, part) or can_manage_commitment(member, part.commitment)


def in_owner_group(member: Member | None, group_id: int) -> bool:
    return role_in(member, group_id) is not None


def get_plan(member: Member, slug: str, *, manage: bool = False) -> ActionPlan:
    """The plan if the member may see it (else 404); 403 when `manage` and they may not manage it."""
    plan = get_object_or_404(ActionPlan.objects.visible_to(member).select_related("owner_group"), slug=slug)
    if manage and not can_manage_plan(member, plan):
        raise PermissionDenied
    return plan


def get_commitment(
    member: Member, pk: int, *, manage: bool = False, queryset: QuerySet[Commitment] | None = None
) -> Commitment:
    """The commitment if the member may see it (else 404); 403 when `manage` and they may not manage it."""
    rows = queryset if queryset is not None else Commitment.objects.all()
    commitment = get_object_or_404(rows.visible_to(member), pk=pk)
    if manage and not can_manage_commitment(member, commitment):
        raise PermissionDenied
    return commitment


def get_part_to_report(member: Member, pk: int) -> CommitmentPart:
    """The part if the member may see its commitment (else 404) and report on it (else 403)."""
    visible = Commitment.objects.visible_to(member)
    part = get_object_or_404(
        CommitmentPart.objects.select_related(
            "administration", "commitment__edition__plan", "commitment__lead_administration"
        ).filter(commitment__in=visible),
        pk=pk,
    )
    if not can_report_on(member, part):
        raise PermissionDenied
    return part
