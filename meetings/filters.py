"""The decisions register's filters: which decisions to show, from the query string.

The choices offered (groups, years, meetings) are limited to what the reader may see, so a
filter never reveals another group's meeting.
"""

import re

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.i18n import localized
from core.translated import translated_names
from meetings.models import Decision, Meeting
from members.models import Group

SEARCH_MAX_LENGTH = 100

# Letters written with and without an accent in our four languages: a search for "reunion" finds
# "réunion", and one for "réunion" finds "reunion". Each word becomes a case-insensitive regular
# expression with every spelling of its letters ("r[eèéêë]union"): Django gives SQLite a REGEXP
# function, PostgreSQL has its own, so both find the same rows. (Folding the columns in SQL with
# nested REPLACE() instead overflows SQLite's parser.)
_SPELLINGS = {
    "a": "aàáâãäå",
    "c": "cç",
    "e": "eèéêë",
    "i": "iìíîï",
    "n": "nñ",
    "o": "oòóôõö",
    "u": "uùúûü",
    "y": "yýÿ",
    "'": "'’",
}
_PLAIN = {variant: plain for plain, variants in _SPELLINGS.items() for variant in variants}
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}


def fold(text: str) -> str:
    """`text` in lower case, without accents or ligatures: "Œuvre réussie" -> "oeuvre reussie"."""
    text = "".join(_LIGATURES.get(char, char) for char in text.lower())
    return "".join(_PLAIN.get(char, char) for char in text)


def _letter(char: str) -> str:
    variants = _SPELLINGS.get(char)
    return f"[{re.escape(variants)}]" if variants else re.escape(char)


def spelling_pattern(word: str) -> str:
    """A regular expression matching `word` written with or without its accents and ligatures,
    for a case-insensitive search (`__iregex`)."""
    plain = fold(word)
    ligatures = {spelled: ligature for ligature, spelled in _LIGATURES.items()}
    parts, index = [], 0
    while index < len(plain):
        pair = plain[index : index + 2]
        if pair in ligatures:
            parts.append(f"(?:{_letter(pair[0])}{_letter(pair[1])}|{ligatures[pair]})")
            index += 2
        else:
            parts.append(_letter(plain[index]))
            index += 1
    return "".join(parts)


class _GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return localized(obj, "name")


class _MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        day = date_format(timezone.localtime(obj.starts_at), "SHORT_DATE_FORMAT")
        return f"{day} · {localized(obj, 'title')}"


class _GroupFilter(django_filters.ModelChoiceFilter):
    field_class = _GroupChoiceField


class _MeetingFilter(django_filters.ModelChoiceFilter):
    field_class = _MeetingChoiceField


class DecisionFilter(django_filters.FilterSet):
    """Search and filters of the decisions register."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Number or text of the decision, in any language; accents may be left out."),
    )
    group = _GroupFilter(
        label=_("Group"),
        field_name="minutes__meeting__group",
        queryset=Group.objects.none(),
        empty_label=_("Any group"),
    )
    year = django_filters.ChoiceFilter(
        label=_("Year"),
        field_name="minutes__meeting__starts_at__year",
        choices=(),
        empty_label=_("Any year"),
    )
    meeting = _MeetingFilter(
        label=_("Meeting"),
        field_name="minutes__meeting",
        queryset=Meeting.objects.none(),
        empty_label=_("Any meeting"),
    )

    class Meta:
        model = Decision
        fields = ["q", "group", "year", "meeting"]

    def __init__(
        self, *args, groups: QuerySet[Group], years: list[int], meetings: QuerySet[Meeting], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        # Only what the reader may see: a filter must not reveal another group or its meetings.
        self.filters["group"].queryset = groups
        self.filters["year"].extra["choices"] = [(year, str(year)) for year in years]
        self.filters["meeting"].queryset = meetings

    def search(self, queryset, name, value):
        """Every word must appear in the number or in the text in one of the languages, accents aside."""
        for word in value.split():
            pattern = spelling_pattern(word)
            condition = Q(number__icontains=word)
            for column in translated_names("text"):
                condition |= Q(**{f"{column}__iregex": pattern})
            queryset = queryset.filter(condition)
        return queryset
