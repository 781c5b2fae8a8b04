"""Middleware that knows nothing of our apps."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """Answers to a signed-in request are personal (a meeting, the directory, a profile, the
    answers): `Cache-Control: private, no-store`, so that neither a shared proxy nor the browser's
    disk keeps them after the member signs out. A view that set its own Cache-Control keeps it
    (calendar feeds and downloads are revalidated with ETag: `private, no-cache`).

    Goes after AuthenticationMiddleware; the members middlewares have loaded request.user
    already, so asking whether it is signed in costs no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class ServerTimingMiddleware:
    """In DEBUG, every answer says how long the database took and how many queries it ran, in a
    `Server-Timing` header the browser's developer tools show beside the request:
    `db;dur=12.3;desc="14 queries", total;dur=48.1`. Installed first, so `total` covers every
    other middleware; a streamed answer's body is not counted.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.db import connection

        tally = _QueryTally()
        started = time.perf_counter()
        with connection.execute_wrapper(tally):
            response = self.get_response(request)
        total = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = (
            f'db;dur={tally.seconds * 1000:.1f};desc="{tally.count} queries", total;dur={total:.1f}'
        )
        return response


class _QueryTally:
    """A database execute wrapper that counts the queries and adds up their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
