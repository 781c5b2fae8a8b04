"""Chunks of outbox rows through Django's SMTP mailer (members.tasks.deliver_messages) to a real SMTP
server on 127.0.0.1: what an operator would notice. Rows two chunks both list go out once; a chunk
records its outcomes in a few statements, not one per row; the bytes on the wire read as the email
Django builds, whatever the recipient's address looks like; a connection lost half-way loses nothing
and sends nothing twice."""

import email
import email.policy
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from members import tasks
from members.emails import build_email
from members.outbox import Kind, OutboundMessage, new_message_id, wire_message
from tests.smtp import RecordingHandler, described, parsed, serving

Status = OutboundMessage.Status
CALENDAR = (
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Plénière – RSE\r\n"
    "ATTENDEE;CN=\"Zoë Dupré\";PARTSTAT=NEEDS-ACTION:mailto:zoe@example.be\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def invitation_fields(number: int, to_email: str | None = None) -> dict:
    """An invitation as a circulation writes it: text, HTML and the calendar twice."""
    return {
        "kind": Kind.MEETING_INVITATION,
        "to_email": to_email or f"invitee{number}@example.be",
        "language": "fr",
        "subject": f"Invitation : plénière n° {number} – plan d'action",
        "body_text": f"Chère collègue,\n\nVous êtes invitée ({number}).\n. Une ligne qui commence par un point\n",
        "body_html": f"<p>Chère collègue,</p>\n<p>Vous êtes invitée ({number}).</p>\n",
        "reply_to": "chair@example.be",
        "alternatives": [{"mimetype": "text/calendar; method=REQUEST", "content": CALENDAR}],
        "attachments": [{"filename": "invite.ics", "mimetype": "application/ics", "content": CALENDAR}],
    }


def queued_rows(count: int, start: int = 0) -> list[OutboundMessage]:
    """Queued rows written directly (queue_messages would deliver them at once after commit)."""
    rows = [OutboundMessage(message_id=new_message_id(), **invitation_fields(start + n)) for n in range(count)]
    return OutboundMessage.objects.bulk_create(rows)


def statuses(rows) -> Counter:
    return Counter(OutboundMessage.objects.filter(pk__in=[row.pk for row in rows]).values_list("status", flat=True))


def django_message(row: OutboundMessage):
    """The row's email as Django builds it, read back by the email package."""
    return parsed(build_email(row).message(policy=email.policy.SMTP).as_bytes())


# --- Two chunks over the same rows ------------------------------------------------------------


@pytest.mark.django_db
def test_two_chunks_claiming_the_same_rows_share_them_and_each_message_arrives_once(smtp_server):
    rows = queued_rows(12)
    ids = [row.pk for row in rows]

    # Both claim before either sends: the second gets only what the first did not take.
    first = tasks._claim_all(ids[:8])
    second = tasks._claim_all(ids[4:])
    assert [message.pk for message in first] == ids[:8]
    assert [message.pk for message in second] == ids[8:]
    for claimed in (first, second):
        chunk = tasks.SmtpChunk(mailers.default)
        try:
            chunk.send_all(claimed)
        finally:
            chunk.close()
    # A third run over all of them (a retried task, the periodic flush) finds nothing to send.
    assert tasks.deliver_messages.call(ids) == {"skipped": 12}

    assert Counter(rcpt[0] for rcpt, _data in smtp_server.received) == {row.to_email: 1 for row in rows}
    assert statuses(rows) == {Status.SENT: 12}
    assert set(OutboundMessage.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_delivery_tasks_over_overlapping_lists_send_each_row_once(smtp_server):
    rows = queued_rows(10)
    ids = [row.pk for row in rows]

    assert tasks.deliver_messages.call(ids[:6]) == {"sent": 6}
    assert tasks.deliver_messages.call([*ids[3:], *ids[3:5]]) == {"skipped": 5, "sent": 4}

    assert Counter(rcpt[0] for rcpt, _data in smtp_server.received) == {row.to_email: 1 for row in rows}
    assert statuses(rows) == {Status.SENT: 10}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_concurrent_chunks_over_the_same_rows_send_each_message_once(smtp_server):
    """Four workers at once, each over every row in its own order: the claims decide who sends what."""
    rows = queued_rows(40)
    ids = [row.pk for row in rows]
    orders = [ids, ids[::-1], ids[20:] + ids[:20], ids[1::2] + ids[::2]]
    start = threading.Barrier(len(orders))
    outcomes, errors = [], []

    def deliver(order: list[int]) -> None:
        try:
            start.wait()
            outcomes.append(tasks.deliver_messages.call(order))
        except BaseException as error:  # reported below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sum(outcome.get("sent", 0) for outcome in outcomes) == 40
    assert sum(outcome.get("skipped", 0) for outcome in outcomes) == 3 * 40
    assert Counter(rcpt[0] for rcpt, _data in smtp_server.received) == {row.to_email: 1 for row in rows}
    assert statuses(rows) == {Status.SENT: 40}


# --- Outcomes recorded in a few statements ----------------------------------------------------


def outbox_updates(queries) -> list[str]:
    table = OutboundMessage._meta.db_table
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]


@pytest.mark.django_db
def test_a_chunk_records_its_rows_in_a_few_statements_whatever_its_size(smtp_server):
    updates = {}
    for size, start in ((10, 0), (60, 100)):
        ids = [row.pk for row in queued_rows(size, start=start)]
        with CaptureQueriesContext(connection) as queries:
            assert tasks.deliver_messages.call(ids) == {"sent": size}
        updates[size] = outbox_updates(queries)
        assert statuses(ids_as_rows(ids)) == {Status.SENT: size}

    # The claim (one UPDATE, whose RETURNING says which rows it took), then the sent rows
    # together: the same few statements for 60 rows as for 10, not one or two per row.
    for statements in updates.values():
        assert "RETURNING" in statements[0]
    assert len(updates[10]) <= 3
    assert len(updates[60]) <= len(updates[10]) + 1


def ids_as_rows(ids: list[int]) -> list[OutboundMessage]:
    return [OutboundMessage(pk=pk) for pk in ids]


# --- The bytes on the wire ----------------------------------------------------------------------

# Display names as people type them (accents, quotes, commas, other scripts) and the shapes of
# address the wire format takes as they are or hands to the mailer's own address handling.
NAMES = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8", categories=("L", "N", "Zs")), st.sampled_from("'\".,-()&é–")),
    max_size=40,
)
LOCAL_PARTS = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
SUBJECTS = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "S")), st.sampled_from(" –é")),
    min_size=1,
    max_size=160,
).filter(lambda s: s.strip() == s and "  " not in s)
TEXTS = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "S")) | st.just("\n"), max_size=300)


