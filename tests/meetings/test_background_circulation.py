"""Circulating in the background: the chair's request records the decision and queues one task;
the task writes the emails in chunks (each kind rendered once), and delivery sends each chunk over
one connection. Every invitee gets exactly one email, whatever stops half-way."""

import re
from collections import Counter

import pytest
from django.core import signing
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meetings import circulation, emails, links, sending, services, tasks
from meetings.models import Invitation, Meeting
from members import tasks as member_tasks
from members.emails import render_email
from members.models import Membership
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import make_document
from tests.meetings.helpers import bulk_members, invite, make_meeting

pytestmark = pytest.mark.django_db
Source = Invitation.Source
Rsvp = Invitation.Rsvp
Status = OutboundMessage.Status
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def run_worker(django_capture_on_commit_callbacks, monkeypatch):
    """`manage.py run_worker` (the worker of `make run`, in this process) until the queue is empty.

    The test's transaction never commits: what tasks do after their commits (the delivery tasks
    queue_messages enqueues) is done when each round ends, and the worker runs again for it.
    The worker closes "old" connections between tasks; inside the test's transaction that would
    close the test's own connection (on PostgreSQL), so here it keeps it.
    """
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run(*options: str) -> None:
        while True:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                call_command(
                    "run_worker", "--batch", "--no-startup-delay", "--no-reload", *options, verbosity=0
                )
            if options or not callbacks:
                return

    return run


def without_stamp(ics: str) -> str:
    """The calendar file without its DTSTAMP (the moment it was made)."""
    return re.sub(r"\r\nDTSTAMP:[^\r]*", "", ics)


def received_by(mailoutbox) -> Counter:
    return Counter(address for message in mailoutbox for address in message.to)


@pytest.fixture
def plenary(group, chair):
    """Ten members of the group in four languages, plus the chair; three agenda items."""
    members = bulk_members(10, languages=("nl", "fr", "de", "en"))
    Membership.objects.bulk_create([Membership(member=m, group=group) for m in members])
    meeting = make_meeting(group, chair, items=3, invite_whole_group=False, status=Meeting.Status.SCHEDULED)
    invite(meeting, [chair, *members], source=Source.PERSONAL)
    return meeting


# --- The same emails, each kind rendered once -------------------------------------------------


def test_emails_rendered_once_per_kind_are_those_rendered_one_by_one(group, chair, observer, monkeypatch):
    """Every detail that differs between invitees comes out as when each email is rendered alone."""
    meeting = make_meeting(group, chair, items=2, invite_whole_group=False, status=Meeting.Status.SCHEDULED)
    make_document(meeting, title="Draft action plan")
    people = [
        make_member(group, language=language, timezone=zone)
        for language, zone in (("nl", "Europe/Brussels"), ("fr", "America/Montreal"), ("de", "Asia/Tokyo"))
    ]
    people.append(make_member(group, language="en"))
    people[3].user.name = 'Zoë "O\'Brien" & <Partners>'  # escaped in HTML, as typed in the text
    people[3].user.save(update_fields=["name"])
    invite(meeting, [*people, observer])  # the observer may not send a substitute
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="A. Guest", language="de")
    # Those who had the previous version get the update; one answered before the time changed.
    meeting.invitations.filter(member__in=people[:2]).update(sent_sequence=0)
    meeting.invitations.filter(member=people[1]).update(rsvp=Rsvp.ACCEPTED, rsvp_to_confirm=True)
    # A colleague stands in for the Dutch member: their email names whom they replace.
    colleague = make_member(language="fr", administration=people[0].administration)
    stand_in = Invitation.objects.create(meeting=meeting, member=colleague, source=Source.SUBSTITUTE)
    meeting.invitations.filter(member=people[0]).update(rsvp=Rsvp.DELEGATED, delegated_to=stand_in)

    meeting = sending.with_email_data(meeting)
    invitations = sending.invitations_to_send(meeting)
    changes = {"location": "Rue Royale 1", "agenda": []}
    note = "We *moved* to a larger room."
    renders = []
    monkeypatch.setattr(emails, "render_email", lambda *a, **k: renders.append(a[0]) or render_email(*a, **k))
    # The answer links are signed with the time: the same second for both ways of rendering.
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: "1xZDBA")

    together = emails.invitation_emails(invitations, changes=changes, note=note)
    shared_renders = len(renders)
    alone = [
        emails.invitation_email(i, update=i.sent_sequence is not None, changes=changes, note=note)
        for i in invitations
    ]

    assert len(together) == len(alone) == len(invitations) == 7
    for invitation, mine, reference in zip(invitations, together, alone, strict=True):
        assert mine.to_email == reference.to_email == invitation.recipient_email
        assert (mine.kind, mine.language, mine.method) == (
            reference.kind,
            reference.language,
            reference.method,
        )
        assert mine.subject == reference.subject
        assert mine.text == reference.text
        assert mine.html == reference.html
        assert without_stamp(mine.ics) == without_stamp(reference.ics)
        assert mine.attachments[0]["content"] == mine.ics
    # Each answer link is the invitee's own: it is in nobody else's email.
    for invitation in invitations:
        link = links.answer_url(invitation)
        assert [link in email.text for email in together] == [i == invitation for i in invitations]
    assert "Zoë &quot;O&#x27;Brien&quot; &amp; &lt;Partners&gt;" in together[3].html
    assert 'Zoë "O\'Brien" & <Partners>' in together[3].text
    assert shared_renders == 7  # each of them is of a kind of their own here


