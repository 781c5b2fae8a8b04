from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Concerto way: sign-up only by invitation, emails in the reader's language."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation: the invitation flow opens sign-up for one address.
        return bool(request.session.get("invitation_email"))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Render in the recipient's preferred language, not the one of whoever triggered it.
        from members.models import User

        language = (
            User.objects.filter(email__iexact=email).values_list("language", flat=True).first()
            or translation.get_language()
            or settings.LANGUAGE_CODE
        )
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

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
