"""The outbox's delivery path: one message per recipient, preferences, retries, crashes."""

import smtplib
from collections import Counter
from datetime import timedelta

import pytest
from anymail.exceptions import AnymailAPIError
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from members import services
from members.outbox import Kind, OutboundMessage
from members.tasks import FAILED_APPLICATION_ERROR, MAX_ATTEMPTS, deliver_message, flush_outbox
from tests.factories import make_member
from tests.members.mailers import WorkerCrash

Status = OutboundMessage.Status
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def failing_after(deliver: int, then: str = "provider") -> dict:
    backend = "tests.members.mailers.FailingAfterBackend"
    return {"default": {"BACKEND": backend, "OPTIONS": {"deliver": deliver, "then": then}}}


def queue(member, kind=Kind.MEETING_INVITATION, batch="batch-1", **fields) -> OutboundMessage:
    return services.queue_message(
        kind=kind,
        to_email=member.user.email,
        subject=f"Invitation for {member.user.name}",
        body_text="Plain text body\n",
        body_html="<p>HTML body</p>",
        member=member,
        batch=batch,
        **fields,
    )


def make_due(*rows: OutboundMessage) -> None:
    """Let the clock pass the backoff: the rows' next attempt is now in the past."""
    past = timezone.now() - timedelta(seconds=1)
    OutboundMessage.objects.filter(pk__in=[row.pk for row in rows]).update(next_attempt_at=past)


def received_by(mailoutbox) -> Counter:
    return Counter(address for message in mailoutbox for address in message.to)


@pytest.mark.django_db
def test_queued_messages_go_out_one_per_recipient_with_their_message_id(
    mailoutbox, django_capture_on_commit_callbacks
):
    members = [make_member(language=code) for code in ("nl", "fr")]

    with django_capture_on_commit_callbacks(execute=True):
        rows = [queue(member) for member in members]

    assert len(mailoutbox) == 2
    for row, member in zip(rows, members, strict=True):
        row.refresh_from_db()
        sent = next(message for message in mailoutbox if message.to == [member.user.email])
        assert row.status == Status.SENT and row.attempts == 1 and row.sent_at is not None
        assert sent.message()["Message-ID"] == row.message_id
        assert sent.message()["Content-Language"] == member.language
        assert sent.body == "Plain text body\n"
        assert sent.alternatives[0].content == "<p>HTML body</p>"
        assert sent.alternatives[0].mimetype == "text/html"


@pytest.mark.django_db
def test_a_caller_header_cannot_replace_the_rows_message_id(mailoutbox, django_capture_on_commit_callbacks):
    member = make_member()
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(member, headers={"message-id": "<forged@example.org>", "X-Concerto": "yes"})

    headers = mailoutbox[0].message()
    assert headers.get_all("Message-ID") == [row.message_id]
    assert headers["X-Concerto"] == "yes"


@pytest.mark.django_db
def test_running_delivery_twice_sends_once(mailoutbox):
    row = queue(make_member())  # not committed: the test delivers by hand

    assert deliver_message.call(row.pk) == Status.SENT
    assert deliver_message.call(row.pk) == Status.SENT
    assert flush_outbox.call() == 0

    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_member_who_turned_an_optional_kind_off_does_not_get_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member(muted_kinds=[Kind.NEWS, Kind.MINUTES])

    with django_capture_on_commit_callbacks(execute=True):
        news = queue(member, kind=Kind.NEWS)
        minutes = queue(member, kind=Kind.MINUTES)  # mandatory: muting it has no effect

    news.refresh_from_db()
    minutes.refresh_from_db()
    assert news.status == Status.SUPPRESSED
    assert news.last_error == services.SUPPRESSED_MUTED
    assert minutes.status == Status.SENT
    assert [message.subject for message in mailoutbox] == [minutes.subject]