def test_many_invitees_of_one_language_share_one_rendering(group, chair, monkeypatch):
    meeting = make_meeting(group, chair, items=2, invite_whole_group=False, status=Meeting.Status.SCHEDULED)
    invite(meeting, bulk_members(30, languages=("nl", "fr")))
    meeting = sending.with_email_data(meeting)
    renders = []
    monkeypatch.setattr(emails, "render_email", lambda *a, **k: renders.append(a[0]) or render_email(*a, **k))

    built = emails.invitation_emails(sending.invitations_to_send(meeting), changes={}, note="")

    assert len(built) == 30
    assert len(renders) == 2  # one Dutch, one French
    assert len({email.text for email in built}) == 30


# --- The request records the decision and queues one task -------------------------------------


def test_the_request_queues_one_task_and_the_sending_page_says_what_is_being_prepared(
    client, chair, plenary, settings, run_worker
):
    settings.TASKS = DATABASE_QUEUE
    chair.user.language = "en"
    chair.user.save(update_fields=["language"])
    client.force_login(chair.user)

    response = client.post(reverse("meetings:circulate", args=[plenary.pk]))

    plenary.refresh_from_db()
    assert plenary.status == Meeting.Status.SCHEDULED and plenary.circulated_at is not None
    assert not OutboundMessage.objects.exists()  # nothing written in the request
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == tasks.prepare_circulation.module_path
    batch = sending.circulation_batch(plenary)
    assert response.url == reverse("members:outbox-batch", args=[batch])

    page = client.get(response.url)
    assert page.status_code == 200
    assert "Preparing 11 emails: 0 written, 0 sent so far." in page.text
    assert 'data-pending="11"' in page.text  # the page keeps following the sending
    status = client.get(reverse("members:outbox-batch-status", args=[batch])).json()
    assert (status["total"], status["pending"], status["preparing"]) == (11, 11, 11)

    run_worker()

    assert Counter(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT: 11}
    page = client.get(response.url)
    assert "Finished: 11 sent or delivered, 0 failed or bounced, 0 not sent." in page.text
    assert "Preparing" not in page.text


def test_nobody_else_sees_a_sending_being_prepared(client, chair, focal_point, plenary, settings):
    settings.TASKS = DATABASE_QUEUE
    circulation.circulate_agenda(meeting=plenary, by=chair)
    url = reverse("members:outbox-batch", args=[sending.circulation_batch(plenary)])

    client.force_login(focal_point.user)
    assert client.get(url).status_code == 404
    client.force_login(chair.user)
    assert client.get(url).status_code == 200


