"""Invitations through Django's SMTP backend to a real SMTP server (aiosmtpd) on 127.0.0.1: one by one,
and in chunks over the chunk's connections (members.tasks.SMTP_CONNECTIONS)."""

import email
import email.policy
from collections import Counter
from datetime import timedelta

import pytest
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils import timezone

from members import services, tasks
from members.emails import build_email
from members.outbox import Kind, OutboundMessage, wire_message
from members.tasks import flush_outbox
from tests.factories import make_member
from tests.smtp import described, parsed

Status = OutboundMessage.Status

INVITATIONS = {
    "nl": (
        "Uitnodiging: plenaire vergadering",
        "Beste collega,\nU bent uitgenodigd.\n",
        "<p>U bent uitgenodigd.</p>",
    ),
    "fr": (
        "Invitation : réunion plénière",
        "Chère collègue,\nVous êtes invitée.\n",
        "<p>Vous êtes invitée.</p>",
    ),
    "de": (
        "Einladung: Plenarsitzung – Überblick",
        "Liebe Kollegin,\nSie sind eingeladen.\n",
        "<p>Sie sind eingeladen.</p>",
    ),
}


def invite(member) -> OutboundMessage:
    subject, text, html = INVITATIONS[member.language]
    return services.queue_message(
        kind=Kind.MEETING_INVITATION,
        to_email=member.user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        member=member,
        batch="plenary-invitations",
    )


@pytest.mark.django_db
def test_invitations_arrive_one_per_recipient_in_their_language(
    smtp_server, django_capture_on_commit_callbacks
):
    members = [make_member(language=code) for code in ("nl", "fr", "de")]

    with django_capture_on_commit_callbacks(execute=True):
        rows = {member.user.email: invite(member) for member in members}

    received = smtp_server.parsed()
    assert sorted(rcpt for rcpt, _message in received) == sorted([address] for address in rows)
    for rcpt, message in received:
        row = rows[rcpt[0]]
        row.refresh_from_db()
        subject, text, html = INVITATIONS[row.language]
        assert row.status == Status.SENT
        assert message["To"] == row.to_email
        assert message["Message-ID"] == row.message_id
        assert message["Subject"] == subject
        assert message["Content-Language"] == row.language
        assert message.get_content_type() == "multipart/alternative"
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
        assert plain.get_content().replace("\r\n", "\n") == text
        assert rich.get_content().strip() == html


