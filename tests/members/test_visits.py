"""Visits: when a member was last seen and where their previous visit ended, written at most
once every few minutes."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Member, User
from members.visits import PAUSE, THROTTLE, new_since, record_visit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["local"].clear()
    yield
    caches["local"].clear()


def member_updates(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith("UPDATE") and "members_member" in q["sql"])


def seen(member, *, last_seen_ago, previous_ago=None) -> Member:
    now = timezone.now()
    member.last_seen_at = now - last_seen_ago
    member.previous_visit_at = now - previous_ago if previous_ago else None
    member.save(update_fields=["last_seen_at", "previous_visit_at"])
    return member


def test_after_a_pause_a_new_visit_starts_where_the_last_one_ended(focal_point):
    seen(focal_point, last_seen_ago=timedelta(hours=3), previous_ago=timedelta(days=2))
    before = focal_point.last_seen_at

    record_visit(user_id=focal_point.user_id)

    focal_point.refresh_from_db()
    assert focal_point.previous_visit_at == before
    assert timezone.now() - focal_point.last_seen_at < timedelta(seconds=5)


def test_within_a_visit_the_previous_visit_stays(focal_point):
    seen(focal_point, last_seen_ago=PAUSE - timedelta(minutes=5), previous_ago=timedelta(days=2))
    previous = focal_point.previous_visit_at

    record_visit(user_id=focal_point.user_id)

    focal_point.refresh_from_db()
    assert focal_point.previous_visit_at == previous


def test_what_is_new_counts_from_the_previous_visit_even_before_this_one_is_recorded(focal_point):
    seen(focal_point, last_seen_ago=timedelta(hours=3), previous_ago=timedelta(days=2))
    assert new_since(focal_point) == focal_point.last_seen_at
    seen(focal_point, last_seen_ago=timedelta(minutes=3), previous_ago=timedelta(days=2))
    assert new_since(focal_point) == focal_point.previous_visit_at


def test_signing_in_records_the_visit(client, password):
    from tests.factories import make_member

    member = make_member()
    member.user.set_password(password)
    member.user.save()
    seen(member, last_seen_ago=timedelta(days=3))
    ended = member.last_seen_at

    client.post(reverse("account_login"), {"login": member.user.email, "password": password})

    member.refresh_from_db()
    assert member.previous_visit_at == ended
    assert timezone.now() - member.last_seen_at < timedelta(seconds=5)


def test_requests_write_the_visit_at_most_once_every_few_minutes(client, focal_point):
    seen(focal_point, last_seen_ago=timedelta(hours=2))
    User.objects.filter(pk=focal_point.user_id).update(last_login=timezone.now() - timedelta(hours=2))
    client.force_login(focal_point.user)
    User.objects.filter(pk=focal_point.user_id).update(last_login=timezone.now() - timedelta(hours=2))

    writes = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("members:profile"))
        writes.append(member_updates(queries))

    assert writes == [1, 0, 0]
    focal_point.refresh_from_db()
    assert timezone.now() - focal_point.last_seen_at < THROTTLE

    caches["local"].clear()  # as when THROTTLE has passed
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("members:profile"))
    assert member_updates(queries) == 1


def test_a_recent_sign_in_counts_as_being_seen(client, focal_point):
    client.force_login(focal_point.user)  # sets last_login: the sign-in recorded the visit
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("members:profile"))
    assert member_updates(queries) == 0


def test_visitors_who_are_not_signed_in_write_nothing(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    assert member_updates(queries) == 0