def test_the_chunks_go_out_in_several_tasks_each_invitee_once(
    plenary, chair, settings, monkeypatch, mailoutbox, run_worker
):
    settings.TASKS = DATABASE_QUEUE
    monkeypatch.setattr(circulation, "CIRCULATION_CHUNK", 4)
    monkeypatch.setattr(member_tasks, "DELIVERY_CHUNK", 3)

    assert circulation.circulate_agenda(meeting=plenary, by=chair) == 11
    run_worker()

    paths = Counter(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {tasks.prepare_circulation.module_path: 3, member_tasks.deliver_messages.module_path: 5}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    expected = Counter(plenary.invitations.values_list("member__user__email", flat=True))
    assert received_by(mailoutbox) == expected
    assert set(plenary.invitations.values_list("sent_sequence", flat=True)) == {plenary.sequence}


def test_the_chunks_take_invitees_language_by_language_so_each_email_is_rendered_once(
    group, chair, monkeypatch
):
    """Twelve invitees in three languages, in chunks of four: three renderings, where chunks in
    the order of the invitations would each hold every language (nine)."""
    meeting = make_meeting(group, chair, items=2, invite_whole_group=False, status=Meeting.Status.SCHEDULED)
    invite(meeting, bulk_members(12, languages=("nl", "fr", "de")), source=Source.PERSONAL)
    monkeypatch.setattr(circulation, "CIRCULATION_CHUNK", 4)
    renders = []
    monkeypatch.setattr(
        emails, "render_email", lambda *a, **k: renders.append(k["language"]) or render_email(*a, **k)
    )

    assert circulation.circulate_agenda(meeting=meeting, by=chair) == 12

    assert sorted(renders) == ["de", "fr", "nl"]
    rows = OutboundMessage.objects.filter(batch=sending.circulation_batch(meeting))
    assert Counter(rows.values_list("language", flat=True)) == {"nl": 4, "fr": 4, "de": 4}
    assert set(meeting.invitations.values_list("sent_sequence", flat=True)) == {meeting.sequence}


# --- Stopped half-way: nothing lost, nothing twice --------------------------------------------


class ChunkCrash(Exception):
    """The work stops in the middle of a chunk (its transaction is rolled back)."""


def crash_on_chunk(monkeypatch, number: int) -> None:
    """The `number`th chunk fails after writing its outbox rows, before its transaction commits."""
    original, calls = sending.queue_meeting_emails, []

    def failing(*args, **kwargs):
        written = original(*args, **kwargs)
        calls.append(written)
        if len(calls) == number:
            raise ChunkCrash
        return written

    monkeypatch.setattr(sending, "queue_meeting_emails", failing)


def test_a_chunk_that_fails_half_way_is_sent_once_when_the_agenda_is_circulated_again(
    plenary, chair, settings, monkeypatch, mailoutbox, run_worker
):
    settings.TASKS = DATABASE_QUEUE
    monkeypatch.setattr(circulation, "CIRCULATION_CHUNK", 4)
    unbroken = sending.queue_meeting_emails
    crash_on_chunk(monkeypatch, 2)

    assert circulation.circulate_agenda(meeting=plenary, by=chair) == 11
    run_worker()

    # The first chunk went out; the second left nothing behind; nobody had a third.
    assert len(mailoutbox) == OutboundMessage.objects.count() == 4
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    assert plenary.invitations.filter(sent_sequence__isnull=True).count() == 7

    monkeypatch.setattr(sending, "queue_meeting_emails", unbroken)  # the fault is gone
    assert circulation.circulate_agenda(meeting=Meeting.objects.get(pk=plenary.pk), by=chair) == 7
    run_worker()

    assert received_by(mailoutbox) == Counter(
        plenary.invitations.values_list("member__user__email", flat=True)
    )
    assert OutboundMessage.objects.count() == 11


def test_a_chunk_task_whose_worker_stopped_is_run_again_and_sends_each_invitee_once(
    plenary, chair, settings, monkeypatch, mailoutbox, run_worker
):
    settings.TASKS = DATABASE_QUEUE
    monkeypatch.setattr(circulation, "CIRCULATION_CHUNK", 4)
    circulation.circulate_agenda(meeting=plenary, by=chair)
    # The first chunk is written; the worker takes the next chunk's task and dies in the middle
    # of it (its transaction rolled back): the task stays "running" for ever.
    run_worker("--max-tasks", "1")
    assert OutboundMessage.objects.count() == 4
    next_chunk = DBTaskResult.objects.get(task_path=tasks.prepare_circulation.module_path, status="READY")
    DBTaskResult.objects.filter(pk=next_chunk.pk).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - member_tasks.PREPARING_LEASE * 2,
        worker_ids=["stopped"],
    )

    run_worker()  # the restarted worker recovers the task first

    next_chunk.refresh_from_db()
    assert next_chunk.status == TaskResultStatus.FAILED and "stopped" in next_chunk.traceback
    assert received_by(mailoutbox) == Counter(
        plenary.invitations.values_list("member__user__email", flat=True)
    )
    assert OutboundMessage.objects.count() == 11
    assert Counter(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT: 11}


def test_running_a_chunk_twice_writes_nobody_twice(plenary, chair, settings, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    circulation.circulate_agenda(meeting=plenary, by=chair)
    [result] = tasks.prepare_circulation.get_backend().results
    arguments = dict(result.kwargs)

    assert tasks.prepare_circulation.call(*result.args, **arguments) == 11
    assert tasks.prepare_circulation.call(*result.args, **arguments) == 0

    assert OutboundMessage.objects.count() == 11


def test_a_meeting_moved_or_cancelled_before_its_chunk_is_written_gets_no_stale_emails(
    plenary, chair, secretariat, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    circulation.circulate_agenda(meeting=plenary, by=chair)
    [result] = tasks.prepare_circulation.get_backend().results

    # The time changes (a new revision) before the worker gets to it: the old one is not sent;
    # the next circulation sends the new one.
    plenary.refresh_from_db()
    services.update_meeting(
        meeting=plenary, by=chair, starts_at=plenary.starts_at + timezone.timedelta(hours=1)
    )
    assert tasks.prepare_circulation.call(*result.args, **result.kwargs) == 0
    circulation.circulate_agenda(meeting=Meeting.objects.get(pk=plenary.pk), by=chair)
    [_first, second] = tasks.prepare_circulation.get_backend().results
    circulation.cancel_meeting(meeting=Meeting.objects.get(pk=plenary.pk), by=chair)
    assert tasks.prepare_circulation.call(*second.args, **second.kwargs) == 0
    assert not OutboundMessage.objects.filter(subject__contains="Invitation").exists()


# --- The immediate backend: done in the request, as before ------------------------------------


def test_with_tasks_run_at_once_the_emails_are_written_in_the_request(plenary, chair):
    assert circulation.circulate_agenda(meeting=plenary, by=chair) == 11
    assert OutboundMessage.objects.filter(status=Status.QUEUED).count() == 11