@pytest.mark.django_db
def test_deactivated_member_gets_nothing_not_even_mandatory_email(
    mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member()
    services.deactivate_member(member=member)

    with django_capture_on_commit_callbacks(execute=True):
        row = queue(member, kind=Kind.MEETING_INVITATION)

    assert row.status == Status.SUPPRESSED
    assert mailoutbox == []
    # Nothing picks it up later either.
    assert flush_outbox.call() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_rolled_back_action_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    member = make_member()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        queue(member)
        raise RuntimeError("the action failed after queueing")

    assert mailoutbox == []
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_provider_error_half_way_then_the_retry_completes_the_rest_without_duplicates(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    members = [make_member() for _ in range(5)]
    settings.MAILERS = failing_after(2, then="provider")

    with django_capture_on_commit_callbacks(execute=True):
        rows = [queue(member) for member in members]

    statuses = Counter(OutboundMessage.objects.values_list("status", flat=True))
    assert statuses == {Status.SENT: 2, Status.QUEUED: 3}
    waiting = OutboundMessage.objects.filter(status=Status.QUEUED)
    assert all(row.next_attempt_at > timezone.now() and row.attempts == 1 for row in waiting)
    assert all("503" in row.last_error for row in waiting)

    # Nothing is due yet: the periodic flush leaves them alone.
    assert flush_outbox.call() == 0

    settings.MAILERS = LOCMEM  # the provider is back
    make_due(*rows)
    assert flush_outbox.call() == 3

    assert received_by(mailoutbox) == Counter({member.user.email: 1 for member in members})
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.django_db
def test_worker_crash_half_way_then_the_retry_completes_the_rest_without_duplicates(settings, mailoutbox):
    members = [make_member() for _ in range(5)]
    for member in members:
        queue(member)  # not committed in this test: the flush below is the worker's batch
    settings.MAILERS = failing_after(2, then="crash")

    with pytest.raises(WorkerCrash):
        flush_outbox.call()

    statuses = Counter(OutboundMessage.objects.values_list("status", flat=True))
    assert statuses == {Status.SENT: 2, Status.SENDING: 1, Status.QUEUED: 2}

    # The worker restarts at once: the rest goes out, the interrupted row is not touched yet,
    # since another worker might still be sending it.
    settings.MAILERS = LOCMEM
    assert flush_outbox.call() == 2
    interrupted = OutboundMessage.objects.get(status=Status.SENDING)

    # A quarter of an hour later the row counts as abandoned: it is put back and sent.
    OutboundMessage.objects.filter(pk=interrupted.pk).update(
        status_changed_at=timezone.now() - timedelta(minutes=16)
    )
    assert flush_outbox.call() == 1

    assert received_by(mailoutbox) == Counter({member.user.email: 1 for member in members})
    interrupted.refresh_from_db()
    assert interrupted.status == Status.SENT
    assert interrupted.attempts == 2


@pytest.mark.django_db
def test_transient_error_is_retried_later_and_sent_once_the_time_has_passed(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MAILERS = failing_after(0)
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(make_member())

    row.refresh_from_db()
    assert row.status == Status.QUEUED and row.attempts == 1
    assert timezone.now() < row.next_attempt_at <= timezone.now() + timedelta(minutes=1)

    settings.MAILERS = LOCMEM
    assert flush_outbox.call() == 0  # not due yet
    make_due(row)
    assert flush_outbox.call() == 1

    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2 and row.next_attempt_at is None
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_transient_errors_back_off_and_fail_after_max_attempts(settings, mailoutbox):
    settings.MAILERS = failing_after(0)
    row = queue(make_member())
    delays = []

    for _ in range(MAX_ATTEMPTS):
        make_due(row)
        flush_outbox.call()
        row.refresh_from_db()
        if row.next_attempt_at:
            delays.append(row.next_attempt_at - row.status_changed_at)

    assert row.status == Status.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.next_attempt_at is None
    assert len(delays) == MAX_ATTEMPTS - 1
    assert delays == sorted(delays) and delays[0] < delays[-1]
    assert flush_outbox.call() == 0  # a failed row waits for a person
    assert mailoutbox == []


@pytest.mark.django_db
def test_provider_refusing_the_recipient_fails_at_once_and_is_not_retried(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member()
    settings.MAILERS = {
        "default": {
            "BACKEND": "tests.members.mailers.RefusingProviderBackend",
            "OPTIONS": {"refuse": [member.user.email]},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(member)

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.attempts == 1
    assert "AnymailRecipientsRefused" in row.last_error
    assert flush_outbox.call() == 0


@pytest.mark.django_db
def test_provider_message_id_and_outbox_id_are_recorded(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.members.mailers.RefusingProviderBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(make_member())

    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.provider_message_id == "0"  # anymail's test provider numbers its messages
    assert mailoutbox[0].anymail_test_params["metadata"] == {"outbox_id": str(row.pk)}


@pytest.mark.django_db
def test_send_again_sends_a_failed_message(mailoutbox, django_capture_on_commit_callbacks):
    row = queue(make_member())
    OutboundMessage.objects.filter(pk=row.pk).update(status=Status.FAILED, attempts=1, last_error="550 no")
    row.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        services.retry_message(message=row)

    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_only_failed_messages_can_be_sent_again(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(make_member())
    row.refresh_from_db()

    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        services.retry_message(message=row)

    assert len(mailoutbox) == 1


class BrokenMailer(LocmemBackend):
    """A mailer with a bug of its own, like the file mailer calling a method with a wrong argument."""

    def send_messages(self, messages) -> int:
        raise TypeError("as_bytes() got an unexpected keyword argument 'linesep'")


@pytest.mark.django_db
def test_a_message_that_cannot_be_built_fails_at_once_and_is_not_left_sending(
    mailoutbox, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(make_member(), attachments=[{"filename": "broken.ics"}])  # no content

    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 1 and row.next_attempt_at is None
    assert row.last_error == FAILED_APPLICATION_ERROR
    assert mailoutbox == []
    assert any(r.levelname == "ERROR" and r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


@pytest.mark.django_db
def test_an_error_in_the_application_is_not_retried_but_logged_with_its_traceback(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.members.test_outbox.BrokenMailer"}}
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(make_member())

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.next_attempt_at is None
    assert row.last_error == FAILED_APPLICATION_ERROR  # plain words, no traceback for the sender
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.name == "members.tasks" and str(row.pk) in record.getMessage()
    assert record.exc_info[0] is TypeError  # the operator gets the traceback

    # The periodic flush does not try it again either.
    make_due(row)
    assert flush_outbox.call() == 0


@pytest.mark.django_db
def test_only_network_and_provider_errors_are_retried(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MAILERS = LOCMEM
    errors = [
        ConnectionRefusedError("Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        AnymailAPIError("503 Service Unavailable"),
        AttributeError("'NoneType' object has no attribute 'email'"),
    ]
    rows = []
    for error in errors:

        def fail(self, messages, error=error):
            raise error

        monkeypatch.setattr(LocmemBackend, "send_messages", fail)
        with django_capture_on_commit_callbacks(execute=True):
            rows.append(queue(make_member()))

    statuses = list(
        OutboundMessage.objects.filter(pk__in=[r.pk for r in rows])
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [Status.QUEUED] * 4 + [Status.FAILED]


@pytest.mark.django_db
def test_a_message_sent_after_a_failed_attempt_keeps_no_old_error(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MAILERS = failing_after(0)
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(make_member())
    row.refresh_from_db()
    assert "503" in row.last_error

    settings.MAILERS = LOCMEM
    make_due(row)
    flush_outbox.call()

    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.last_error == ""


@pytest.mark.django_db
def test_a_row_interrupted_on_every_attempt_fails_instead_of_looping(mailoutbox):
    row = queue(make_member())
    long_ago = timezone.now() - timedelta(hours=1)
    OutboundMessage.objects.filter(pk=row.pk).update(
        status=Status.SENDING, attempts=MAX_ATTEMPTS, status_changed_at=long_ago
    )

    assert flush_outbox.call() == 0

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert mailoutbox == []


@pytest.mark.django_db
def test_send_queued_mail_command_delivers_what_is_due(mailoutbox, capsys):
    due = queue(make_member())
    later = queue(make_member())
    OutboundMessage.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    call_command("send_queued_mail")

    assert [message.to for message in mailoutbox] == [[due.to_email]]
    assert "1 message(s) tried" in capsys.readouterr().out


@pytest.mark.django_db
def test_send_queued_mail_command_loops_until_stopped(mailoutbox, monkeypatch):
    queue(make_member())
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("core.periodic.time.sleep", sleep)
    call_command("send_queued_mail", loop=30)

    assert naps == [30, 30]
    assert len(mailoutbox) == 1


def test_send_queued_mail_command_refuses_a_loop_of_zero_seconds():
    with pytest.raises(CommandError, match="greater than 0"):
        call_command("send_queued_mail", loop=0)


@pytest.mark.django_db
def test_account_emails_do_not_keep_their_codes_once_sent(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    from django.urls import reverse

    from tests.factories import UserFactory

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert "/accounts/password/reset/key/" in mailoutbox[0].body  # the person got their link
    row = OutboundMessage.objects.get(kind=Kind.ACCOUNT)
    assert row.status == OutboundMessage.Status.SENT
    assert "/accounts/password/reset/key/" not in row.body_text + row.body_html
    assert row.subject  # what was sent stays visible to staff, not how to use it


@pytest.mark.parametrize(
    ("command", "seconds"),
    [("send_queued_mail", 60), ("send_meeting_reminders", 900), ("sync_invitations", 3600)],
)
def test_periodic_commands_loop_at_their_own_interval_when_none_is_given(command, seconds, monkeypatch, db):
    naps = []

    def sleep(duration):
        naps.append(duration)
        raise KeyboardInterrupt

    monkeypatch.setattr("core.periodic.time.sleep", sleep)
    call_command(command, "--loop", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert naps == [seconds]
