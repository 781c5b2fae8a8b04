"""Personal pages are neither kept by a shared cache nor on the browser's disk: a signed-in
request's answer says `Cache-Control: private, no-store`, unless the view chose its own header
(calendar files and downloads revalidate with their ETag)."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.middleware import PrivateNoStoreMiddleware
from meetings.links import answer_token
from tests.meetings.factories import invite, make_document, make_meeting

pytestmark = pytest.mark.django_db

NO_STORE = "private, no-store"


@pytest.fixture
def meeting(group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invite(meeting, [focal_point, chair])
    return meeting


def _personal_pages(meeting):
    return [
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("members:directory"),
        reverse("members:directory") + "?_export=csv",
        reverse("members:profile"),
        reverse("meetings:answers", args=[meeting.pk]),
        reverse("meetings:my-meetings"),
        reverse("meetings:list"),
    ]


def test_personal_pages_say_private_no_store(client, chair, meeting):
    client.force_login(chair.user)
    for url in _personal_pages(meeting):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == NO_STORE, url


def test_a_refused_or_redirected_answer_to_a_member_is_not_stored_either(client, focal_point, meeting):
    client.force_login(focal_point.user)
    forbidden = client.get(reverse("meetings:answers", args=[meeting.pk]))
    assert forbidden.status_code == 403
    assert forbidden["Cache-Control"] == NO_STORE


def test_the_home_page_of_a_visitor_keeps_no_such_header(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_calendar_files_and_feeds_keep_their_own_headers(client, focal_point, meeting):
    client.force_login(focal_point.user)
    ics = client.get(reverse("meetings:meeting-ics", args=[meeting.pk]))
    assert ics.status_code == 200
    assert "no-store" not in ics["Cache-Control"] and "no-cache" in ics["Cache-Control"]

    feed_url = reverse("meetings:member-feed", args=[focal_point.feed_token])
    for signed_in in (True, False):
        if not signed_in:
            client.logout()
        feed = client.get(feed_url)
        assert feed.status_code == 200
        assert feed["Cache-Control"] == "private, no-cache"
        again = client.get(feed_url, HTTP_IF_NONE_MATCH=feed["ETag"])
        assert again.status_code == 304
        assert again["ETag"] == feed["ETag"] and again["Cache-Control"] == "private, no-cache"


def test_a_document_download_keeps_its_own_header(client, focal_point, meeting):
    document = make_document(meeting)
    client.force_login(focal_point.user)
    file = document.files.first()
    response = client.get(reverse("meetings:document-download", args=[file.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


def test_the_signed_answer_link_is_for_its_invitee_only(client, focal_point, meeting):
    # Opened from an email, often without a session: what the view says is kept.
    invitation = meeting.invitations.get(member=focal_point)
    response = client.get(reverse("meetings:answer", args=[answer_token(invitation)]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


class _User:
    def __init__(self, signed_in: bool) -> None:
        self.is_authenticated = signed_in


@pytest.mark.parametrize(
    ("signed_in", "own", "expected"),
    [
        (True, None, NO_STORE),
        (True, "public, max-age=60", "public, max-age=60"),
        (False, None, None),
    ],
)
def test_the_middleware_sets_the_header_only_when_signed_in_and_unset(signed_in, own, expected):
    def view(request):
        response = HttpResponse("ok")
        if own:
            response["Cache-Control"] = own
        return response

    request = RequestFactory().get("/")
    request.user = _User(signed_in)
    response = PrivateNoStoreMiddleware(view)(request)
    assert response.get("Cache-Control") == expected


def test_the_middleware_is_installed_after_authentication(settings):
    order = settings.MIDDLEWARE
    assert order.index("core.middleware.PrivateNoStoreMiddleware") > order.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
