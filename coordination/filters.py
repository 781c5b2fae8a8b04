"""The tracker's filters: which commitments to show, from the query string.

Used by the members' tracker and by a plan's public page. The choices offered (plans, editions,
chapters) are limited to what the reader may see, so a filter never reveals another plan.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.models import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentPart,
    Completion,
    PlanEdition,
    Status,
)
from core import date_window
from core.forms import DateInput
from core.i18n import localized
from core.translated import translated_names
from meetings.search import contains_all_words
from members.models import Administration

SEARCH_MAX_LENGTH = 100


class _WindowDateFilter(django_filters.DateFilter):
    """A date filter that accepts only the platform's window of dates (core.date_window)."""

    field_class = date_window.DateField


class _LocalizedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return localized(obj, "title")


class _ChapterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.edition.label} · {obj.code} {localized(obj, 'title')}".replace("  ", " ")


class _PlanFilter(django_filters.ModelChoiceFilter):
    field_class = _LocalizedChoiceField


class _ChapterFilter(django_filters.ModelChoiceFilter):
    field_class = _ChapterChoiceField


class _EditionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{localized(obj.plan, 'title')} {obj.label}"


class _EditionFilter(django_filters.ModelChoiceFilter):
    field_class = _EditionChoiceField


class CommitmentFilter(django_filters.FilterSet):
    """Search and filters of the commitment tracker.

    `administration` and `level` look at every owner administration (any part), not only the lead.
    """

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Reference or title, in any language; accents may be left out."),
    )
    plan = _PlanFilter(
        label=_("Action plan"),
        field_name="edition__plan",
        queryset=ActionPlan.objects.none(),
        empty_label=_("Any plan"),
    )
    edition = _EditionFilter(
        label=_("Edition"),
        queryset=PlanEdition.objects.none(),
        empty_label=_("Any edition"),
    )
    chapter = _ChapterFilter(
        label=_("Chapter"),
        queryset=Chapter.objects.none(),
        empty_label=_("Any chapter"),
    )
    administration = django_filters.ModelChoiceFilter(
        label=_("Administration (owner of a part)"),
        queryset=Administration.objects.order_by("acronym"),
        empty_label=_("Any administration"),
        method="owned_by",
    )
    level = django_filters.ChoiceFilter(
        label=_("Level of an owner"),
        choices=Administration.Level.choices,
        empty_label=_("Any level"),
        method="owned_at_level",
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("Any status")
    )
    completion = django_filters.ChoiceFilter(
        label=_("Completion"), choices=Completion.choices, empty_label=_("Any completion level")
    )
    due_after = _WindowDateFilter(
        label=_("Due on or after"), field_name="due_date", lookup_expr="gte", widget=DateInput()
    )
    due_before = _WindowDateFilter(
        label=_("Due on or before"), field_name="due_date", lookup_expr="lte", widget=DateInput()
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="only_overdue", widget=forms.CheckboxInput()
    )

    class Meta:
        model = Commitment
        fields = [
            "q",
            "plan",
            "edition",
            "chapter",
            "administration",
            "level",
            "status",
            "completion",
            "due_after",
            "due_before",
            "overdue",
        ]

    def __init__(self, *args, plans: QuerySet[ActionPlan], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only what the reader may see: a filter must not reveal another plan's existence.
        self.filters["plan"].queryset = plans.order_by("slug")
        editions = PlanEdition.objects.filter(plan__in=plans).select_related("plan")
        self.filters["edition"].queryset = editions.order_by("plan__slug", "-starts_on", "-pk")
        chapters = Chapter.objects.filter(edition__plan__in=plans).select_related("edition")
        self.filters["chapter"].queryset = chapters.order_by(
            "edition__plan__slug", "-edition__starts_on", "position", "pk"
        )

    def search(self, queryset, name, value):
        """Every word must appear in the reference or in the title in one of the languages, case and
        accents aside (meetings.search.contains_all_words)."""
        return contains_all_words(queryset, ["reference", *translated_names("title")], value)

    def owned_by(self, queryset, name, value):
        # Exists(), not a join: a commitment with several parts stays one row.
        parts = CommitmentPart.objects.filter(commitment=OuterRef("pk"), administration=value)
        return queryset.filter(Exists(parts))

    def owned_at_level(self, queryset, name, value):
        parts = CommitmentPart.objects.filter(commitment=OuterRef("pk"), administration__level=value)
        return queryset.filter(Exists(parts))

    def only_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.localdate()) if value else queryset
