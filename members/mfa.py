"""A second factor for those who manage groups (MFA_REQUIRED_FOR_MANAGERS).

A signed-in chair, vice-chair or secretariat of a current group who has no authenticator is
sent to enrol one (allauth's authenticator app page) before any other page. Signing out, the
enrolment and re-authentication pages, the language switcher, static files and the health check
stay reachable. A sign-in through an organisation's provider that is trusted for MFA
(OIDC_<ID>_MFA=1) counts as the second factor.
"""

from collections.abc import Callable

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from members.access import MANAGERS
from members.adapters import social_apps
from members.models import Membership

ENROL_URL_NAME = "mfa_activate_totp"
# Reachable without a second factor: signing out, proving who one is again, the language.
EXEMPT_URL_NAMES = frozenset({"account_logout", "account_reauthenticate", "healthz", "set-language"})


def mfa_trusted_providers() -> set[str]:
    return {app["provider_id"] for app in social_apps() if app.get("settings", {}).get("mfa_trusted")}


def signed_in_with_trusted_provider(request: HttpRequest) -> bool:
    trusted = mfa_trusted_providers()
    if not trusted:
        return False
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    return any(r.get("method") == "socialaccount" and r.get("provider") in trusted for r in records)


def must_enrol(user) -> bool:
    """Whether the user manages a current group and has no authenticator (one query)."""
    return (
        Membership.objects.current()
        .filter(member__user_id=user.pk, role__in=MANAGERS)
        .filter(~Exists(Authenticator.objects.filter(user_id=OuterRef("member__user_id"))))
        .exists()
    )


def _exempt(request: HttpRequest) -> bool:
    if request.path_info.startswith(settings.STATIC_URL):
        return True
    try:
        name = resolve(request.path_info).url_name or ""
    except Resolver404:
        return False
    return name in EXEMPT_URL_NAMES or name.startswith("mfa_")


class ManagerMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.MFA_REQUIRED_FOR_MANAGERS
            and user is not None
            and user.is_authenticated
            and not _exempt(request)
            and not signed_in_with_trusted_provider(request)
            and must_enrol(user)
        ):
            messages.warning(
                request,
                _(
                    "As chair or secretariat of a group, you protect your account with a second "
                    "step when signing in. Set up an authenticator app now to continue."
                ),
            )
            return redirect(ENROL_URL_NAME)
        return self.get_response(request)
