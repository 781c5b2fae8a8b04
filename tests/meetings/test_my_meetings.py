"""A member's own "My meetings": upcoming ones with their answer and a one-click change, past ones
they attended or answered; only their own; the query budget."""

import re
from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from meetings.models import Attendance, Invitation, Meeting
from tests.factories import make_member
from tests.meetings.factories import in_days, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
URL = reverse("meetings:my-meetings")


def titled(group, title: str, **fields) -> Meeting:
    return make_meeting(group, None, title_en=title, title_nl="", title_fr="", **fields)


def invited(meeting, member, *, attendance: str = "", **fields) -> Invitation:
    invitation = Invitation.objects.create(meeting=meeting, member=member, **fields)
    if attendance:
        Attendance.objects.create(invitation=invitation, status=attendance)
    return invitation


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


@pytest.fixture
def agenda(group, focal_point):
    speaks(focal_point, "en")
    someone_else = make_member(group)
    hybrid = titled(group, "Hybrid plenary", starts_at=in_days(5), format=Meeting.Format.HYBRID)
    invited(hybrid, focal_point, rsvp=Rsvp.ACCEPTED, attendance_mode="online")
    invited(titled(group, "Unanswered workshop", starts_at=in_days(10)), focal_point)
    invited(titled(group, "Draft meeting", starts_at=in_days(12), status=Meeting.Status.DRAFT), focal_point)
    invited(
        titled(group, "Cancelled meeting", starts_at=in_days(14), status=Meeting.Status.CANCELLED),
        focal_point,
    )
    invited(titled(group, "Removed from", starts_at=in_days(15)), focal_point, removed_at=timezone.now())
    invited(titled(group, "Someone else's", starts_at=in_days(16)), someone_else)
    invited(
        titled(group, "Attended consultation", starts_at=in_days(-20), status=Meeting.Status.HELD),
        focal_point,
        rsvp=Rsvp.ACCEPTED,
        attendance=Attendance.Status.PRESENT,
    )
    invited(titled(group, "Declined plenary", starts_at=in_days(-10)), focal_point, rsvp=Rsvp.DECLINED)
    invited(
        titled(group, "Missed meeting", starts_at=in_days(-5)),
        focal_point,
        rsvp=Rsvp.ACCEPTED,
        attendance=Attendance.Status.ABSENT,
    )
    return hybrid


def test_member_sees_their_upcoming_meetings_with_their_answer(client, focal_point, agenda):
    client.force_login(focal_point.user)

    html = client.get(URL).content.decode()

    upcoming = section(html, "upcoming-heading")
    assert upcoming.index("Hybrid plenary") < upcoming.index("Unanswered workshop")
    assert re.search(r"Your answer:\s*<strong[^>]*>Accepted</strong> \(Online\)", upcoming)
    assert "No answer yet" in upcoming
    for hidden in ("Draft meeting", "Cancelled meeting", "Removed from", "Someone else&#x27;s"):
        assert hidden not in html


def test_member_sees_past_meetings_they_attended_or_answered(client, focal_point, agenda):
    client.force_login(focal_point.user)

    past = section(client.get(URL).content.decode(), "past-heading")

    rows = dict(re.findall(r'<a href="/meetings/\d+/">([^<]+)</a>.*?<td>([^<]*)</td>\s*</tr>', past, re.S))
    assert rows == {"Declined plenary": "Answered: Declined", "Attended consultation": "Attended"}


def test_my_meetings_lists_only_mine(client, group, focal_point, observer, agenda):
    speaks(observer, "en")
    client.force_login(observer.user)

    html = client.get(URL).content.decode()

    assert "Hybrid plenary" not in html
    assert "You are not invited to any upcoming meeting." in html


def test_my_meetings_needs_a_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_nav_links_to_my_meetings(client, focal_point):
    client.force_login(focal_point.user)

    html = client.get(reverse("meetings:list")).content.decode()

    assert f'href="{URL}"' in html


