"""The sender's view of a sending: the list of batches, one batch, its live counts, "Send again"."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from members import services, tasks
from members.outbox import Kind, OutboundMessage
from tests.factories import make_member

Status = OutboundMessage.Status
BATCH = "meeting-7-invitations"
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def send_batch(sender, recipients, batch=BATCH) -> list[OutboundMessage]:
    """Queue one message per recipient (not delivered: the test sets statuses itself)."""
    return [
        services.queue_message(
            kind=Kind.MEETING_INVITATION,
            to_email=member.user.email,
            subject="Invitation",
            body_text="You are invited.\n",
            member=member,
            batch=batch,
            created_by=sender,
        )
        for member in recipients
    ]


def set_status(row: OutboundMessage, status: str, **fields) -> None:
    OutboundMessage.objects.filter(pk=row.pk).update(status=status, **fields)
    row.refresh_from_db()


def in_language(member, text: str) -> str:
    """What the member reads: the pages are in their language (English until catalogues exist)."""
    with translation.override(member.language):
        return translation.gettext(text)


def batch_url(name: str = "outbox-batch", batch: str = BATCH) -> str:
    return reverse(f"members:{name}", args=[batch])


@pytest.fixture
def sent_batch(chair, focal_point, observer, secretariat):
    """The chair's sending to three people: one sent, one failed, one still queued."""
    rows = send_batch(chair, [focal_point, observer, secretariat])
    set_status(rows[0], Status.SENT, attempts=1)
    set_status(rows[1], Status.FAILED, attempts=1, last_error="SMTPRecipientsRefused: 550 5.1.1 No such user")
    return rows


@pytest.fixture
def staff(db):
    member = make_member()
    member.user.is_staff = True
    member.user.save(update_fields=["is_staff"])
    return member


def test_sender_can_see_counts_and_recipients_of_their_sending(client, chair, sent_batch):
    client.force_login(chair.user)

    response = client.get(batch_url())

    assert response.status_code == 200
    counts = {status: count for status, _label, count in response.context["status_counts"]}
    assert counts[Status.SENT] == 1 and counts[Status.FAILED] == 1 and counts[Status.QUEUED] == 1
    assert response.context["summary"]["pending"] == 1
    assert response.context["summary"]["problems"] == 1
    html = response.content.decode()
    for row in sent_batch:
        assert row.to_email in html
    assert "550 5.1.1 No such user" in html
    assert 'aria-live="polite"' in html
    # The failed one is listed first and is the only one with a "Send again" button.
    assert response.context["recipients"][0].pk == sent_batch[1].pk
    assert html.count('name="message"') == 1
    assert f'name="message" value="{sent_batch[1].pk}"' in html


def test_sender_sees_why_a_message_was_not_sent_in_their_language(client, chair, focal_point):
    focal_point.muted_kinds = [Kind.NEWS]
    focal_point.save(update_fields=["muted_kinds"])
    row = services.queue_message(
        kind=Kind.NEWS,
        to_email=focal_point.user.email,
        subject="News",
        body_text="News\n",
        member=focal_point,
        batch=BATCH,
        created_by=chair,
    )
    client.force_login(chair.user)

    response = client.get(batch_url())

    assert row.status == Status.SUPPRESSED
    assert response.context["recipients"][0].error_text == in_language(chair, services.SUPPRESSED_MUTED)
    assert response.context["summary"]["skipped"] == 1


def test_staff_can_see_any_sending(client, staff, sent_batch):
    client.force_login(staff.user)

    assert client.get(batch_url()).status_code == 200
    assert client.get(batch_url("outbox-batch-status")).status_code == 200


@pytest.mark.parametrize("persona", ["secretariat", "focal_point", "outsider"])
def test_other_members_cannot_see_a_sending(client, sent_batch, persona, request):
    """Even a manager of the same group, or a recipient of the sending, gets a 404."""
    client.force_login(request.getfixturevalue(persona).user)

    assert client.get(batch_url()).status_code == 404
    assert client.get(batch_url("outbox-batch-status")).status_code == 404
    assert client.post(batch_url(), {"message": sent_batch[1].pk}).status_code == 404
    sent_batch[1].refresh_from_db()
    assert sent_batch[1].status == Status.FAILED


