"""Template filters that say what can still be done with a meeting."""

from django import template

from meetings.models import Meeting
from meetings.overview import taken_place as meeting_taken_place

register = template.Library()


@register.filter
def taken_place(meeting: Meeting) -> bool:
    """True once the meeting is held or its end has passed (see meetings.overview.taken_place)."""
    return meeting_taken_place(meeting)
