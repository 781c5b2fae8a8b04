"""End to end: a circulation goes out through Django's SMTP backend to a real SMTP server."""

import email
import email.policy

import pytest

from meetings import circulation
from meetings.models import Invitation
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.helpers import make_meeting, parse_calendar


@pytest.mark.django_db
def test_circulation_reaches_an_smtp_server_as_calendar_invitations(
    smtp_server, group, chair, secretariat, django_capture_on_commit_callbacks
):
    dutch, french = make_member(group, language="nl"), make_member(group, language="fr")
    # Those two only, not the whole group (the chair and secretariat are in it too).
    meeting = make_meeting(group, chair, members=[dutch, french], items=3, invite_whole_group=False)
    meeting.invitations.update(source=Invitation.Source.PERSONAL)
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="Guest", language="de")
    expected = {dutch.user.email: "nl", french.user.email: "fr", "guest@example.net": "de"}

    with django_capture_on_commit_callbacks(execute=True):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)

    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {OutboundMessage.Status.SENT}
    received = {}
    for recipients, raw in smtp_server.received:
        assert len(recipients) == 1  # one message per invitee
        received[recipients[0]] = email.message_from_bytes(raw, policy=email.policy.default)
    assert set(received) == set(expected)

    titles = {"nl": "Plenaire over het MVO-actieplan", "fr": "Plénière sur le plan d'action RSE"}
    items = {"nl": "Punt 1 in het Nederlands", "fr": "Point 1 en français", "de": "Item 1 in English"}
    for address, message in received.items():
        language = expected[address]
        assert message["To"] == address
        assert message["Content-Language"] == language
        assert message["Reply-To"] == chair.user.email
        assert titles.get(language, "Plenary on the CSR action plan") in message["Subject"]
        parts = {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}
        assert set(parts) == {"text/plain", "text/html", "text/calendar", "application/ics"}
        assert message.get_content_type() == "multipart/mixed"
        first_item = items[language]
        assert f"1. 10:00 {first_item}" in parts["text/plain"].get_content()
        assert first_item in parts["text/html"].get_content()
        calendar_part = parts["text/calendar"]
        assert calendar_part.get_param("method") == "REQUEST"
        assert calendar_part.get_content_disposition() is None  # inline: the invitation itself
        ical, _vcal = parse_calendar(calendar_part.get_content())
        assert ical["METHOD"] == "REQUEST"
        (event,) = ical.walk("VEVENT")
        assert str(event["UID"]) == meeting.uid
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        attachment = parts["application/ics"]
        assert attachment.get_filename() == "invite.ics"
        assert attachment.get_content() == calendar_part.get_content().encode()