def test_one_click_answer_forms_post_to_the_answer_page(client, focal_point, agenda):
    try:
        answer_url = reverse("meetings:answer-web", args=[agenda.pk])
    except NoReverseMatch:
        pytest.skip("The answer page (meetings:answer-web) is not there yet.")
    client.force_login(focal_point.user)

    html = client.get(URL).content.decode()

    card = html.split(f'id="meeting-{agenda.pk}"')[1].split("</li>")[0]
    forms = re.findall(rf'<form method="post" action="{re.escape(answer_url)}".*?</form>', card, re.S)
    answers = [
        (
            re.search(r'name="answer" value="(\w+)"', f).group(1),
            re.search(r'name="attendance_mode" value="(\w+)"', f),
        )
        for f in forms
    ]
    # Already accepted online: offered on site, maybe and no, each one click.
    assert [(answer, mode.group(1) if mode else "") for answer, mode in answers] == [
        ("accepted", "on_site"),
        ("tentative", ""),
        ("declined", ""),
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"answer": "declined"}, (Rsvp.DECLINED, "")),
        ({"answer": "accepted", "attendance_mode": "on_site"}, (Rsvp.ACCEPTED, "on_site")),
    ],
)
def test_one_click_answer_changes_the_answer(client, focal_point, agenda, fields, expected):
    client.force_login(focal_point.user)

    # Exactly what one of the page's forms sends.
    client.post(reverse("meetings:answer-web", args=[agenda.pk]), {**fields, "next": URL})

    invitation = Invitation.objects.get(meeting=agenda, member=focal_point)
    assert (invitation.rsvp, invitation.attendance_mode) == expected


def test_quick_answer_keeps_the_comment_and_how_one_joins_and_returns_to_my_meetings(
    client, focal_point, agenda
):
    Invitation.objects.filter(meeting=agenda, member=focal_point).update(rsvp_comment="Arriving at 10:30")
    client.force_login(focal_point.user)

    # The "Tentative" button of the page: no comment field, no joining mode.
    response = client.post(
        reverse("meetings:answer-web", args=[agenda.pk]), {"answer": "tentative", "next": URL}, follow=True
    )

    assert response.redirect_chain[-1][0] == URL
    assert "Your answer is saved: Tentative." in response.text
    invitation = Invitation.objects.get(meeting=agenda, member=focal_point)
    assert (invitation.rsvp, invitation.attendance_mode, invitation.rsvp_comment) == (
        Rsvp.TENTATIVE,
        "online",
        "Arriving at 10:30",
    )


def test_emptied_comment_of_the_full_form_is_removed(client, focal_point, agenda):
    Invitation.objects.filter(meeting=agenda, member=focal_point).update(rsvp_comment="Arriving at 10:30")
    client.force_login(focal_point.user)

    client.post(
        reverse("meetings:answer-web", args=[agenda.pk]),
        {"answer": "accepted", "attendance_mode": "on_site", "comment": ""},
    )

    invitation = Invitation.objects.get(meeting=agenda, member=focal_point)
    assert (invitation.attendance_mode, invitation.rsvp_comment) == ("on_site", "")


