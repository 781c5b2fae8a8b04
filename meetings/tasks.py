"""Background work of the meetings app. Tasks take JSON arguments and are safe to run twice."""

from django.db import transaction
from django.tasks import task
from django.utils.dateparse import parse_datetime

from members.tasks import enqueue_in_transaction


@task
def send_due_reminders(now: str | None = None) -> int:
    """Queue the meeting reminders due at `now` (ISO 8601; default: the present). Returns the count.

    Each reminder is claimed on its invitation before it is queued, so running this twice, or
    on two workers at once, sends it once (see circulation.send_due_reminders).
    """
    from meetings import circulation

    moment = parse_datetime(now) if now else None
    if now and moment is None:
        raise ValueError(f"Not an ISO 8601 date and time: {now!r}")
    return circulation.send_due_reminders(now=moment)


@task
def prepare_circulation(
    meeting_id: int,
    *,
    sequence: int,
    note: str = "",
    previous_version: dict | None = None,
    outbox_batch: str,
    outbox_title: str,
    outbox_kind: str,
    outbox_count: int,
    outbox_created_by: int | None = None,
) -> int:
    """Write the emails of one chunk of a circulation (circulation.send_circulation_chunk), then
    queue this task again while invitees remain. Returns the emails written.

    Queued once by circulation.circulate_agenda. Safe to run twice: a chunk's rows and the
    invitations' `sent_sequence` commit together, so a run finds only whom no run reached yet.
    The outbox_* arguments name the sending for the outbox pages while it is being prepared,
    and let the worker's recovery run it again if its worker stops (members.tasks.PREPARING_KWARGS).
    """
    from meetings import circulation

    arguments = {
        "sequence": sequence,
        "note": note,
        "previous_version": previous_version,
        "outbox_batch": outbox_batch,
        "outbox_title": outbox_title,
        "outbox_kind": outbox_kind,
        "outbox_count": outbox_count,
        "outbox_created_by": outbox_created_by,
    }
    # The chunk and the next run commit together: a crash in between loses neither.
    with transaction.atomic():
        written, more = circulation.send_circulation_chunk(
            meeting_id=meeting_id,
            sequence=sequence,
            note=note,
            previous_version=previous_version,
            batch=outbox_batch,
            title=outbox_title,
            created_by=outbox_created_by,
        )
        if more:
            enqueue_in_transaction(prepare_circulation, meeting_id, **arguments)
    return written
