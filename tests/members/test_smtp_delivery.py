"""Invitations through Django's SMTP backend to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from members import services
from members.outbox import Kind, OutboundMessage
from members.tasks import flush_outbox
from tests.factories import make_member

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
