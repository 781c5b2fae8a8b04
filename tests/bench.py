"""`make bench`: time and memory of the heavy paths, on a throwaway database, against targets.

Targets are for this project's reference machine (2 cores); each is the median of a few runs.
A result over its target prints FAIL and the command exits 1.
"""

import os
import statistics
import sys
import time
import tracemalloc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
import warnings

import django

import tests.environment  # noqa: F401  (test settings: SECRET_KEY, plain HTTP, temporary VAR_DIR)

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# name -> (target seconds, target peak MiB)
TARGETS = {
    "directory page, 500 members": (0.25, 20),
    "directory CSV export, 500 members": (0.50, 20),
    "meeting page, 300 invitees, 40 items": (0.25, 20),
    "member calendar feed, 60 meetings": (0.25, 20),
    "circulate an agenda to 300 invitees": (5.00, 40),
}


def measure(function, repeat: int = 3) -> tuple[float, float]:
    """(median seconds over `repeat` runs, peak MiB of one more run under tracemalloc, which slows it)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> int:
    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> int:
    from django.urls import reverse

    from meetings import calendar, circulation
    from meetings.models import AgendaItem, Invitation, Meeting
    from members.models import Membership
    from tests.factories import GroupFactory, make_member
    from tests.meetings.helpers import bulk_members, make_meeting

    group = GroupFactory(is_public=True)
    chair = make_member(group, Membership.Role.CHAIR)
    members = bulk_members(500, languages=("nl", "fr", "de", "en"))
    Membership.objects.bulk_create([Membership(member=m, group=group, role="member") for m in members])
    meeting = make_meeting(group, chair, status=Meeting.Status.SCHEDULED)
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(meeting=meeting, position=i, title_en=f"Item {i}", duration_minutes=10)
            for i in range(1, 41)
        ]
    )
    Invitation.objects.bulk_create(
        [
            Invitation(meeting=meeting, member=m, language=m.user.language if hasattr(m, "user") else "en")
            for m in members[:300]
        ]
    )
    for i in range(60):
        other = make_meeting(group, chair, status=Meeting.Status.SCHEDULED, title_en=f"Meeting {i}")
        Invitation.objects.create(meeting=other, member=members[0])

    client = Client()
    client.force_login(chair.user)

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def circulate():
        Invitation.objects.filter(meeting=meeting).update(sent_sequence=None)
        Meeting.objects.filter(pk=meeting.pk).update(circulated_at=None)
        circulation.circulate_agenda(meeting=Meeting.objects.get(pk=meeting.pk), by=chair)

    cases = {
        "directory page, 500 members": lambda: get(reverse("members:directory")),
        "directory CSV export, 500 members": lambda: get(reverse("members:directory") + "?_export=csv"),
        "meeting page, 300 invitees, 40 items": lambda: get(reverse("meetings:detail", args=[meeting.pk])),
        "member calendar feed, 60 meetings": lambda: calendar.member_feed(members[0]),
        "circulate an agenda to 300 invitees": circulate,
    }
    failed = 0
    print(f"{'case':<42} {'seconds':>8} {'target':>7} {'peak MiB':>9} {'target':>7}")
    for name, case in cases.items():
        seconds, peak = measure(case)
        target_s, target_mb = TARGETS[name]
        ok = seconds <= target_s and peak <= target_mb
        failed += not ok
        print(
            f"{name:<42} {seconds:8.3f} {target_s:7.2f} {peak:9.1f} {target_mb:7d}  {'ok' if ok else 'FAIL'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
