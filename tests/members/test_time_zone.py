"""Every page a member opens, in any app, shows and reads times in the member's own time zone."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from members import emails
from members.middleware import TIMEZONE_SESSION_KEY, MemberTimezoneMiddleware
from tests.members.test_profile import profile_data

pytestmark = pytest.mark.django_db


def zone_during_request(client, user) -> str:
    """The time zone active while a view of any app runs for this signed-in user."""
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    request = RequestFactory().get("/members/directory/")
    request.user = user
    request.session = client.session
    MemberTimezoneMiddleware(view)(request)
    return seen[0]


def test_signing_in_keeps_the_members_time_zone_for_every_page(client, focal_point):
    focal_point.timezone = "America/New_York"
    focal_point.save(update_fields=["timezone"])
    client.force_login(focal_point.user)
    assert client.session[TIMEZONE_SESSION_KEY] == "America/New_York"
    assert zone_during_request(client, focal_point.user) == "America/New_York"


def test_saving_the_profile_changes_the_time_zone_of_the_next_pages(client, focal_point):
    client.force_login(focal_point.user)
    client.post(reverse("members:profile"), profile_data(focal_point, timezone="Asia/Tokyo"))
    assert client.session[TIMEZONE_SESSION_KEY] == "Asia/Tokyo"
    assert zone_during_request(client, focal_point.user) == "Asia/Tokyo"


def test_a_session_from_before_looks_the_time_zone_up_once(client, focal_point):
    focal_point.timezone = "Europe/Lisbon"
    focal_point.save(update_fields=["timezone"])
    client.force_login(focal_point.user)
    session = client.session
    del session[TIMEZONE_SESSION_KEY]
    session.save()
    assert zone_during_request(client, focal_point.user) == "Europe/Lisbon"


def test_an_unknown_time_zone_falls_back_to_brussels(client, focal_point):
    focal_point.timezone = "Mars/Olympus"
    focal_point.save(update_fields=["timezone"])
    client.force_login(focal_point.user)
    assert zone_during_request(client, focal_point.user) == "Europe/Brussels"


def test_an_email_to_a_member_with_an_unknown_time_zone_is_written_in_brussels_time(monkeypatch):
    monkeypatch.setattr(emails, "render_to_string", lambda name, context: timezone.get_current_timezone_name())
    rendered = emails.render_email("members/email/join_invitation", {}, language="en", tz="Mars/Olympus")
    assert rendered[2] == "Europe/Brussels"  # the HTML part, rendered while the zone was active


def test_the_time_zone_of_a_page_costs_no_query_once_in_the_session(client, focal_point, django_assert_num_queries):
    client.force_login(focal_point.user)
    request = RequestFactory().get("/members/directory/")
    request.user = focal_point.user
    request.session = client.session
    assert request.session.get(TIMEZONE_SESSION_KEY)  # read before, as AuthenticationMiddleware does
    with django_assert_num_queries(0):
        MemberTimezoneMiddleware(lambda request: HttpResponse())(request)
