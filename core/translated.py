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

from django import forms
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
    Forms get the same fields from `language_form_fields`, the admin the names from
    `translated_names`.
    """

    def __init__(self, field_class: type[models.Field], verbose_name: str, **options) -> None:
        self.verbose_name = verbose_name
        self.name = ""
        # Made here, while the class body is read, so the language columns keep the place of the
        # declaration among the model's fields (forms and the admin list fields in that order).
        self.fields = {
            code: field_class(language_verbose_name(verbose_name, code), **{"blank": True, **options})
            for code in LANGUAGE_CODES
        }

    def contribute_to_class(self, cls: type[models.Model], name: str) -> None:
        self.name = name
        for code, field in self.fields.items():
            cls.add_to_class(f"{name}_{code}", field)
        setattr(cls, name, self)
        translated = dict(getattr(cls, "translated_fields", {}))
        translated[name] = self
        cls.translated_fields = translated

    def __get__(self, instance: models.Model | None, owner: type | None = None):
        if instance is None:
            return self
        return localized(instance, self.name)


def translated_field_names(model: type[models.Model], fields: Iterable[str] | None = None) -> list[str]:
    """The language columns of `model`'s translated fields (all of them, or those named)."""
    declared = getattr(model, "translated_fields", {})
    return translated_names(*(fields if fields is not None else declared))


def language_form_fields(
    name: str, label: str, *, textarea: bool = False, max_length: int | None = None, help_text: str = ""
) -> dict[str, forms.Field]:
    """{`name`_nl: field, …}: one optional form field per language, labelled "label (language)" like
    the model's columns, its input marked with the language (lang="nl") for spelling and speech."""
    fields: dict[str, forms.Field] = {}
    for code in LANGUAGE_CODES:
        if textarea:
            widget: forms.Widget = forms.Textarea(attrs={"rows": 4, "lang": code})
        else:
            widget = forms.TextInput(attrs={"lang": code})
        fields[f"{name}_{code}"] = forms.CharField(
            label=language_verbose_name(label, code),
            required=False,
            max_length=max_length,
            widget=widget,
            help_text=help_text,
        )
    return fields
