"""In DEBUG, each answer carries a Server-Timing header with the database time and query count."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.middleware import ServerTimingMiddleware
from tests.factories import GroupFactory, make_member

HEADER = re.compile(r'^db;dur=(?P<db>\d+\.\d);desc="(?P<count>\d+) queries", total;dur=(?P<total>\d+\.\d)$')


@pytest.mark.django_db
def test_the_header_counts_the_queries_the_page_ran(client):
    member = make_member(GroupFactory())
    client.force_login(member.user)
    middleware = ["core.middleware.ServerTimingMiddleware", *settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("members:profile"))
    assert response.status_code == 200
    match = HEADER.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    assert int(match["count"]) == len(queries) > 0
    assert float(match["total"]) >= float(match["db"])


def test_only_debug_installs_it():
    assert ServerTimingMiddleware.__module__ + ".ServerTimingMiddleware" not in settings.MIDDLEWARE
