"""Provider tracking webhooks (anymail, Postmark format): authenticated, and what they change."""

import base64
import json

import pytest
from django.urls import reverse

from members import services
from members.outbox import Kind, OutboundMessage
from tests.factories import make_member

Status = OutboundMessage.Status
SECRET = "hook:test-webhook-secret"  # tests/environment.py
PROVIDER_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


def auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post_event(client, payload: dict, **headers):
    url = reverse("anymail:postmark_tracking_webhook")
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def bounce(row: OutboundMessage, kind: str = "HardBounce", **fields) -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "MessageID": row.provider_message_id,
        "Metadata": {"outbox_id": str(row.pk)},
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": row.to_email,
        "BouncedAt": "2026-03-05T16:33:54.9070259Z",
        **fields,
    }


def delivery(row: OutboundMessage, **fields) -> dict:
    return {
        "RecordType": "Delivery",
        "MessageID": row.provider_message_id,
        "Metadata": {"outbox_id": str(row.pk)},
        "MessageStream": "outbound",
        "Recipient": row.to_email,
        "DeliveredAt": "2026-03-05T16:33:54.9070259Z",
        "Details": "smtp;250 2.0.0 OK",
        **fields,
    }


@pytest.fixture(autouse=True)
def _postmark(settings):
    """Only the configured provider's webhooks are mounted: these tests speak Postmark's."""
    settings.EMAIL_PROVIDER = "postmark"


@pytest.fixture
def sent_row(db) -> OutboundMessage:
    """A message the provider accepted and gave its own id."""
    member = make_member()
    row = services.queue_message(
        kind=Kind.MINUTES, to_email=member.user.email, subject="Minutes", body_text="Minutes\n", member=member
    )
    OutboundMessage.objects.filter(pk=row.pk).update(status=Status.SENT, provider_message_id=PROVIDER_ID)
    row.refresh_from_db()
    return row


@pytest.mark.parametrize("headers", [{}, auth("hook:wrong-password"), auth("someone:" + SECRET)])
def test_forged_webhook_is_refused_and_changes_nothing(client, sent_row, headers):
    response = post_event(client, bounce(sent_row), **headers)

    assert response.status_code in (400, 403)
    sent_row.refresh_from_db()
    sent_row.member.refresh_from_db()
    assert sent_row.status == Status.SENT
    assert sent_row.member.email_bounced_at is None


def test_hard_bounce_marks_the_row_and_flags_the_members_address(client, sent_row):
    response = post_event(client, bounce(sent_row), **auth())

    assert response.status_code == 200
    sent_row.refresh_from_db()
    sent_row.member.refresh_from_db()
    assert sent_row.status == Status.BOUNCED
    assert "550 5.1.1" in sent_row.last_error
    assert sent_row.member.email_bounced_at is not None


def test_delivery_marks_the_row_delivered(client, sent_row):
    response = post_event(client, delivery(sent_row), **auth())

    assert response.status_code == 200
    sent_row.refresh_from_db()
    assert sent_row.status == Status.DELIVERED
    assert sent_row.last_error == ""


def test_late_delivery_after_a_bounce_does_not_hide_the_bounce(client, sent_row):
    post_event(client, bounce(sent_row), **auth())
    post_event(client, delivery(sent_row), **auth())

    sent_row.refresh_from_db()
    assert sent_row.status == Status.BOUNCED


def test_event_for_an_unknown_message_changes_nothing(client, sent_row):
    payload = delivery(sent_row, MessageID="00000000-0000-0000-0000-000000000000", Metadata={})

    response = post_event(client, payload, **auth())

    assert response.status_code == 200  # the provider must not retry it forever
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_event_is_matched_by_outbox_id_when_the_provider_id_is_unknown(client, sent_row):
    OutboundMessage.objects.filter(pk=sent_row.pk).update(provider_message_id="")

    post_event(client, delivery(sent_row, MessageID="id-we-never-saw"), **auth())

    sent_row.refresh_from_db()
    assert sent_row.status == Status.DELIVERED


def test_event_naming_another_recipient_changes_nothing(client, sent_row):
    post_event(client, bounce(sent_row, Email="someone-else@example.org"), **auth())

    sent_row.refresh_from_db()
    sent_row.member.refresh_from_db()
    assert sent_row.status == Status.SENT
    assert sent_row.member.email_bounced_at is None


def test_soft_bounce_does_not_flag_the_address(client, sent_row):
    post_event(client, bounce(sent_row, kind="SoftBounce"), **auth())

    sent_row.refresh_from_db()
    sent_row.member.refresh_from_db()
    assert sent_row.status == Status.SENT
    assert sent_row.member.email_bounced_at is None


def test_bounce_of_an_address_the_member_no_longer_uses_does_not_flag_the_new_one(client, sent_row):
    user = sent_row.member.user
    user.email = "new-address@example.org"
    user.save(update_fields=["email"])

    post_event(client, bounce(sent_row), **auth())

    sent_row.refresh_from_db()
    sent_row.member.refresh_from_db()
    assert sent_row.status == Status.BOUNCED
    assert sent_row.member.email_bounced_at is None


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_without_a_configured_secret_events_are_ignored(client, sent_row, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}

    post_event(client, bounce(sent_row))

    sent_row.refresh_from_db()
    assert sent_row.status == Status.SENT
