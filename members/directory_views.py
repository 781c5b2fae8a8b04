"""The members directory and the administration pages. Members' data is personal data:
only signed-in, active members see these pages."""

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.tables import export_response, sort_and_paginate
from members.access import groups_known_to, member_required
from members.filters import MemberFilter
from members.models import Administration, Member, Membership
from members.tables import MemberTable, RepresentationTable

PAGE_SIZE = 50


@member_required
def directory(request: HttpRequest) -> HttpResponse:
    """The filterable, sortable list of members; ?_export=csv|xlsx downloads what is shown."""
    groups = groups_known_to(request.member)
    members = Member.objects.visible_in_directory().with_directory_data(groups)
    filterset = MemberFilter(request.GET or None, queryset=members, groups=groups)
    if filterset.is_bound and not filterset.is_valid():
        # Show the errors rather than a list the person did not ask for.
        return render(request, "members/directory.html", {"filterset": filterset, "table": None})

    table = MemberTable(filterset.qs)
    filename = f"concerto-directory-{timezone.localdate():%Y-%m-%d}"
    response = export_response(request, table, title=gettext("Directory"), filename=filename)
    if response is not None:
        return response

    sort_and_paginate(request, table, PAGE_SIZE)
    return render(request, "members/directory.html", {"filterset": filterset, "table": table})


def _by_level_and_entity(administrations) -> list[dict]:
    """[{level, entities: [{entity, administrations}]}] in the order of the choices; empty ones left out."""
    sections = []
    for level, level_label in Administration.Level.choices:
        entities = []
        for entity, entity_label in [*Administration.Entity.choices, ("", "")]:
            rows = [a for a in administrations if a.level == level and a.entity == entity]
            if rows:
                entities.append({"entity": entity_label, "administrations": rows})
        if entities:
            sections.append({"level": level_label, "entities": entities})
    return sections


@member_required
def administration_list(request: HttpRequest) -> HttpResponse:
    """Active administrations by level and government, with how many members each has."""
    administrations = list(
        Administration.objects.filter(is_active=True)
        .select_related("parent")
        .with_member_counts()
        .order_by("acronym")
    )
    context = {"sections": _by_level_and_entity(administrations), "total": len(administrations)}
    return render(request, "members/administration_list.html", context)


def representation_history(administration: Administration, groups: QuerySet) -> QuerySet[Membership]:
    """Every membership, current or ended, of the administration's members in `groups` (those the
    reader may know of): what RepresentationTable reads."""
    return Membership.objects.filter(member__administration=administration, group__in=groups).select_related(
        "member__user", "group", "substitute_for__user"
    )


@member_required
def administration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An administration, its sub-administrations, its current members and who represented it where."""
    administration = get_object_or_404(Administration.objects.select_related("parent"), pk=pk)
    children = list(administration.children.with_member_counts().order_by("acronym"))

    groups = groups_known_to(request.member)
    members = (
        Member.objects.visible_in_directory()
        .filter(administration=administration)
        .with_directory_data(groups)
    )
    members_table = MemberTable(
        members, prefix="members-", exclude=("administration", "administration_name", "level")
    )
    members_table.caption = _("Current members")
    members_table.pagination_label = _("Pages of current members")
    sort_and_paginate(request, members_table, PAGE_SIZE)

    history_table = RepresentationTable(representation_history(administration, groups), prefix="history-")
    history_table.pagination_label = _("Pages of the representation history")
    sort_and_paginate(request, history_table, PAGE_SIZE)

    context = {
        "administration": administration,
        "children": children,
        "members_table": members_table,
        "history_table": history_table,
    }
    return render(request, "members/administration_detail.html", context)
