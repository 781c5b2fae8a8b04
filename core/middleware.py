"""Middleware that knows nothing of our apps."""

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
