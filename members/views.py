from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: sets the cookie, and saves the choice for signed-in people."""
    language = request.POST.get("language", "")
    response = django_set_language(request)
    valid = check_for_language(language) and language in dict(settings.LANGUAGES)
    if valid and request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response
