"""Texts entered in several languages: one declaration gives the model fields, the property that
reads them in the reader's language, the form field names, the admin columns and the constraint.

    class Meeting(models.Model):
        title = TranslatedField(models.CharField, _("title"), max_length=255)

adds `title_nl`, `title_fr`, `title_de` and `title_en` (one per `settings.LANGUAGES`, in that
order) and makes `meeting.title` the text in the reader's language, or the first one filled in
(`core.i18n.fallback_order`). `translated_names("title")` lists the column names for forms,
admin and search; `any_language_filled("title")` is the condition "at least one is filled in".
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.i18n import LANGUAGE_CODES, localized

# Language names as they read inside a label, "nom (néerlandais)": lower case where the language
# writes them so, which Django's own names (capitalised for menus) are not.
_LANGUAGE_NAMES = {
    "nl": pgettext_lazy("language, in a field label", "Dutch"),
    "fr": pgettext_lazy("language, in a field label", "French"),
    "de": pgettext_lazy("language, in a field label", "German"),
    "en": pgettext_lazy("language, in a field label", "English"),
}
for _code, _name in settings.LANGUAGES:
    _LANGUAGE_NAMES.setdefault(_code, gettext_lazy(_name))


def translated_names(*fields: str) -> list[str]:
    """['title_nl', 'title_fr', 'title_de', 'title_en', ...] for each field, in settings order."""
    return [f"{field}_{code}" for field in fields for code in LANGUAGE_CODES]


def any_language_filled(field: str) -> models.Q:
    """The condition 'at least one language of `field` is filled in', for a CheckConstraint."""
    return ~models.Q(**{name: "" for name in translated_names(field)})


def language_verbose_name(verbose_name: str, code: str) -> str:
    """'title (Dutch)' in the reader's language."""
    return format_lazy(
        pgettext_lazy("a field in one language: field (language)", "{field} ({language})"),
        field=verbose_name,
        language=_LANGUAGE_NAMES[code],
    )


class TranslatedField:
    """Declares one text per language on a model; reading the attribute gives the reader's language.

    Not a database field itself: `contribute_to_class` adds one blank-able field per language
    (all made by `field_class` with `options`) and leaves a read-only property under `name`.
    """

    def __init__(self, field_class: type[models.Field], verbose_name: str, **options) -> None:
        self.field_class = field_class
        self.verbose_name = verbose_name
        self.options = {"blank": True, **options}
        self.name = ""

    def contribute_to_class(self, cls: type[models.Model], name: str) -> None:
        self.name = name
        for code in LANGUAGE_CODES:
            field = self.field_class(language_verbose_name(self.verbose_name, code), **self.options)
            cls.add_to_class(f"{name}_{code}", field)
        setattr(cls, name, self)
        translated = dict(getattr(cls, "translated_fields", {}))
        translated[name] = self
        cls.translated_fields = translated

    def __get__(self, instance: models.Model | None, owner: type | None = None):
        if instance is None:
            return self
        return localized(instance, self.name)

    def names(self) -> list[str]:
        return translated_names(self.name)


def translated_field_names(model: type[models.Model], fields: Iterable[str] | None = None) -> list[str]:
    """The language columns of `model`'s translated fields (all of them, or those named)."""
    declared = getattr(model, "translated_fields", {})
    return translated_names(*(fields if fields is not None else declared))
