"""Odd input answered with a clear message, never a server error: dates far outside any sensible
range, null characters, page sizes and return addresses from the query string."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core import date_window
from meetings.models import Attendance, Invitation, Meeting
from members.models import Membership
from tests.factories import make_member
from tests.meetings.factories import in_days, make_meeting

Role = Membership.Role
WINDOW_MESSAGE = "Enter a date between"


@pytest.fixture
def chair(group):
    return make_member(group, Role.CHAIR, language="en")


@pytest.fixture
def signed_in(client, chair):
    client.force_login(chair.user)
    return client


def meeting_data(day: str, **fields) -> dict:
    return {
        "title_en": "Plenary",
        "kind": Meeting.Kind.PLENARY,
        "starts_at": f"{day}T10:00",
        "ends_at": f"{day}T12:00",
        "format": Meeting.Format.ON_SITE,
        "location": "Rue de la Loi 16, Brussels",
        "status": Meeting.Status.SCHEDULED,
        **fields,
    }


# --- Dates -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_statistics_over_an_absurd_period_say_which_dates_are_accepted(signed_in):
    response = signed_in.get(reverse("meetings:statistics"), {"start": "0001-01-01", "end": "9999-12-31"})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert WINDOW_MESSAGE in errors["start"][0]
    assert WINDOW_MESSAGE in errors["end"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": "0001-01-01T00:10", "ends_at": "0001-01-01T02:00"},
        {"starts_at": "9999-12-31T10:00", "ends_at": "9999-12-31T12:00"},
        {"rsvp_deadline": "0001-01-01T00:10"},
    ],
)
def test_a_meeting_at_an_absurd_date_is_refused_with_a_clear_message(signed_in, group, fields):
    data = meeting_data(f"{in_days(30):%Y-%m-%d}", **fields)

    response = signed_in.post(reverse("meetings:create", args=[group.slug]), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert all(WINDOW_MESSAGE in errors[name][0] for name in fields)
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_a_meeting_can_be_scheduled_up_to_the_last_day_of_the_window_and_not_after(signed_in, group):
    last = date_window.latest()
    url = reverse("meetings:create", args=[group.slug])

    refused = signed_in.post(url, meeting_data(f"{last + timedelta(days=1):%Y-%m-%d}"))
    accepted = signed_in.post(url, meeting_data(f"{last:%Y-%m-%d}"))

    assert WINDOW_MESSAGE in refused.context["form"].errors["starts_at"][0]
    assert accepted.status_code == 302
    assert Meeting.objects.get().starts_at.date() == last


@pytest.mark.django_db
def test_the_date_pickers_offer_only_the_accepted_dates(signed_in, group):
    response = signed_in.get(reverse("meetings:create", args=[group.slug]))

    last = date_window.latest()
    form = response.context["form"]
    for name in ("starts_at", "ends_at", "rsvp_deadline"):
        assert form.fields[name].widget.attrs["min"] == "2000-01-01T00:00"
        assert form.fields[name].widget.attrs["max"] == f"{last:%Y-%m-%d}T23:59"
    assert f'max="{last:%Y-%m-%d}T23:59"' in response.content.decode()


@pytest.mark.django_db
def test_the_message_gives_the_dates_in_the_readers_language(client, group):
    chair = make_member(group, Role.CHAIR, language="nl")
    client.force_login(chair.user)

    response = client.get(reverse("meetings:statistics"), {"start": "1999-12-31"})

    assert "januari 2000" in response.context["form"].errors["start"][0]


@pytest.mark.django_db
def test_a_series_repeating_until_an_absurd_date_is_refused(signed_in, group):
    data = meeting_data(f"{in_days(30):%Y-%m-%d}", pattern="weekly", until="9999-12-31")

    response = signed_in.post(reverse("meetings:series-create", args=[group.slug]), data)

    assert WINDOW_MESSAGE in response.context["form"].errors["until"][0]
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_a_series_whose_last_meetings_fall_after_the_window_is_refused(signed_in, group):
    first = date_window.latest() - timedelta(days=20)
    data = meeting_data(f"{first:%Y-%m-%d}", pattern="weekly", count="10")

    response = signed_in.post(reverse("meetings:series-create", args=[group.slug]), data)

    assert (
        "The last meeting would fall outside the accepted dates"
        in response.context["form"].errors["count"][0]
    )
    assert not Meeting.objects.exists()


# --- Null characters ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/members/directory/?q=a%00b", "/meetings/statistics/?start=%00", "/meetings/answer/a%00b/"],
)
def test_a_null_character_in_the_address_is_refused(signed_in, url):
    response = signed_in.get(url)

    assert response.status_code == 400
    assert "null character" in response.content.decode()


@pytest.mark.django_db
def test_a_null_character_in_a_form_is_refused_and_changes_nothing(signed_in, chair):
    data = {"name": "New\x00name", "language": "en", "timezone": "Europe/Brussels"}

    response = signed_in.post(reverse("members:profile"), data)

    assert response.status_code == 400
    chair.user.refresh_from_db()
    assert chair.user.name != "New\x00name"


@pytest.mark.django_db
def test_a_null_character_in_a_field_name_is_refused(signed_in, group):
    data = meeting_data(f"{in_days(30):%Y-%m-%d}", **{"title\x00": "x"})

    response = signed_in.post(reverse("meetings:create", args=[group.slug]), data)

    assert response.status_code == 400
    assert not Meeting.objects.exists()


# --- Lists and return addresses ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["meetings:list", "meetings:past"])
@pytest.mark.parametrize("query", ["per_page=-1", "per_page=0&page=0"])
def test_meeting_lists_keep_their_own_page_size(signed_in, group, chair, name, query):
    make_meeting(group, chair)
    make_meeting(group, chair, starts_at=in_days(-3), status=Meeting.Status.HELD)

    response = signed_in.get(f"{reverse(name)}?{query}")

    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == 50


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["0", "2026"])
def test_an_answer_with_an_odd_return_address_goes_back_to_the_meeting(signed_in, group, chair, next_url):
    meeting = make_meeting(group, chair)
    invitation = Invitation.objects.create(meeting=meeting, member=chair, language="en")

    response = signed_in.post(
        reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "accepted", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    invitation.refresh_from_db()
    assert invitation.rsvp == Invitation.Rsvp.ACCEPTED


# --- Numbers too large for a database key --------------------------------------------------------

HUGE = "99999999999999999999999999"


@pytest.mark.django_db
def test_a_meeting_inviting_an_administration_with_an_absurd_number_is_refused(signed_in, group):
    data = meeting_data(f"{in_days(30):%Y-%m-%d}", invited_administrations=[HUGE])

    response = signed_in.post(reverse("meetings:create", args=[group.slug]), data)

    assert response.status_code == 200
    assert "invited_administrations" in response.context["form"].errors
    assert not Meeting.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("representative", [HUGE, "²"])
def test_attendance_with_an_absurd_representative_is_refused_and_saves_nothing(
    signed_in, group, chair, representative
):
    meeting = make_meeting(group, chair, starts_at=in_days(-1), status=Meeting.Status.HELD)
    absent = Invitation.objects.create(meeting=meeting, member=make_member(group), language="en")

    response = signed_in.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {f"status-{absent.pk}": "excused", f"represented_by-{absent.pk}": representative},
    )

    assert response.status_code == 200
    assert response.context["form"].errors[f"represented_by-{absent.pk}"] == [
        "Choose a colleague from the list."
    ]
    assert not Attendance.objects.exists()
