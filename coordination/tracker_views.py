"""The commitment tracker (every commitment a member may see, filtered, sorted, exported) and a
plan's public page (its public commitments, for anyone, without personal data)."""

from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django_tables2 import RequestConfig, Table

from coordination.filters import CommitmentFilter
from coordination.models import ActionPlan, Commitment
from coordination.tables import CommitmentTable, PublicCommitmentTable, tracker_rows
from core.i18n import localized
from members.access import member_required
from members.tables import SpreadsheetExport

PAGE_SIZE = 50
EXPORT_PARAMETER = "_export"


def _sort_and_paginate(request: HttpRequest, table: Table, per_page: int = PAGE_SIZE) -> Table:
    """Apply ?sort= and show the requested page: a page number that is not one shows page 1, one
    past the end the last page. The page size is ours, not the query string's."""
    RequestConfig(request, paginate=False).configure(table)
    try:
        page = max(int(request.GET.get(table.prefixed_page_field, 1)), 1)
    except ValueError:
        page = 1
    try:
        table.paginate(page=page, per_page=per_page)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, per_page=per_page)
    return table


def _export(request: HttpRequest, table: Table, title: str, filename: str) -> HttpResponse | None:
    """The table (all filtered rows, in the chosen order) as CSV or XLSX, when ?_export= asks for it."""
    export_format = request.GET.get(EXPORT_PARAMETER)
    if not SpreadsheetExport.is_valid_format(export_format):
        return None
    RequestConfig(request, paginate=False).configure(table)
    exporter = SpreadsheetExport(export_format, table, dataset_kwargs={"title": title[:31]})
    return exporter.response(filename=f"{filename}-{timezone.localdate():%Y-%m-%d}.{export_format}")


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
    context["table"] = _sort_and_paginate(request, table)
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
    context["table"] = _sort_and_paginate(request, table)
    return render(request, "coordination/plan_public.html", context)
