from collections.abc import Callable

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from core.timezones import zone_or_default
from members import visits
from members.models import Member

# The signed-in member's time zone, kept in the session: no query per page to find it.
TIMEZONE_SESSION_KEY = "member_timezone"


def remember_timezone(request: HttpRequest, name: str) -> None:
    """Show this session's pages in the time zone `name` from now on (sign-in, profile saved)."""
    request.session[TIMEZONE_SESSION_KEY] = name


def remember_timezone_on_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """user_logged_in receiver: the member's time zone goes into the new session."""
    if request is not None and hasattr(request, "session"):
        zone = Member.objects.filter(user=user).values_list("timezone", flat=True).first()
        remember_timezone(request, zone or "")


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


class MemberTimezoneMiddleware:
    """Show signed-in members every page, and read the times they enter, in their own time zone.

    The time zone is the one of the session (remember_timezone, on sign-in and when the profile
    is saved); a session from before it was kept there looks it up once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        name = request.session.get(TIMEZONE_SESSION_KEY)
        if name is None:
            remember_timezone_on_sign_in(None, request, user)
            name = request.session[TIMEZONE_SESSION_KEY]
        with timezone.override(zone_or_default(name)):
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
            if caches["local"].get(key):
                return
            # Another process may have recorded the sign-in: it counts as being seen.
            if user.last_login is not None and now - user.last_login < visits.THROTTLE:
                caches["local"].set(key, True, timeout=visits.THROTTLE.total_seconds())
                return
        visits.record_visit(user_id=user.pk, now=now)
        caches["local"].set(key, True, timeout=visits.THROTTLE.total_seconds())