@pytest.mark.parametrize(
    "next_url", ["https://elsewhere.example/phish", "//elsewhere.example/", "javascript:alert(1)"]
)
def test_answer_does_not_return_to_another_site(client, focal_point, agenda, next_url):
    client.force_login(focal_point.user)

    response = client.post(
        reverse("meetings:answer-web", args=[agenda.pk]), {"answer": "declined", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[agenda.pk])
    assert Invitation.objects.get(meeting=agenda, member=focal_point).rsvp == Rsvp.DECLINED


@pytest.mark.parametrize("count", [2, 40])
def test_my_meetings_queries_do_not_grow(client, group, focal_point, django_assert_num_queries, count):
    substitute = make_member(group)
    for index in range(count):
        upcoming = make_meeting(group, None, starts_at=in_days(3 + index))
        stand_in = invited(upcoming, substitute, rsvp=Rsvp.ACCEPTED)
        invited(upcoming, focal_point, rsvp=Rsvp.DELEGATED, delegated_to=stand_in)
        past = make_meeting(group, None, starts_at=timezone.now() - timedelta(days=3 + index))
        invited(past, focal_point, rsvp=Rsvp.ACCEPTED, attendance=Attendance.Status.PRESENT)
    client.force_login(focal_point.user)

    # session, user, member; each list: its page of ids with their total, then its rows
    with django_assert_num_queries(7):
        response = client.get(URL)
    assert response.content.decode().count('class="card my-meeting"') == min(count, 25)


def test_upcoming_meetings_come_25_a_page_with_links_that_keep_the_past_page(client, group, focal_point):
    for index in range(30):
        invited(titled(group, f"Meeting {index:02d}", starts_at=in_days(3 + index)), focal_point)
    client.force_login(focal_point.user)

    first = section(client.get(URL, {"page": "1"}).content.decode(), "upcoming-heading")
    second = section(client.get(URL, {"page": "1", "upcoming": "2"}).content.decode(), "upcoming-heading")

    assert first.count('class="card my-meeting"') == 25
    assert "Meeting 00" in first and "Meeting 25" not in first
    assert 'aria-label="Pages of upcoming meetings"' in first
    assert 'href="?page=1&amp;upcoming=2#upcoming-heading" rel="next"' in first
    assert "Meetings 1 to 25 of 30." in first
    assert second.count('class="card my-meeting"') == 5
    assert "Meeting 25" in second and "Meeting 24" not in second
    assert 'href="?page=1&amp;upcoming=1#upcoming-heading" rel="prev"' in second
    assert 'aria-current="page">Page 2 of 2</a>' in second


def test_one_click_answer_returns_to_the_same_page_of_my_meetings(client, group, focal_point):
    meetings = [titled(group, f"Meeting {index:02d}", starts_at=in_days(3 + index)) for index in range(27)]
    for meeting in meetings:
        invited(meeting, focal_point)
    client.force_login(focal_point.user)
    html = client.get(URL, {"upcoming": "2"}).content.decode()
    assert f'name="next" value="{URL}?upcoming=2"' in html

    response = client.post(
        reverse("meetings:answer-web", args=[meetings[26].pk]),
        {"answer": "declined", "next": f"{URL}?upcoming=2"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?upcoming=2"


@pytest.mark.parametrize("upcoming", ["2", "9", "0", "two"])
def test_upcoming_page_out_of_range_or_not_a_number(client, group, focal_point, upcoming):
    # Old links (a list that got shorter) show the last page, as Django's paginator answers;
    # what is not a number shows the first.
    for index in range(27):
        invited(titled(group, f"Meeting {index:02d}", starts_at=in_days(3 + index)), focal_point)
    client.force_login(focal_point.user)

    html = section(client.get(URL, {"upcoming": upcoming}).content.decode(), "upcoming-heading")

    if upcoming == "two":
        assert html.count('class="card my-meeting"') == 25
        assert "Meeting 00" in html and "Meeting 25" not in html
    else:
        assert html.count('class="card my-meeting"') == 2
        assert "Meeting 25" in html and "Meeting 26" in html and "Meeting 24" not in html
        assert 'aria-current="page">Page 2 of 2</a>' in html


def test_past_meetings_come_25_a_page_newest_first(client, group, focal_point):
    for index in range(27):
        past = titled(group, f"Past {index:02d}", starts_at=in_days(-3 - index), status=Meeting.Status.HELD)
        invited(past, focal_point, attendance=Attendance.Status.PRESENT if index % 2 else "")
    invited(
        titled(group, "Missed", starts_at=in_days(-2), status=Meeting.Status.HELD),
        focal_point,
        attendance=Attendance.Status.ABSENT,
    )
    client.force_login(focal_point.user)

    first = section(client.get(URL).content.decode(), "past-heading")
    second = section(client.get(URL, {"page": "2"}).content.decode(), "past-heading")

    assert "Missed" not in first + second
    assert first.count('<th scope="row">') == 25 and second.count('<th scope="row">') == 2
    assert first.index("Past 00") < first.index("Past 01") and "Past 25" not in first
    assert "Past 25" in second and "Past 26" in second
    assert 'aria-current="page">Page 2 of 2</a>' in second


def test_an_old_link_past_the_last_page_costs_one_query_more(
    client, group, focal_point, django_assert_num_queries
):
    for index in range(3):
        invited(make_meeting(group, None, starts_at=in_days(3 + index)), focal_point)
    invited(make_meeting(group, None, starts_at=in_days(-3)), focal_point, rsvp=Rsvp.ACCEPTED)
    client.force_login(focal_point.user)
    client.get(URL)

    # session, user, member; each list: its page of ids with their total, then its rows; past the
    # last page, no ids come back: the count, then the last page's rows
    with django_assert_num_queries(8):
        response = client.get(URL, {"upcoming": "5"})
    assert response.content.decode().count('class="card my-meeting"') == 3
