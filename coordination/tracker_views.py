"""The commitment tracker (every commitment a member may see, filtered, sorted, exported) and a
plan's public page (its public commitments, for anyone, without personal data)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext

from coordination.filters import CommitmentFilter
from coordination.models import ActionPlan, Commitment
from coordination.tables import CommitmentTable, PublicCommitmentTable, tracker_rows
from core.i18n import localized
from core.tables import export_response, sort_and_paginate
from members.access import member_required

PAGE_SIZE = 50


def _export(request: HttpRequest, table, title: str, filename: str) -> HttpResponse | None:
    """The table (all filtered rows, in the chosen order) as CSV or XLSX, when ?_export= asks for it."""
    return export_response(
        request, table, title=title, filename=f"{filename}-{timezone.localdate():%Y-%m-%d}"
    )


@member_required
def tracker(request: HttpRequest) -> HttpResponse:
    """Every commitment the member may see: search, filters, sorting; ?_export=csv|xlsx downloads them."""
    plans = ActionPlan.objects.visible_to(request.member)
    commitments = tracker_rows(Commitment.objects.visible_to(request.member))
    filterset = CommitmentFilter(request.GET or None, queryset=commitments, plans=plans)
    context = {"filterset": filterset, "table": None}
    if filterset.is_bound and not filterset.is_valid():
        # Show the errors rather than a list the person did not ask for.
        return render(request, "coordination/tracker.html", context)
    table = CommitmentTable(filterset.qs)
    exported = _export(request, table, gettext("Commitments"), "concerto-commitments")
    if exported is not None:
        return exported
    context["table"] = sort_and_paginate(request, table, PAGE_SIZE)
    return render(request, "coordination/tracker.html", context)


def public_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """A public plan's public commitments and their progress: anyone may read it, no personal data."""
    plan = get_object_or_404(ActionPlan.objects.public().select_related("owner_group"), slug=slug)
    plans = ActionPlan.objects.filter(pk=plan.pk)
    commitments = tracker_rows(Commitment.objects.public().filter(edition__plan=plan))
    filterset = CommitmentFilter(request.GET or None, queryset=commitments, plans=plans)
    del filterset.filters["plan"]  # one plan only; before `form` is built from the filters
    context = {"plan": plan, "filterset": filterset, "table": None}
    if filterset.is_bound and not filterset.is_valid():
        return render(request, "coordination/plan_public.html", context)
    table = PublicCommitmentTable(filterset.qs)
    exported = _export(request, table, localized(plan, "title"), f"concerto-{plan.slug}")
    if exported is not None:
        return exported
    context["table"] = sort_and_paginate(request, table, PAGE_SIZE)
    return render(request, "coordination/plan_public.html", context)
