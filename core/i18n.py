"""Texts entered in several languages, shown in the reader's language with a fallback."""

import functools

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext_lazy

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def fallback_order(language: str | None = None) -> list[str]:
    """The reader's language first, then English, then the other languages in settings order."""
    return list(_fallback_order(language or translation.get_language() or settings.LANGUAGE_CODE))


@functools.cache
def _fallback_order(language: str) -> tuple[str, ...]:
    # Worked out once per language: pages and files ask it for every text they show.
    first = language.split("-")[0]
    return tuple(dict.fromkeys(code for code in [first, "en", *LANGUAGE_CODES] if code in LANGUAGE_CODES))


def localized_with_language(obj: object, field: str, language: str | None = None) -> tuple[str, str]:
    """(obj.<field>_<lang> in the reader's language or the first one filled in, that language);
    ("", "") when no language is filled in."""
    for code in _fallback_order(language or translation.get_language() or settings.LANGUAGE_CODE):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value, code
    return "", ""


def localized(obj: object, field: str, language: str | None = None) -> str:
    """Return obj.<field>_<lang> in the reader's language, or the first one that is filled in."""
    return localized_with_language(obj, field, language)[0]


def page_language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def localized_html(obj: object, field: str) -> SafeString:
    """The text for an HTML page: escaped, and in a <span lang> when it is not in the page's language
    (a title entered only in English on a German page), so that screen readers pronounce it right.
    Not for attributes or <title>: use the plain text there."""
    if obj is None:
        return mark_safe("")
    value, code = localized_with_language(obj, field)
    if not value or code == page_language():
        return conditional_escape(value)
    return format_html('<span lang="{}">{}</span>', code, value)


def lang_attribute(obj: object, field: str) -> SafeString:
    """' lang="en"' for the element holding a longer text (a description) that is not in the page's
    language; "" when it is."""
    if obj is None:
        return mark_safe("")
    value, code = localized_with_language(obj, field)
    if not value or code == page_language():
        return mark_safe("")
    return format_html(' lang="{}"', code)


# A role said of one person, where the language marks it: "Présidente", "Vorsitzende"; Dutch
# says "Voorzitter" of anyone. Keys are Membership.Role values and Member.form_of_address values.
_ROLE_OF = {
    "ms": {
        "chair": pgettext_lazy("role, woman", "Chair"),
        "vice_chair": pgettext_lazy("role, woman", "Vice-chair"),
        "secretariat": pgettext_lazy("role, woman", "Secretariat"),
        "member": pgettext_lazy("role, woman", "Member"),
        "substitute": pgettext_lazy("role, woman", "Substitute"),
        "observer": pgettext_lazy("role, woman", "Observer"),
    },
    "mr": {
        "chair": pgettext_lazy("role, man", "Chair"),
        "vice_chair": pgettext_lazy("role, man", "Vice-chair"),
        "secretariat": pgettext_lazy("role, man", "Secretariat"),
        "member": pgettext_lazy("role, man", "Member"),
        "substitute": pgettext_lazy("role, man", "Substitute"),
        "observer": pgettext_lazy("role, man", "Observer"),
    },
}


def role_of(role: str, neutral_label: str, form_of_address: str = "") -> str:
    """The role as said of a person with this form of address ("ms", "mr"); the neutral label
    (the role's own choice label) when it is not given."""
    label = _ROLE_OF.get(form_of_address or "", {}).get(role)
    return str(label) if label is not None else str(neutral_label)


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Set the language cookie, so pages for this browser stay in `language` (also signed out)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        httponly=True,
    )
    return response
