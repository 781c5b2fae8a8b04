"""The minutes' read rule is written twice in meetings/access.py: per object (may_read_minutes, for
pages) and as one query (readable_minutes, for the register and search). They must agree."""

import pytest

from meetings.access import may_read_minutes, readable_minutes
from meetings.models import Attendance, Minutes
from members.models import Membership
from tests.factories import make_member
from tests.meetings.factories import invite
from tests.meetings.minutes_factories import attended, held_meeting, make_minutes

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.mark.parametrize("status", Minutes.Status.values)
@pytest.mark.parametrize("audience", Minutes.Audience.values)
def test_the_page_rule_and_the_query_agree_for_everyone(group, other_group, chair, status, audience):
    meeting = held_meeting(group, chair)
    minutes = make_minutes(meeting, chair=chair, items=1, status=status, comment_audience=audience)
    people = {role: make_member(group, role) for role in Role.values}
    present = make_member(group, Role.MEMBER)
    attended(meeting, present)
    excused = make_member(group, Role.OBSERVER)
    attended(meeting, excused, Attendance.Status.EXCUSED)
    guest_of_another_group = make_member(other_group, Role.MEMBER)
    invite(meeting, [guest_of_another_group])
    outsider = make_member(other_group, Role.CHAIR)
    for member in [*people.values(), present, excused, guest_of_another_group, outsider]:
        by_query = readable_minutes(member).filter(pk=minutes.pk).exists()
        assert may_read_minutes(member, minutes) is by_query, (status, audience, member)
