"""Refuse requests that carry a null character in the address, the query string or a form.

No one types one: it comes from broken or hostile clients. PostgreSQL cannot store or even
compare a text holding one, so such a request would fail deep in a page instead of being
turned away here with a clear 400.
"""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext

NULL = "\x00"


def _holds_null(items: Iterable[tuple[str, list]]) -> bool:
    return any(NULL in key or any(NULL in str(value) for value in values) for key, values in items)


def has_null_character(request: HttpRequest) -> bool:
    """Whether the path, the query string or the posted form fields hold a null character."""
    if NULL in request.path or _holds_null(request.GET.lists()):
        return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        if _holds_null(request.POST.lists()):
            return True
        return any(NULL in (upload.name or "") for upload in request.FILES.values())
    return False


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_null_character(request):
            return HttpResponseBadRequest(
                gettext(
                    "This request contains a character that is not allowed (a null character). "
                    "Nothing was changed. Go back and check what you typed."
                ),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
