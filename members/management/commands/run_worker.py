"""The task worker: `manage.py run_worker`, django-tasks-db's `db_worker` (same options) that also
picks up what a stopped worker left.

When a worker is killed mid-delivery, its outbox row stays "sending" and its task "running". This
worker looks for such leftovers when it starts and then every RECOVERY_EVERY, and delivers them
again as soon as the stopped worker's claim has run out (SENDING_LEASE, a minute): a killed
worker's mail goes out within two minutes of the restart, still exactly once.
"""

import logging
import os
import threading

from django.db import connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from members.tasks import RECOVERY_EVERY, recover_deliveries

logger = logging.getLogger(__name__)


class Command(DBWorkerCommand):
    help = (
        "Run the background task worker (the options of db_worker). It also puts back and delivers "
        "the emails a stopped worker left half-sent, at start and every few seconds."
    )

    def handle(self, *args, **options) -> None:
        # With the autoreloader (--reload, the default when DEBUG), handle() runs twice: in the
        # watching parent, which runs no task, and in the child that does the work.
        reloading = options["reload"] and not options["batch"]
        if not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            recover_once()
            if not options["batch"]:
                threading.Thread(target=keep_recovering, name="outbox-recovery", daemon=True).start()
        super().handle(*args, **options)


def recover_once() -> None:
    """One round; a failure (the database briefly locked or away) waits for the next round."""
    try:
        recover_deliveries()
    except Exception:
        logger.exception("Could not look for deliveries a stopped worker left")


def keep_recovering() -> None:
    stop = threading.Event()  # never set: the thread ends with the worker's process
    while not stop.wait(RECOVERY_EVERY.total_seconds()):
        recover_once()
        connection.close()  # this thread's own connection, not held between rounds
