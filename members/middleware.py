from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from members import visits


class PreferredLanguageMiddleware:
    """Show signed-in people every page in their preferred language.

    LocaleMiddleware has already chosen from the cookie or Accept-Language; a signed-in
    user's saved preference wins over both. The language switcher saves the preference,
    so the two never disagree for long.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and translation.check_for_language(user.language):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class VisitMiddleware:
    """Record when signed-in members are seen, for the start page's "new since your last visit".

    At most one UPDATE per member every visits.THROTTLE in each web process: the time of the
    last write is kept in the cache, and signing in (which records the visit) counts as one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in:
            self._seen(user, signing_in=False)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if not signed_in and user is not None and user.is_authenticated:
            self._seen(user, signing_in=True)
        return response

    @staticmethod
    def _seen(user, *, signing_in: bool) -> None:
        key = f"members.visit.{user.pk}"
        now = timezone.now()
        if not signing_in:
            if cache.get(key):
                return
            # Another process may have recorded the sign-in: it counts as being seen.
            if user.last_login is not None and now - user.last_login < visits.THROTTLE:
                cache.set(key, True, timeout=visits.THROTTLE.total_seconds())
                return
        visits.record_visit(user_id=user.pk, now=now)
        cache.set(key, True, timeout=visits.THROTTLE.total_seconds())
