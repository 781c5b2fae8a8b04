"""Visits: when a member was last seen, and where their previous visit ended.

A visit starts after a pause of PAUSE without a request. The start page shows what is new
since the previous visit. Recording costs one UPDATE at most every THROTTLE per member and
web process (members.middleware.VisitMiddleware decides when).
"""

from datetime import datetime, timedelta

from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from members.models import Member

PAUSE = timedelta(minutes=30)
THROTTLE = timedelta(minutes=5)


def record_visit(*, user_id: int, now: datetime | None = None) -> None:
    """Mark the user's member as seen now; after a pause, the previous visit ends where they were last seen."""
    now = now or timezone.now()
    new_visit = Q(last_seen_at__lt=now - PAUSE)
    Member.objects.filter(user_id=user_id).update(
        previous_visit_at=Case(When(new_visit, then=F("last_seen_at")), default=F("previous_visit_at")),
        last_seen_at=Value(now),
    )


def new_since(member: Member, now: datetime | None = None) -> datetime | None:
    """The moment after which things are new to the member: the end of their previous visit.

    None for a member never seen before. Correct whether or not the current visit was
    recorded yet (the throttle may not have written it).
    """
    now = now or timezone.now()
    if member.last_seen_at is not None and member.last_seen_at < now - PAUSE:
        return member.last_seen_at
    return member.previous_visit_at
