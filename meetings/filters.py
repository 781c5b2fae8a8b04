"""The decisions register's filters: which decisions to show, from the query string.

The choices offered (groups, years, meetings) are limited to what the reader may see, so a
filter never reveals another group's meeting.
"""

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.i18n import localized
from core.translated import translated_names
from meetings.models import Decision, Meeting
from meetings.search import contains_all_words
from members.models import Group

SEARCH_MAX_LENGTH = 100


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
        """Every word must appear in the number or in the text in one of the languages, case and
        accents aside (meetings.search.contains_all_words)."""
        return contains_all_words(queryset, ["number", *translated_names("text")], value)
