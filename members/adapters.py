from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.i18n import remember_language
from members import invitations
from members.join_links import SESSION_KEY, pending_invitation_in_session, session_invitation_problem
from members.models import Member, User
from members.outbox import Kind
from members.services import queue_message


def social_apps() -> list[dict]:
    """The configured APPS entries of the organisations' providers (OpenID Connect, then SAML)."""
    providers = settings.SOCIALACCOUNT_PROVIDERS
    return [app for kind in ("openid_connect", "saml") for app in providers.get(kind, {}).get("APPS", [])]


def required_provider(email: str | None) -> dict | None:
    """The OpenID Connect provider (its APPS entry) that people of this address's domain must sign
    in with (OIDC_REQUIRED_DOMAINS), or None when they may use a password or an emailed code."""
    domain = (email or "").rpartition("@")[2].strip().lower()
    provider_id = settings.OIDC_REQUIRED_DOMAINS.get(domain) if domain else None
    if provider_id is None:
        return None
    apps = social_apps()
    return next((app for app in apps if app["provider_id"] == provider_id), None)


def required_provider_message(app: dict) -> str:
    return _(
        "Addresses of your organisation sign in with the organisation's own account: "
        "use the button “Sign in with %(provider)s”."
    ) % {"provider": app["name"]}


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Concerto way: sign-up only by invitation, emails in the reader's language."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation: a valid invitation link opens sign-up for its address.
        if not request.session.get(SESSION_KEY):
            return False
        if pending_invitation_in_session(request) is not None:
            return True
        # The link was used, withdrawn or expired since it was followed: say which.
        raise ImmediateHttpResponse(session_invitation_problem(request))

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # The invitation sign-up form (members.forms) also asks for the name and language.
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        if data.get("name"):
            user.name = data["name"]
        if data.get("language") in dict(settings.LANGUAGES):
            user.language = data["language"]
        if commit:
            user.save()
        return user

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # Someone who just joined through an invitation lands on their group's page.
        slug = getattr(request, "joined_group_slug", None)
        if slug:
            return reverse("members:group-detail", args=[slug])
        return super().get_signup_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Render in the recipient's preferred language, not the one of whoever triggered it.
        language = (
            User.objects.filter(email__iexact=email).values_list("language", flat=True).first()
            or translation.get_language()
            or settings.LANGUAGE_CODE
        )
        request = allauth_context.request
        with translation.override(language):
            ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
            rendered = self.render_mail(template_prefix, email, ctx)
        html = next((content for content, mimetype in rendered.alternatives if mimetype == "text/html"), "")
        member = Member.objects.filter(user__email__iexact=email).select_related("user").first()
        # Account emails go through the outbox like every other email.
        queue_message(
            kind=Kind.ACCOUNT,
            to_email=email,
            subject=rendered.subject,
            body_text=rendered.body,
            body_html=html,
            language=language,
            member=member if member is not None and member.is_active else None,
        )

    def add_message(self, request: HttpRequest, *args, **kwargs) -> None:
        # The message is read on the next page, which is in the member's language: after signing
        # in, that is their own and not the one the sign-in page happened to be shown in.
        user = getattr(request, "user", None)
        language = user.language if user is not None and user.is_authenticated else None
        with translation.override(language or translation.get_language()):
            super().add_message(request, *args, **kwargs)

    def pre_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse | None:
        # Whatever the way in (password, emailed code, a new password), an address of a domain
        # that must use its organisation's account signs in only through that provider.
        signal_kwargs = kwargs.get("signal_kwargs") or {}
        app = required_provider(user.email)
        if app is not None and "sociallogin" not in signal_kwargs:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            messages.error(request, required_provider_message(app))
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        # Keep the preference after sign-out too: pages for this browser stay in that language.
        remember_language(response, user.language)
        return response


def _verified_emails(sociallogin) -> set[str]:
    return {address.email.strip().lower() for address in sociallogin.email_addresses if address.verified}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Signing in with the organisation's account (OpenID Connect), still by invitation only.

    A member whose address the provider says it verified is signed in (and the account linked:
    SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT). Anyone else gets an account only when
    this browser followed an invitation link sent to that verified address.
    """

    def list_apps(self, request: HttpRequest, provider=None, client_id=None):
        # allauth asks once per provider button and per linked account, and each time reads the
        # database's apps too: within one request the answer does not change.
        if request is None:
            return super().list_apps(request, provider=provider, client_id=client_id)
        known = request.__dict__.setdefault("_social_apps", {})
        key = (provider, client_id)
        if key not in known:
            known[key] = super().list_apps(request, provider=provider, client_id=client_id)
        return known[key]

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        invitation = pending_invitation_in_session(request)
        return invitation is not None and invitation.email.strip().lower() in _verified_emails(sociallogin)

    def populate_user(self, request: HttpRequest, sociallogin, data: dict):
        user = super().populate_user(request, sociallogin, data)
        invitation = pending_invitation_in_session(request)
        if invitation is not None:
            # The invitation's address, name and language: as with the sign-up form.
            user.email = invitation.email
            user.name = (data.get("name") or "").strip()[:150] or invitation.name
            user.language = invitation.language
        return user

    def save_user(self, request: HttpRequest, sociallogin, form=None):
        invitation = pending_invitation_in_session(request)
        if invitation is None:  # is_open_for_signup let nobody else this far
            raise ImmediateHttpResponse(session_invitation_problem(request))
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            membership = invitations.accept_invitation(invitation=invitation, user=user)
        request.session.pop(SESSION_KEY, None)
        request.joined_group_slug = membership.group.slug
        return user
