"""Email through the real background path: the database task queue and `manage.py db_worker`."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from members import services
from members.outbox import Kind, OutboundMessage

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


@pytest.mark.django_db(transaction=True)
def test_queued_email_waits_for_the_worker_and_is_sent_once(database_queue, focal_point, mailoutbox):
    message = services.queue_message(
        kind=Kind.NEWS, to_email=focal_point.user.email, subject="Agenda", body_text="b", member=focal_point
    )
    # Committed: the task is in the database queue, nothing is sent yet.
    assert DBTaskResult.objects.count() == 1
    assert mailoutbox == []

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert [m.to for m in mailoutbox] == [[focal_point.user.email]]

    # The worker running again sends nothing twice.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_action_queues_no_task(database_queue, focal_point):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.queue_message(
            kind=Kind.NEWS, to_email=focal_point.user.email, subject="s", body_text="b", member=focal_point
        )
        raise RuntimeError("the action failed after queueing")
    assert DBTaskResult.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
