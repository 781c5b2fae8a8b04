"""Calendar files fold their long lines as icalendar does, byte for byte (meetings.calendar.ical_bytes)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, Event
from icalendar.parser import Contentline

from meetings import calendar
from tests.meetings.helpers import circulated, make_meeting

# Content lines never hold a line break (TEXT values escape them); anything else may come:
# accents, other scripts, emoji (four octets), and the backslashes and carets of escapes.
LINE_CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
LINES = st.text(alphabet=st.one_of(LINE_CHARACTERS, st.sampled_from("\\^;,é€😀")), max_size=400)


@given(LINES)
def test_a_line_is_folded_as_icalendar_folds_it(line):
    assert calendar._fold(line) == Contentline(line).to_ical()


@pytest.mark.parametrize("offset", range(70, 78))
@pytest.mark.parametrize("escape", ["\\,", "\\;", "\\n", "^'", "é", "😀"])
def test_an_escape_or_a_character_at_the_fold_stays_whole(offset, escape):
    line = "DESCRIPTION:" + "x" * (offset - 12) + escape + "y" * 100

    folded = calendar._fold(line)

    assert folded == Contentline(line).to_ical()
    assert all(len(piece) <= 75 for piece in folded.split(b"\r\n"))
    assert escape.encode() in folded.replace(b"\r\n ", b"")


@given(st.lists(st.tuples(st.sampled_from(["SUMMARY", "DESCRIPTION", "LOCATION"]), LINES), max_size=6))
def test_a_component_is_written_as_icalendar_writes_it(properties):
    event = Event()
    for name, value in properties:
        event.add(name, value)
    whole = Calendar()
    whole.add("PRODID", calendar.PRODID)
    whole.add_component(event)

    assert calendar.ical_bytes(whole) == whole.to_ical()
    assert Calendar.from_ical(calendar.ical_bytes(whole)).walk("VEVENT")[0].to_ical() == event.to_ical()


@pytest.mark.django_db
def test_a_meetings_files_are_what_icalendar_writes(group, chair, focal_point):
    long_title = "Plénière – " + "très longue réunion sur le plan d'action; suite, et fin\\ " * 4
    meeting = circulated(
        make_meeting(group, chair, members=[focal_point], items=6, title_fr=long_title[:250], description_fr="É" * 300)
    )
    loaded = calendar.with_calendar_data(type(meeting).objects.filter(pk=meeting.pk)).get()
    for language in ("fr", "nl", "de", "en"):
        whole = calendar._calendar(calendar.PUBLISH)
        whole.add_component(calendar._event(loaded, language=language, stamp=loaded.updated_at))
        assert calendar.ical_bytes(whole) == whole.to_ical()
