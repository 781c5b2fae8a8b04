"""Template filters that say what can still be done with a meeting."""

from django import template

from meetings.invitees import taken_place as meeting_taken_place
from meetings.models import Meeting

register = template.Library()


@register.filter
def taken_place(meeting: Meeting) -> bool:
    """True once the meeting is held or its end has passed (see meetings.invitees.taken_place)."""
    return meeting_taken_place(meeting)
