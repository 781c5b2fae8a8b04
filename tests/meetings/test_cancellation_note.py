"""Cancelling a meeting: the note to the invitees is written in each language and each invitee
reads it in theirs, or in the usual fallback (core.i18n.fallback_order)."""

import pytest
from django.urls import reverse

from meetings.models import Invitation, Meeting
from members.outbox import OutboundMessage
from tests.meetings.helpers import circulated, invite, make_meeting, parse_calendar

pytestmark = pytest.mark.django_db
Source = Invitation.Source

NOTES = {
    "cancellation_note_nl": "De zaal is **niet** beschikbaar.",
    "cancellation_note_fr": "La salle n'est **pas** disponible.",
    "cancellation_note_de": "",
    "cancellation_note_en": "The room is **not** available.",
}
IN_TEXT = {
    "nl": "De zaal is niet beschikbaar.",
    "fr": "La salle n'est pas disponible.",
    "en": "The room is not available.",
}


@pytest.fixture
def meeting(group, chair, secretariat, focal_point, observer):
    """Circulated to Dutch (chair), French (secretariat), English and German readers, and a French guest."""
    meeting = make_meeting(group, chair, items=1, invite_whole_group=False)
    invite(meeting, [chair, secretariat, focal_point, observer], source=Source.PERSONAL)
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="Ann Guest", language="fr")
    return circulated(meeting)


def reads_english(member):
    member.user.language = "en"
    member.user.save(update_fields=["language"])
    return member


def test_cancel_page_asks_for_the_note_in_each_language(client, meeting, chair):
    client.force_login(reads_english(chair).user)

    page = client.get(reverse("meetings:cancel", args=[meeting.pk])).text

    assert "<legend>Message to the invitees (optional)</legend>" in page
    for code, language in (("nl", "Dutch"), ("fr", "French"), ("de", "German"), ("en", "English")):
        assert f'name="cancellation_note_{code}"' in page
        assert f"Message to the invitees ({language})" in page
        assert f'lang="{code}"' in page


def test_each_invitee_reads_the_note_in_their_language(
    client, meeting, chair, secretariat, focal_point, observer, django_capture_on_commit_callbacks
):
    client.force_login(chair.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:cancel", args=[meeting.pk]), NOTES)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert {field: getattr(meeting, field) for field in NOTES} == NOTES
    expected = {
        chair.user.email: "nl",
        secretariat.user.email: "fr",
        focal_point.user.email: "en",
        observer.user.email: "en",  # no German note: English is the fallback
        "guest@example.net": "fr",
    }
    rows = {row.to_email: row for row in OutboundMessage.objects.all()}
    assert set(rows) == set(expected)
    for address, language in expected.items():
        row = rows[address]
        assert IN_TEXT[language] in row.body_text, address
        others = [text for code, text in IN_TEXT.items() if code != language]
        assert not any(text in row.body_text for text in others), address
        bold = {"nl": "<strong>niet</strong>", "fr": "<strong>pas</strong>", "en": "<strong>not</strong>"}
        assert bold[language] in row.body_html
        ical, vcal = parse_calendar(row.alternatives[0]["content"])
        (event,) = ical.walk("VEVENT")
        assert IN_TEXT[language] in str(event["DESCRIPTION"])
        assert IN_TEXT[language] in vcal.vevent.description.value


def test_an_over_long_note_is_refused_and_nothing_changes(client, meeting, chair):
    client.force_login(reads_english(chair).user)

    response = client.post(
        reverse("meetings:cancel", args=[meeting.pk]), {**NOTES, "cancellation_note_fr": "x" * 2001}
    )

    assert response.status_code == 200
    assert "at most 2000 characters" in response.text
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.cancellation_note_nl == ""
    assert not OutboundMessage.objects.exists()