@st.composite
def recipients(draw) -> str:
    local = draw(LOCAL_PARTS)
    address = f"{local}@example.be"
    shape = draw(st.sampled_from(["plain", "quoted local part", "display name"]))
    if shape == "quoted local part":
        return f'"{local} {draw(LOCAL_PARTS)}"@example.be'
    if shape == "display name":
        return email.utils.formataddr((draw(NAMES), address))
    return address


@pytest.mark.django_db
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(to_email=recipients(), subject=SUBJECTS, text=TEXTS, html=st.booleans(), calendar=st.booleans())
def test_the_wire_format_reads_as_the_email_django_builds(to_email, subject, text, html, calendar, settings):
    settings.DEFAULT_FROM_EMAIL = "Concerto – plateforme <noreply@example.org>"
    fields = {**invitation_fields(1, to_email), "subject": subject, "body_text": text}
    fields["body_html"] = f"<p>{text}</p>" if html else ""
    if not calendar:
        fields["alternatives"], fields["attachments"] = [], []
    row = OutboundMessage(message_id=new_message_id(), **fields)
    mailer = SmtpBackend(alias="default", host="127.0.0.1", port=25)  # not connected: its address checks

    wire = wire_message(row, mailer)

    if wire is None:  # not covered: build_email's message goes out instead (see the SMTP test below)
        assert not to_email.isascii() or "<" in to_email
        return
    sender, recipients_, data = wire
    assert sender == mailer.prep_address(django_settings.DEFAULT_FROM_EMAIL)
    assert recipients_ == [mailer.prep_address(to_email)]
    assert described(parsed(data)) == described(django_message(row))
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


