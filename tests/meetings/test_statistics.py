"""Participation statistics: exact numbers on a small known dataset, period and group filters,
bad dates, the chart and its table, permissions and the query budget."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, Invitation, Meeting
from meetings.stats import participation
from members.models import Administration, Membership
from tests.factories import GroupFactory, MembershipFactory, make_member
from tests.meetings.factories import administration, in_days, invite_many, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Status = Attendance.Status
URL = reverse("meetings:statistics")


def invited(meeting, member, *, attendance: str = "", represented_by=None, **fields) -> Invitation:
    invitation = Invitation.objects.create(meeting=meeting, member=member, **fields)
    if attendance:
        Attendance.objects.create(invitation=invitation, status=attendance, represented_by=represented_by)
    return invitation


@pytest.fixture
def dataset(group, other_group, chair):
    """Two administrations, three meetings in the period, and meetings that must not count.

    AAA (federal): invited to M1 and M2, answered M1, attended M1.
    BBB (regional): invited to M1, M2 and M3, answered all three, attended M2 through a substitute.
    """
    speaks(chair, "en")
    aaa = administration(acronym="AAA", name_en="Federal A", level=Administration.Level.FEDERAL)
    bbb = administration(acronym="BBB", name_en="Regional B", level=Administration.Level.REGIONAL)
    a1, a2 = make_member(administration=aaa), make_member(administration=aaa)
    b1 = make_member(administration=bbb)
    substitute = make_member(administration=None)

    m1 = make_meeting(group, chair, starts_at=in_days(-60), status=Meeting.Status.HELD)
    invited(m1, a1, rsvp=Rsvp.ACCEPTED, attendance=Status.PRESENT)
    invited(m1, a2)
    invited(m1, b1, rsvp=Rsvp.DECLINED, attendance=Status.EXCUSED)

    m2 = make_meeting(group, chair, starts_at=in_days(-30))
    invited(m2, a1)
    stand_in = invited(m2, substitute, rsvp=Rsvp.ACCEPTED, attendance=Status.PRESENT)
    invited(
        m2,
        b1,
        rsvp=Rsvp.DELEGATED,
        delegated_to=stand_in,
        attendance=Status.EXCUSED,
        represented_by=substitute,
    )

    m3 = make_meeting(group, chair, starts_at=in_days(-10))
    invited(m3, b1, rsvp=Rsvp.ACCEPTED, attendance=Status.ABSENT)
    invited(m3, a2, rsvp=Rsvp.ACCEPTED, attendance=Status.PRESENT, removed_at=timezone.now())

    # Not counted: a cancelled meeting, a draft, one before the period, one of a group the chair
    # does not manage.
    for meeting in (
        make_meeting(group, chair, starts_at=in_days(-20), status=Meeting.Status.CANCELLED),
        make_meeting(group, chair, starts_at=in_days(-15), status=Meeting.Status.DRAFT),
        make_meeting(group, chair, starts_at=in_days(-400), status=Meeting.Status.HELD),
        make_meeting(other_group, None, starts_at=in_days(-5)),
    ):
        invited(meeting, a1, rsvp=Rsvp.ACCEPTED, attendance=Status.PRESENT)
        invited(meeting, b1, rsvp=Rsvp.ACCEPTED, attendance=Status.PRESENT)
    return {"aaa": aaa, "bbb": bbb, "a1": a1}


def numbers(rows) -> dict:
    return {row.label: (row.invited, row.answered, row.attended) for row in rows}


def table_numbers(html: str, key: str) -> dict:
    table = re.search(
        rf'<table class="data-table stats-table" id="{key}-table">.*?</table>', html, re.S
    ).group(0)
    rows = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S):
        label = re.sub(r"<[^>]+>", "", row[0]).strip()
        cells = [
            re.sub(r"<[^>]+>", "", c).replace("&nbsp;", " ").strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])
        ]
        rows[label] = cells
    return rows


def chart_values(html: str, key: str) -> list[int]:
    svg = re.search(
        rf'<svg role="img" aria-labelledby="{key}-chart-title {key}-chart-desc".*?</svg>', html, re.S
    )
    return [int(v) for v in re.findall(r'<text class="chart-value"[^>]*>(\d+)</text>', svg.group(0))]


def test_statistics_count_meetings_invited_answered_and_attended_exactly(group, dataset):
    stats = participation(groups=[group], start=in_days(-365).date(), end=timezone.localdate())

    assert stats.meeting_count == 3
    assert numbers(stats.administrations) == {"AAA": (2, 1, 1), "BBB": (3, 3, 1)}
    assert numbers(stats.levels) == {"Federal": (2, 1, 1), "Regional": (3, 3, 1)}
    bbb = next(row for row in stats.administrations if row.label == "BBB")
    assert (bbb.answered_rate, bbb.attended_rate) == (100, 33)


def test_chair_sees_a_table_and_a_chart_with_the_same_numbers(client, chair, dataset):
    client.force_login(chair.user)

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "3 meetings from" in html
    assert table_numbers(html, "administrations") == {
        "AAA": ["2", "1", "50 %", "1", "50 %"],
        "BBB": ["3", "3", "100 %", "1", "33 %"],
    }
    assert table_numbers(html, "levels") == {
        "Federal": ["2", "1", "50 %", "1", "50 %"],
        "Regional": ["3", "3", "100 %", "1", "33 %"],
    }
    # The chart draws invited, answered, attended per row, in the table's order.
    assert chart_values(html, "administrations") == [2, 1, 1, 3, 3, 1]
    assert chart_values(html, "levels") == [2, 1, 1, 3, 3, 1]
    assert '<title id="levels-chart-title">' in html and '<desc id="levels-chart-desc">' in html
    assert "<caption" in html
    assert "<script" not in html and "style=" not in html


def test_period_filter_counts_only_the_meetings_in_it(client, chair, dataset):
    client.force_login(chair.user)
    start = in_days(-45).date().isoformat()

    html = client.get(URL, {"start": start, "end": timezone.localdate().isoformat()}).content.decode()

    assert "2 meetings from" in html
    assert table_numbers(html, "administrations") == {
        "AAA": ["1", "0", "0 %", "0", "0 %"],
        "BBB": ["2", "2", "100 %", "1", "50 %"],
    }


def test_group_filter_counts_only_that_groups_meetings(client, chair, group, dataset):
    second = GroupFactory(slug="second-group")
    MembershipFactory(member=chair, group=second, role=Membership.Role.CHAIR)
    meeting = make_meeting(second, chair, starts_at=in_days(-3))
    invited(meeting, dataset["a1"], rsvp=Rsvp.ACCEPTED, attendance=Status.PRESENT)
    client.force_login(chair.user)

    both = client.get(URL).content.decode()
    only_second = client.get(URL, {"group": "second-group"}).content.decode()
    only_first = client.get(URL, {"group": group.slug}).content.decode()

    assert table_numbers(both, "administrations")["AAA"][:1] == ["3"]
    assert table_numbers(only_second, "administrations") == {"AAA": ["1", "1", "100 %", "1", "100 %"]}
    assert table_numbers(only_first, "administrations")["AAA"] == ["2", "1", "50 %", "1", "50 %"]


def test_group_the_chair_does_not_manage_cannot_be_chosen(client, chair, other_group, dataset):
    client.force_login(chair.user)

    html = client.get(URL, {"group": other_group.slug}).content.decode()

    assert "Select a valid choice" in html
    assert 'id="administrations-table"' not in html


def test_invalid_dates_get_a_clear_error_and_no_numbers(client, chair, dataset):
    client.force_login(chair.user)

    bad = client.get(URL, {"start": "2025-13-45"}).content.decode()
    backwards = client.get(URL, {"start": "2025-06-01", "end": "2025-01-01"}).content.decode()

    assert "Enter a valid date." in bad
    assert 'id="id_start_error"' in bad  # tied to the field
    assert "The end of the period must not be before its start." in backwards
    for html in (bad, backwards):
        assert 'id="administrations-table"' not in html


def test_focal_point_and_observer_cannot_see_statistics(client, focal_point, observer):
    for person in (focal_point, observer):
        client.force_login(person.user)
        assert client.get(URL).status_code == 403


def test_chair_of_another_group_sees_none_of_this_groups_numbers(client, outsider, dataset):
    speaks(outsider, "en")
    client.force_login(outsider.user)

    html = client.get(URL).content.decode()

    # Only the other group's one meeting, with AAA and BBB both present.
    assert "1 meeting from" in html
    assert table_numbers(html, "administrations") == {
        "AAA": ["1", "1", "100 %", "1", "100 %"],
        "BBB": ["1", "1", "100 %", "1", "100 %"],
    }


@pytest.mark.parametrize(("meetings", "invitees"), [(1, 5), (6, 300)])
def test_statistics_queries_do_not_grow(client, group, chair, django_assert_num_queries, meetings, invitees):
    for index in range(meetings):
        meeting = make_meeting(group, chair, starts_at=in_days(-10 - index))
        invitations = invite_many(meeting, invitees)
        Attendance.objects.bulk_create(
            [Attendance(invitation=i, status=Status.PRESENT) for i in invitations[::2]]
        )
    client.force_login(chair.user)

    # session, user, member, roles, groups, per level, per administration, administrations, meetings
    with django_assert_num_queries(9):
        response = client.get(URL, {"start": in_days(-60).date().isoformat()})
    assert response.status_code == 200
    assert len(table_numbers(response.content.decode(), "administrations")) == 3 * meetings


def test_default_period_is_the_last_twelve_months(client, chair, dataset):
    client.force_login(chair.user)

    html = client.get(URL).content.decode()

    today = timezone.localdate()
    a_year_ago = today - timedelta(days=366 if (today.month, today.day) == (2, 29) else 0)
    a_year_ago = a_year_ago.replace(
        year=today.year - 1, day=min(a_year_ago.day, 28 if a_year_ago.month == 2 else 31)
    )
    assert f'name="end" value="{today.isoformat()}"' in html
    assert f'name="start" value="{a_year_ago.isoformat()}"' in html
    # The meeting of 400 days ago is outside it: three meetings, not four.
    assert "3 meetings from" in html
