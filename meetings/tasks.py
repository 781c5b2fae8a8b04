"""Background work of the meetings app. Tasks take JSON arguments and are safe to run twice."""

from django.tasks import task
from django.utils.dateparse import parse_datetime

from meetings import circulation

# The circulation's own task lives beside the service that queues it (no import cycle); it is
# named here too, with the app's other background work.
prepare_circulation = circulation.prepare_circulation


@task
def send_due_reminders(now: str | None = None) -> int:
    """Queue the meeting reminders due at `now` (ISO 8601; default: the present). Returns the count.

    Each reminder is claimed on its invitation before it is queued, so running this twice, or
    on two workers at once, sends it once (see circulation.send_due_reminders).
    """
    moment = parse_datetime(now) if now else None
    if now and moment is None:
        raise ValueError(f"Not an ISO 8601 date and time: {now!r}")
    return circulation.send_due_reminders(now=moment)