def test_anonymous_visitor_is_sent_to_sign_in(client, sent_batch):
    for url in (reverse("members:outbox"), batch_url(), batch_url("outbox-batch-status")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_unknown_sending_is_not_found(client, chair, sent_batch):
    client.force_login(chair.user)

    assert client.get(batch_url(batch="no-such-batch")).status_code == 404


def test_status_json_gives_the_live_counts(client, chair, sent_batch):
    client.force_login(chair.user)

    data = client.get(batch_url("outbox-batch-status")).json()

    assert data["total"] == 3
    assert data["pending"] == 1
    assert data["counts"][Status.SENT] == 1
    assert data["counts"][Status.FAILED] == 1
    assert data["counts"][Status.QUEUED] == 1
    with translation.override(chair.language):
        expected = translation.ngettext(
            "Sending: %(pending)d of %(total)d message still waiting.",
            "Sending: %(pending)d of %(total)d messages still waiting.",
            3,
        ) % {"pending": 1, "total": 3}
    assert data["summary"] == expected

    set_status(sent_batch[2], Status.DELIVERED)
    data = client.get(batch_url("outbox-batch-status")).json()
    assert data["pending"] == 0
    assert data["sent"] == 2
    assert data["problems"] == 1


def test_sender_sends_a_failed_message_again(
    client, chair, sent_batch, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(chair.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(batch_url(), {"message": sent_batch[1].pk})

    assert response.status_code == 302
    sent_batch[1].refresh_from_db()
    assert sent_batch[1].status == Status.SENT
    assert sent_batch[1].attempts == 2
    assert [message.to for message in mailoutbox] == [[sent_batch[1].to_email]]


@pytest.mark.parametrize("posted", [{}, {"message": "abc"}, {"message": "-3"}])
def test_send_again_with_bad_input_changes_nothing(client, chair, sent_batch, mailoutbox, posted):
    client.force_login(chair.user)

    response = client.post(batch_url(), posted, follow=True)

    assert response.status_code == 200
    expected = in_language(chair, "Choose a message to send again.")
    assert [str(message) for message in response.context["messages"]] == [expected]
    sent_batch[1].refresh_from_db()
    assert sent_batch[1].status == Status.FAILED
    assert mailoutbox == []


def test_sender_cannot_send_again_a_message_that_did_not_fail(client, chair, sent_batch, mailoutbox):
    client.force_login(chair.user)

    response = client.post(batch_url(), {"message": sent_batch[0].pk}, follow=True)

    expected = in_language(chair, "Only failed messages can be sent again.")
    assert [str(message) for message in response.context["messages"]] == [expected]
    sent_batch[0].refresh_from_db()
    assert sent_batch[0].status == Status.SENT
    assert mailoutbox == []


def test_sender_cannot_send_again_a_message_of_another_sending(client, chair, outsider, sent_batch):
    other = send_batch(outsider, [chair], batch="someone-elses")[0]
    set_status(other, Status.FAILED)
    client.force_login(chair.user)

    assert client.post(batch_url(), {"message": other.pk}).status_code == 404
    other.refresh_from_db()
    assert other.status == Status.FAILED


def test_refused_recipient_shows_as_failed_and_send_again_delivers_it(
    client, chair, focal_point, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "tests.members.mailers.RefusingProviderBackend",
            "OPTIONS": {"refuse": [focal_point.user.email]},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        [row] = send_batch(chair, [focal_point])
    client.force_login(chair.user)

    page = client.get(batch_url()).content.decode()

    assert "AnymailRecipientsRefused" in page
    assert f'name="message" value="{row.pk}"' in page

    settings.MAILERS = LOCMEM  # the address was fixed at the provider's end
    with django_capture_on_commit_callbacks(execute=True):
        client.post(batch_url(), {"message": row.pk})
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert [message.to for message in mailoutbox] == [[focal_point.user.email]]


def test_invalid_address_fails_at_once_without_a_send_again_button(client, chair):
    [row] = [
        services.queue_message(
            kind=Kind.NEWS,
            to_email="not an address",
            subject="x",
            body_text="x\n",
            batch=BATCH,
            created_by=chair,
        )
    ]
    client.force_login(chair.user)

    response = client.get(batch_url())

    assert row.status == Status.FAILED
    assert row.last_error == services.FAILED_INVALID_ADDRESS
    assert 'name="message"' not in response.content.decode()


def test_sender_sees_only_their_own_sendings_in_the_list(client, chair, outsider, focal_point, sent_batch):
    send_batch(outsider, [focal_point], batch="outsiders-batch")
    client.force_login(chair.user)

    response = client.get(reverse("members:outbox"))

    rows = list(response.context["page"].object_list)
    assert [row["batch"] for row in rows] == [BATCH]
    assert rows[0]["summary"]["total"] == 3
    assert rows[0]["summary"]["problems"] == 1
    assert rows[0]["summary"]["pending"] == 1
    assert batch_url() in response.content.decode()
    assert "outsiders-batch" not in response.content.decode()


def test_staff_sees_every_sending_in_the_list(client, staff, outsider, focal_point, sent_batch):
    send_batch(outsider, [focal_point], batch="outsiders-batch")
    client.force_login(staff.user)

    response = client.get(reverse("members:outbox"))

    assert sorted(row["batch"] for row in response.context["page"].object_list) == [BATCH, "outsiders-batch"]


@pytest.mark.parametrize("recipients", [5, 100])
def test_outbox_pages_queries_do_not_grow(client, chair, django_assert_num_queries, recipients):
    rows = send_batch(chair, [make_member() for _ in range(recipients)])
    set_status(rows[0], Status.FAILED, last_error="550")
    for number in range(3):
        send_batch(chair, [rows[0].member], batch=f"other-{number}-{recipients}")
    client.force_login(chair.user)

    with django_assert_num_queries(5):  # session, user, member, counts, recipients
        response = client.get(batch_url())
    assert len(response.context["recipients"]) == recipients
    with django_assert_num_queries(4):  # session, user, member, counts
        client.get(batch_url("outbox-batch-status"))
    with django_assert_num_queries(5):  # session, user, member, page count, page rows
        response = client.get(reverse("members:outbox"))
    assert len(response.context["page"].object_list) == 4


def test_an_error_in_the_application_reads_as_could_not_be_sent_without_a_traceback(
    client, chair, focal_point, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.members.test_outbox.BrokenMailer"}}
    with django_capture_on_commit_callbacks(execute=True):
        [row] = send_batch(chair, [focal_point])
    client.force_login(chair.user)

    html = client.get(batch_url()).content.decode()

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert in_language(chair, "Could not be sent") in html
    assert in_language(chair, tasks.FAILED_APPLICATION_ERROR) in html.replace("&#x27;", "'")
    assert "TypeError" not in html and "Traceback" not in html


def test_an_old_error_is_not_shown_beside_sent(client, chair, focal_point, observer):
    rows = send_batch(chair, [focal_point, observer])
    set_status(rows[0], Status.SENT, attempts=2, last_error="SMTPServerDisconnected: Connection closed")
    set_status(rows[1], Status.QUEUED, attempts=1, last_error="AnymailAPIError: 503 try later")
    client.force_login(chair.user)

    html = client.get(batch_url()).content.decode()

    assert "Connection closed" not in html
    assert "503 try later" in html  # still waiting: why it is waiting is news


def test_sendings_are_listed_by_title_and_older_ones_by_their_kind(client, chair, focal_point):
    send_batch(chair, [focal_point])  # queued before sendings had titles
    services.queue_message(
        kind=Kind.MEETING_INVITATION,
        to_email=focal_point.user.email,
        subject="Invitation",
        body_text="You are invited.\n",
        member=focal_point,
        batch="meeting-8-r0",
        batch_title="Uitnodiging: Plenaire, 12 maart 2027",
        created_by=chair,
    )
    client.force_login(chair.user)

    listing = client.get(reverse("members:outbox")).content.decode()
    page = client.get(batch_url(batch="meeting-8-r0")).content.decode()

    visible = re.sub(r'href="[^"]*"', "", listing)
    assert "Uitnodiging: Plenaire, 12 maart 2027" in visible
    assert in_language(chair, Kind.MEETING_INVITATION.label) in visible
    assert "meeting-8-r0" not in visible and BATCH not in visible
    assert "<h1>Uitnodiging: Plenaire, 12 maart 2027</h1>" in page
