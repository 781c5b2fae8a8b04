"""What the chair sees of a sending: "queued for N people", the sending's page, its name."""

import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from meetings import emails, sending
from members.outbox import OutboundMessage
from tests.meetings.factories import BRUSSELS, invite, make_items, make_meeting

pytestmark = pytest.mark.django_db


def twelfth_of_march() -> datetime:
    return datetime(timezone.now().year + 1, 3, 12, 10, tzinfo=BRUSSELS)


def in_dutch(label: str, meeting) -> str:
    """The label as a Dutch reader sees it, with the meeting's Dutch title and its date as Dutch writes it."""
    with translation.override("nl"):
        date = formats.date_format(timezone.localtime(meeting.starts_at, BRUSSELS), "DATE_FORMAT")
        assert "12 maart" in date
        return translation.gettext(label) % {"title": "Plenaire over het MVO-actieplan", "date": date}


@pytest.fixture
def meeting(group, chair, focal_point, secretariat):
    """A plenary on 12 March next year, organised by the Dutch-speaking chair; the group is invited."""
    meeting = make_meeting(group, chair, starts_at=twelfth_of_march())
    make_items(meeting, 2)
    invite(meeting, [focal_point, secretariat])
    return meeting


def circulate(client, meeting, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("meetings:circulate", args=[meeting.pk]))


def test_circulating_says_queued_and_opens_the_sending_page(
    client, chair, meeting, django_capture_on_commit_callbacks
):
    chair.user.language = "en"
    chair.user.save(update_fields=["language"])
    client.force_login(chair.user)

    response = circulate(client, meeting, django_capture_on_commit_callbacks)

    batch = OutboundMessage.objects.values_list("batch", flat=True).distinct().get()
    assert response.status_code == 302
    assert response.url == reverse("members:outbox-batch", args=[batch])
    page = client.get(response.url).content.decode()
    assert "The agenda is queued for 3 people." in page  # the chair, the secretariat, the focal point
    assert "sent to 3" not in page
    # The sending's page follows the counts while emails go out.
    assert reverse("members:outbox-batch-status", args=[batch]) in page
    assert re.search(r"<h1>Invitation: Plenary on the CSR action plan, [^<]*12 March \d{4}</h1>", page)


def test_sendings_are_named_after_the_meeting_in_the_senders_language(
    client, chair, meeting, django_capture_on_commit_callbacks
):
    client.force_login(chair.user)  # reads Dutch
    circulate(client, meeting, django_capture_on_commit_callbacks)
    meeting.title_en = "Plenary on the CSR action plan (new room)"
    meeting.save(update_fields=["title_en"])
    meeting.location = "Boulevard du Roi Albert II 16, Brussels"
    meeting.save(update_fields=["location"])
    circulate(client, meeting, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:cancel", args=[meeting.pk]), {"note": ""})

    titles = list(OutboundMessage.objects.order_by("pk").values_list("batch_title", flat=True))
    invitation = in_dutch("Invitation: %(title)s, %(date)s", meeting)
    update = in_dutch("Update: %(title)s, %(date)s", meeting)
    cancellation = in_dutch("Cancellation: %(title)s, %(date)s", meeting)
    assert titles == [invitation] * 3 + [update] * 3 + [cancellation] * 3

    # The outbox list names each sending by its title, not by an internal code.
    page = client.get(reverse("members:outbox")).content.decode()
    for text in (invitation, update, cancellation):
        assert text.replace("'", "&#x27;") in page
    assert f"meeting-{meeting.pk}-" not in re.sub(r'href="[^"]*"', "", page)


def test_automatic_reminders_are_named_in_the_organisers_language(meeting, focal_point):
    invitation = meeting.invitations.select_related("member__user", "meeting__organiser__user").get(
        member=focal_point
    )
    email = emails.reminder_email(invitation, "unanswered")

    row = sending.queue_meeting_email(email, invitation, batch="reminders", by=None)

    assert row.batch_title == in_dutch("Reminder: %(title)s, %(date)s", meeting)
    assert row.language == "en"  # the email itself is in the invitee's language
