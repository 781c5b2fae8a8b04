"""The directory's filters: who to show, from the query string."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from members.models import Administration, Group, Member, Membership

SEARCH_MAX_LENGTH = 100


class MemberFilter(django_filters.FilterSet):
    """Search and filters of the members directory.

    `group` and `role` look at memberships in force today; together they mean "this role
    in this group", not "in this group, and this role somewhere else".
    """

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Name, email address, job title or administration."),
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Group"),
        queryset=Group.objects.all(),
        empty_label=_("Any group"),
        method="keep",
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=Membership.Role.choices,
        empty_label=_("Any role"),
        method="keep",
    )
    administration = django_filters.ModelChoiceFilter(
        label=_("Administration"),
        queryset=Administration.objects.all(),
        empty_label=_("Any administration"),
    )
    level = django_filters.ChoiceFilter(
        label=_("Level"),
        field_name="administration__level",
        choices=Administration.Level.choices,
        empty_label=_("Any level"),
    )
    entity = django_filters.ChoiceFilter(
        label=_("Government or entity"),
        field_name="administration__entity",
        choices=Administration.Entity.choices,
        empty_label=_("Any government or entity"),
    )

    class Meta:
        model = Member
        fields = ["q", "group", "role", "administration", "level", "entity"]

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.known_groups = groups
        if groups is not None:
            # Only groups the reader may know of: a group's existence is not everyone's business.
            self.filters["group"].queryset = groups

    def search(self, queryset, name, value):
        """Every word must appear in one of the name, email, job title or administration."""
        for word in value.split():
            queryset = queryset.filter(
                Q(user__name__icontains=word)
                | Q(user__email__icontains=word)
                | Q(job_title__icontains=word)
                | Q(administration__acronym__icontains=word)
                | Q(administration__name_nl__icontains=word)
                | Q(administration__name_fr__icontains=word)
                | Q(administration__name_de__icontains=word)
                | Q(administration__name_en__icontains=word)
            )
        return queryset

    def keep(self, queryset, name, value):
        # group and role are applied together in filter_queryset().
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        group = self.form.cleaned_data.get("group")
        role = self.form.cleaned_data.get("role")
        if group or role:
            # Exists(), not a join: a member with several memberships stays one row.
            memberships = Membership.objects.current().filter(member=OuterRef("pk"))
            if self.known_groups is not None:
                # A role held in a group the reader may not know of must not show through the filter.
                memberships = memberships.filter(group__in=self.known_groups)
            if group:
                memberships = memberships.filter(group=group)
            if role:
                memberships = memberships.filter(role=role)
            queryset = queryset.filter(Exists(memberships))
        return queryset
