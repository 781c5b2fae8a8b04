"""The decisions register's reads: the decisions a member may see, and what its filters offer.

Who may read which minutes is meetings.access.readable_minutes; a decision is visible exactly
when its minutes are.
"""

from datetime import datetime

from django.db.models import QuerySet

from meetings.access import readable_minutes
from meetings.models import Decision, Meeting
from members.access import current_roles
from members.models import Group, Member


def visible_decisions(member: Member | None) -> QuerySet[Decision]:
    """Every decision in minutes the member may read, with its item, meeting and group: everything
    the register's table reads, in one query."""
    return Decision.objects.filter(minutes__in=readable_minutes(member)).select_related(
        "item", "minutes__meeting__group"
    )


def register_groups(member: Member | None) -> QuerySet[Group]:
    """The groups offered by the register's group filter: the member's current groups only."""
    if member is None or not member.is_active:
        return Group.objects.none()
    return Group.objects.filter(pk__in=list(current_roles(member))).order_by("slug")


def register_meetings(member: Member | None) -> QuerySet[Meeting]:
    """The meetings with at least one decision the member may see, newest first."""
    with_decisions = Decision.objects.filter(minutes__in=readable_minutes(member)).values("minutes__meeting")
    return Meeting.objects.filter(pk__in=with_decisions).order_by("-starts_at", "-pk")


def register_years(member: Member | None) -> list[int]:
    """The years (in the active time zone) of the meetings with a decision the member may see,
    newest first."""
    moments: QuerySet[datetime] = register_meetings(member).datetimes("starts_at", "year", order="DESC")
    return [moment.year for moment in moments]
