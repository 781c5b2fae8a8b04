"""Markdown that chairs type reaches invitees rendered: sanitised HTML in the HTML email, readable
plain text in the text email and in the calendar's DESCRIPTION (never `**` or raw link syntax)."""

import email
from email import policy

import pytest

from meetings import circulation, services
from meetings.models import AgendaItem, Invitation
from meetings.plaintext import markdown_as_text
from tests.meetings.helpers import invite, make_meeting, parse_calendar

pytestmark = pytest.mark.django_db
Source = Invitation.Source

DESCRIPTION = (
    "**Decision** on the *action plan*: read [the draft](https://example.org/draft) first.\n\n"
    "- the federal part\n- the regional part\n\n<script>alert('x')</script>"
)
ITEM_DESCRIPTION = "Comments by **Friday**, see [the table](https://example.org/table)."
NOTE = "We **moved** to the larger room:\n\n1. take the lift\n2. floor 3"


def test_markdown_as_text_is_readable_without_markup():
    text = markdown_as_text(DESCRIPTION)

    assert text == (
        "Decision on the action plan: read the draft (https://example.org/draft) first.\n\n"
        "- the federal part\n- the regional part"
    )
    assert markdown_as_text("1. one\n2. two") == "1. one\n2. two"
    assert markdown_as_text("Mail [the secretariat](mailto:sec@example.org)") == (
        "Mail the secretariat (sec@example.org)"
    )
    assert markdown_as_text("See <https://example.org>") == "See https://example.org"
    assert markdown_as_text("| Administration | Answer |\n|---|---|\n| FOD | yes |") == (
        "Administration | Answer\nFOD | yes"
    )
    assert markdown_as_text("") == ""


def parts_of(message) -> dict[str, str]:
    """The text, HTML and calendar parts of a sent message, read back from its MIME bytes."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    parts = {}
    for part in parsed.walk():
        if part.get_content_maintype() == "text" and not part.is_attachment():
            parts.setdefault(part.get_content_subtype(), part.get_content())
    return parts


@pytest.fixture
def meeting(group, chair, focal_point):
    meeting = make_meeting(group, chair, items=2, invite_whole_group=False, description_en=DESCRIPTION)
    AgendaItem.objects.filter(meeting=meeting, position=1).update(description_en=ITEM_DESCRIPTION)
    invite(meeting, [focal_point], source=Source.PERSONAL)
    return meeting


def assert_readable_text(text: str) -> None:
    assert "**" not in text and "](" not in text and "<script" not in text
    assert "Decision on the action plan: read the draft (https://example.org/draft) first." in text
    assert "- the federal part\n" in text and "- the regional part" in text
    assert "Comments by Friday, see the table (https://example.org/table)." in text


def test_invitation_email_and_calendar_show_descriptions_rendered(
    meeting, secretariat, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)

    (message,) = mailoutbox
    parts = parts_of(message)
    assert_readable_text(parts["plain"])
    html = parts["html"]
    assert "<strong>Decision</strong>" in html and "<em>action plan</em>" in html
    assert '<a href="https://example.org/draft" rel="noopener noreferrer">the draft</a>' in html
    assert "<li>the federal part</li>" in html
    assert "<strong>Friday</strong>" in html
    assert "**" not in html and "<script" not in html and "alert" not in html

    ical, vcal = parse_calendar(parts["calendar"])
    (event,) = ical.walk("VEVENT")
    for description in (str(event["DESCRIPTION"]), vcal.vevent.description.value):
        assert_readable_text(description)
        assert "\n   Comments by Friday" in description  # under its agenda item


def test_update_note_is_rendered_in_both_parts(
    meeting, chair, secretariat, mailoutbox, django_capture_on_commit_callbacks
):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    services.update_meeting(meeting=meeting, by=chair, location="Rue de la Loi 16, room 3")

    with django_capture_on_commit_callbacks(execute=True):
        circulation.circulate_agenda(meeting=meeting, by=secretariat, note=NOTE)

    parts = parts_of(mailoutbox[-1])
    assert "We moved to the larger room:\n\n1. take the lift\n2. floor 3" in parts["plain"]
    assert "**" not in parts["plain"]
    assert "We <strong>moved</strong> to the larger room:" in parts["html"]
    assert "<li>take the lift</li>" in parts["html"]
