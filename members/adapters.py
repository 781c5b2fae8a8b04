from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from core.i18n import remember_language
from members.join_links import SESSION_KEY, pending_invitation_in_session, session_invitation_problem
from members.models import Member, User
from members.outbox import Kind
from members.services import queue_message


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

    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        # Keep the preference after sign-out too: pages for this browser stay in that language.
        remember_language(response, user.language)
        return response
