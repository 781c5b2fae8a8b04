"""Texts entered in several languages, shown in the reader's language with a fallback."""

from django.conf import settings
from django.utils import translation

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def fallback_order(language: str | None = None) -> list[str]:
    """The reader's language first, then English, then the other languages in settings order."""
    first = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    order = [first, "en", *LANGUAGE_CODES]
    return list(dict.fromkeys(code for code in order if code in LANGUAGE_CODES))


def localized(obj: object, field: str, language: str | None = None) -> str:
    """Return obj.<field>_<lang> in the reader's language, or the first one that is filled in."""
    for code in fallback_order(language):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return ""