@pytest.mark.django_db
def test_smtp_451_is_retried_later_and_550_fails_for_good(smtp_server, django_capture_on_commit_callbacks):
    fine, busy, unknown = (make_member(language=code) for code in ("nl", "fr", "de"))
    smtp_server.busy_once.add(busy.user.email.lower())
    smtp_server.unknown.add(unknown.user.email.lower())

    with django_capture_on_commit_callbacks(execute=True):
        rows = {member: invite(member) for member in (fine, busy, unknown)}
    for row in rows.values():
        row.refresh_from_db()

    assert rows[fine].status == Status.SENT
    assert rows[busy].status == Status.QUEUED
    assert rows[busy].next_attempt_at > timezone.now()
    assert "451" in rows[busy].last_error
    assert rows[unknown].status == Status.FAILED
    assert "550" in rows[unknown].last_error
    assert rows[unknown].next_attempt_at is None

    # Time passes: the busy mailbox takes it now; the unknown one is not asked again.
    OutboundMessage.objects.filter(pk=rows[busy].pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert flush_outbox.call() == 1
    assert flush_outbox.call() == 0

    rows[busy].refresh_from_db()
    assert rows[busy].status == Status.SENT and rows[busy].attempts == 2
    delivered = Counter(rcpt[0] for rcpt, _message in smtp_server.parsed())
    assert delivered == {fine.user.email.lower(): 1, busy.user.email.lower(): 1}
    assert smtp_server.rcpt_attempts[unknown.user.email.lower()] == 1


# --- A chunk of rows over one connection ---------------------------------------------------


def smtp_mailer() -> SmtpBackend:
    """Django's SMTP mailer, not connected (its address checks are all the wire format asks of it)."""
    return SmtpBackend(alias="default", host="127.0.0.1", port=25)


CALENDAR = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Plénière – RSE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
ROWS = {
    "an invitation with its calendar": {
        "subject": "Uitnodiging: Plenaire over het MVO-actieplan – 12 maart 2027",
        "body_text": "Beste Zoë,\n\n" + "Een lange regel met accenten: é è ü – " * 6 + "\n. Een punt\n",
        "body_html": "<p>Beste Zoë,</p>\n<p style='margin:0'>" + "x = y & z " * 30 + "</p>\n",
        "alternatives": [{"mimetype": "text/calendar; method=REQUEST", "content": CALENDAR}],
        "attachments": [{"filename": "invite.ics", "mimetype": "application/ics", "content": CALENDAR}],
        "reply_to": "chair@example.be",
    },
    "plain ASCII text": {"subject": "Agenda", "body_text": "Short lines.\nOnly ASCII.\n"},
    "a long subject and trailing spaces": {
        "subject": "A subject long enough to be folded over more than one line of a header, " * 2,
        "body_text": "Trailing spaces   \nA tab\there\n=3D is not encoded yet\nFrom the start\n" + "y" * 200,
    },
    "text and a text attachment": {
        "subject": "Compte rendu : réunion",
        "body_text": "Voir la pièce jointe.",
        "attachments": [{"filename": "notes.txt", "mimetype": "text/plain", "content": "Notes – résumé\n"}],
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(ROWS))
def test_the_chunks_wire_format_reads_as_the_email_django_builds(case, settings):
    settings.DEFAULT_FROM_EMAIL = "Concerto – plateforme <noreply@example.org>"
    row = OutboundMessage.objects.create(
        kind=Kind.MEETING_INVITATION, to_email="zoe@example.be", language="nl", **ROWS[case]
    )
    sender, recipients, data = wire_message(row, smtp_mailer())

    django_bytes = build_email(row).message(policy=email.policy.SMTP).as_bytes()
    assert described(parsed(data)) == described(parsed(django_bytes))
    assert (sender, recipients) == ("noreply@example.org", ["zoe@example.be"])
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"") and max(len(line) for line in lines) <= 78


@pytest.mark.django_db
def test_rows_the_wire_format_does_not_cover_are_built_by_django(settings):
    row = OutboundMessage.objects.create(
        kind=Kind.NEWS,
        to_email="zoe@example.be",
        language="nl",
        subject="s",
        body_text="b",
        headers={"X-Tag": "1"},
    )
    assert wire_message(row, smtp_mailer()) is None


@pytest.mark.django_db
def test_a_chunk_goes_out_over_one_connection_and_a_refused_recipient_does_not_stop_it(
    smtp_server, django_capture_on_commit_callbacks
):
    members = [make_member(language=code) for code in ("nl", "fr", "de", "nl", "fr")]
    smtp_server.unknown.add(members[1].user.email.lower())
    smtp_server.busy_once.add(members[3].user.email.lower())

    with django_capture_on_commit_callbacks(execute=True):
        rows = services.queue_messages(
            [
                {
                    "kind": Kind.MEETING_INVITATION,
                    "to_email": member.user.email,
                    "subject": INVITATIONS[member.language][0],
                    "body_text": INVITATIONS[member.language][1],
                    "body_html": INVITATIONS[member.language][2],
                    "member": member,
                    "batch": "plenary-invitations",
                }
                for member in members
            ]
        )

    statuses = {row.to_email: row.status for row in OutboundMessage.objects.all()}
    assert statuses == {
        members[0].user.email: Status.SENT,
        members[1].user.email: Status.FAILED,  # 550: no such mailbox
        members[2].user.email: Status.SENT,
        members[3].user.email: Status.QUEUED,  # 451: tried again later
        members[4].user.email: Status.SENT,
    }
    # The chunk's connections for the five, whatever the server refused: none opened again.
    assert smtp_server.sessions <= tasks.SMTP_CONNECTIONS
    received = {rcpt[0]: message for rcpt, message in smtp_server.parsed()}
    assert set(received) == {members[i].user.email.lower() for i in (0, 2, 4)}
    for row in rows:
        if row.to_email.lower() in received:
            message = received[row.to_email.lower()]
            assert message["Message-ID"] == row.message_id
            assert message["Subject"] == row.subject
            assert (
                message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
                == row.body_text
            )
