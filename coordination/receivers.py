"""What coordination does when meetings tells it something (connected in apps.py)."""

from coordination import services
from meetings.models import Minutes
from members.models import Member


def make_commitments_from_minutes(sender, *, minutes: Minutes, by: Member | None = None, **kwargs) -> None:
    """meetings.signals.minutes_approved: the minutes' action items become commitments."""
    services.commitments_from_minutes(minutes=minutes, by=by)