@pytest.mark.django_db
def test_every_kind_of_address_gets_the_email_django_builds_and_a_refused_one_fails_alone(
    smtp_server, settings
):
    settings.DEFAULT_FROM_EMAIL = "Concerto – plateforme <noreply@example.org>"
    addresses = [
        "zoe@example.be",  # plain: written as it is
        "Zoe Dupre <zoe.dupre@example.be>",  # a display name: built by Django
        '"zoe dupre"@example.be',  # a quoted local part: written, the mailer's address check
        "Zoë Dupré <zoe.d@example.be>",  # a display name with accents: built by Django
        "zoe@exämple.be",  # an international domain: built by Django, punycode on the wire
        "nobody@example.be",  # refused by the server (550): fails on its own
        "last@example.be",
    ]
    smtp_server.unknown.add("nobody@example.be")
    rows = OutboundMessage.objects.bulk_create(
        [OutboundMessage(message_id=new_message_id(), **invitation_fields(n, to)) for n, to in enumerate(addresses)]
    )
    mailer = mailers.default

    outcome = tasks.deliver_messages.call([row.pk for row in rows])

    assert outcome == {"sent": 6, "failed": 1}
    refused = OutboundMessage.objects.get(to_email="nobody@example.be")
    assert refused.status == Status.FAILED and "550" in refused.last_error
    assert smtp_server.sessions <= tasks.SMTP_CONNECTIONS  # the refusal cost no connection
    received = {rcpt[0]: parsed(data) for rcpt, data in smtp_server.received}
    expected = {mailer.prep_address(row.to_email).lower(): row for row in rows if row.pk != refused.pk}
    assert set(received) == set(expected)
    assert "zoe@xn--exmple-cua.be" in received
    for address, row in expected.items():
        assert described(received[address]) == described(django_message(row))
        assert statuses([row]) == {Status.SENT: 1}


# --- A connection lost half-way --------------------------------------------------------------


class FailingServer(RecordingHandler):
    """Accepts `accept` messages, then drops the connection at the next one and every connection
    after that (a server restarting, a network cut) until `recover()`."""

    def __init__(self, accept: int) -> None:
        super().__init__()
        self.accept = accept
        self.down = False

    def recover(self) -> None:
        self.down, self.accept = False, 10**6

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.down:
            server.transport.close()
            return "421 4.3.2 Going away"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if len(self.received) >= self.accept:
            self.down = True
            server.transport.close()  # before answering: this message was not accepted
            return "421 4.3.2 Going away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def failing_server(settings):
    yield from serving(FailingServer(accept=4), settings)


@pytest.mark.django_db
def test_a_connection_lost_half_way_leaves_the_rest_queued_and_the_retry_sends_each_once(failing_server):
    rows = queued_rows(10)
    ids = [row.pk for row in rows]

    outcome = tasks.deliver_messages.call(ids)

    assert outcome == {"sent": 4, "queued": 6}
    assert len(failing_server.received) == 4
    after = list(OutboundMessage.objects.filter(pk__in=ids))
    assert Counter(row.status for row in after) == {Status.SENT: 4, Status.QUEUED: 6}
    accepted = {parsed(data)["Message-ID"] for _rcpt, data in failing_server.received}
    assert {row.message_id for row in after if row.status == Status.SENT} == accepted
    for row in after:
        assert row.attempts == 1
        if row.status == Status.QUEUED:
            assert row.next_attempt_at > timezone.now()  # after a pause, not at once
            assert row.last_error
    # Nothing is left "sending", and nothing more goes out before the pause is over.
    assert tasks.flush_outbox.call() == 0

    failing_server.recover()
    queued = OutboundMessage.objects.filter(pk__in=ids, status=Status.QUEUED)
    queued.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert tasks.flush_outbox.call() == 6

    assert Counter(rcpt[0] for rcpt, _data in failing_server.received) == {row.to_email: 1 for row in rows}
    assert statuses(rows) == {Status.SENT: 10}
    message_ids = {parsed(data)["Message-ID"] for _rcpt, data in failing_server.received}
    assert message_ids == {row.message_id for row in rows}
