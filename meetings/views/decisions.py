"""The decisions register: every decision the member may see, filtered, sorted, exported."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from core.tables import export_response, sort_and_paginate
from meetings.decisions import register_groups, register_meetings, register_years, visible_decisions
from meetings.filters import DecisionFilter
from meetings.tables import DecisionTable
from members.access import member_required

PAGE_SIZE = 50


@member_required
def register(request: HttpRequest) -> HttpResponse:
    """Decisions of every minutes the member may read: search, filters, sorting; ?_export=csv|xlsx
    downloads the filtered rows."""
    member = request.member
    filterset = DecisionFilter(
        request.GET or None,
        queryset=visible_decisions(member),
        groups=register_groups(member),
        years=register_years(member),
        meetings=register_meetings(member),
    )
    context = {"filterset": filterset, "table": None}
    if filterset.is_bound and not filterset.is_valid():
        # Show the errors rather than a list the person did not ask for.
        return render(request, "meetings/decision_register.html", context)
    table = DecisionTable(filterset.qs)
    exported = export_response(
        request,
        table,
        title=gettext("Decisions"),
        filename=f"concerto-decisions-{timezone.localdate():%Y-%m-%d}",
    )
    if exported is not None:
        return exported
    context["table"] = sort_and_paginate(request, table, PAGE_SIZE)
    return render(request, "meetings/decision_register.html", context)
