"""Invite newcomers to meetings already scheduled. Run it from cron every hour, or with --loop.

Memberships change in the members app, which knows nothing of meetings; this command brings
the invitations of every upcoming scheduled meeting in line with its group and administration
settings (meetings.services.sync_invitations). Once the agenda was circulated, those added get
the current version and those removed a cancellation, queued with the change.
"""

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from core.periodic import PeriodicCommand
from meetings import services
from meetings.models import Meeting


def sync_upcoming(*, now=None) -> tuple[int, int, list[tuple[int, Exception]]]:
    """Sync every scheduled meeting that has not started: (added, removed, [(meeting pk, error)])."""
    now = now or timezone.now()
    added = removed = 0
    failures = []
    pks = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=now).values_list(
        "pk", flat=True
    )
    for pk in list(pks):
        try:
            # One meeting, one transaction: one that fails (an email that does not render)
            # changes nothing for it and does not hold back the others.
            with transaction.atomic():
                meeting = Meeting.objects.select_for_update().filter(pk=pk).first()
                if meeting is None or meeting.status != Meeting.Status.SCHEDULED or meeting.starts_at <= now:
                    continue  # deleted, cancelled or started since the list was read
                new, gone = services.sync_invitations(meeting=meeting, by=None)
        except Exception as error:  # reported below; the other meetings go on
            failures.append((pk, error))
            continue
        added += len(new)
        removed += len(gone)
    return added, removed, failures


class Command(PeriodicCommand):
    help = (
        "Invite people who joined a group (or an invited administration) to its upcoming scheduled meetings."
    )
    default_interval = 3600

    def run_once(self, *, looping: bool, **options) -> None:
        added, removed, failures = sync_upcoming()
        self.stdout.write(f"Invited {added} and withdrew {removed} invitation(s) to upcoming meetings.")
        for pk, error in failures:
            self.stderr.write(f"Meeting {pk}: not synced: {error!r}")
        if failures and not looping:
            raise CommandError(f"{len(failures)} meeting(s) could not be synced.")
