from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from members.models import Member, User
from members.outbox import Kind
from members.services import queue_message


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Concerto way: sign-up only by invitation, emails in the reader's language."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation: a valid invitation link opens sign-up for its address.
        return bool(request.session.get("join_invitation_id"))

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

    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        # Keep the preference after sign-out too: pages for this browser stay in that language.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            httponly=True,
        )
        return response
