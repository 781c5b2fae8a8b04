"""Dashboards: a plan edition's commitments, and an administration's parts, counted by status and
completion level with their average progress, as charts with their data tables.

Each dashboard counts in SQL (a fixed number of queries, whatever the number of commitments) and
only what the member may see (Commitment.objects.visible_to).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext

from coordination import access, charts
from coordination.models import CLOSED_STATUSES, ActionPlan, Commitment, CommitmentPart, Completion, Status
from coordination.plan_views import chosen_edition
from core.i18n import localized
from members.access import member_required
from members.models import Administration


def _rounded(value) -> int:
    return int(Decimal(value or 0).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _summary(rows: QuerySet) -> dict:
    """Counts by status and completion, the average progress and the overdue count, in one query."""
    today = timezone.localdate()
    aggregates = {f"status_{value}": Count("pk", filter=Q(status=value)) for value in Status.values}
    aggregates |= {
        f"completion_{value}": Count("pk", filter=Q(completion=value)) for value in Completion.values
    }
    aggregates["total"] = Count("pk")
    aggregates["average"] = Avg("progress")
    aggregates["overdue"] = Count("pk", filter=Q(due_date__lt=today) & ~Q(status__in=CLOSED_STATUSES))
    result = rows.aggregate(**aggregates)
    return {
        "total": result["total"],
        "average": _rounded(result["average"]),
        "overdue": result["overdue"],
        "by_status": {value: result[f"status_{value}"] for value in Status.values},
        "by_completion": {value: result[f"completion_{value}"] for value in Completion.values},
    }


@member_required
def plan_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """An edition of a plan (?edition=, else the latest): its commitments by status, completion and
    owner administration."""
    plan = access.get_plan(request.member, slug)
    editions = list(plan.editions.order_by("-starts_on", "-pk"))
    edition = chosen_edition(editions, request.GET.get("edition"))
    commitments = Commitment.objects.visible_to(request.member).filter(edition=edition)
    summary = _summary(commitments)
    parts = (
        CommitmentPart.objects.filter(commitment__in=commitments)
        .values("administration__acronym")
        .annotate(average=Avg("progress"))
        .order_by("administration__acronym")
    )
    by_administration = [(row["administration__acronym"], _rounded(row["average"])) for row in parts]
    title = localized(plan, "title")
    context = {
        "plan": plan,
        "editions": editions,
        "edition": edition,
        "summary": summary,
        "charts": [
            charts.status_chart("status", gettext("Commitments by status"), summary["by_status"]),
            charts.completion_chart(
                "completion", gettext("Commitments by completion level"), summary["by_completion"]
            ),
            charts.progress_chart(
                "administrations",
                gettext("Average progress of each owner administration's parts"),
                by_administration,
            ),
        ],
        "page_title": title,
    }
    return render(request, "coordination/dashboard_plan.html", context)


@member_required
def administration_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """An administration's parts in the commitments the member may see: by status, completion and plan."""
    administration = get_object_or_404(Administration, pk=pk)
    visible = Commitment.objects.visible_to(request.member)
    parts = CommitmentPart.objects.filter(administration=administration, commitment__in=visible)
    # A part is overdue when its commitment is due and the part itself is still open.
    summary = _summary(parts.annotate(due_date=F("commitment__due_date")))
    per_plan = list(
        parts.values(
            "commitment__edition__plan__slug", "commitment__edition__label", "commitment__edition_id"
        )
        .annotate(average=Avg("progress"))
        .order_by("commitment__edition__plan__slug", "commitment__edition__label")
    )
    plans = {
        plan.slug: plan
        for plan in ActionPlan.objects.filter(
            slug__in=[row["commitment__edition__plan__slug"] for row in per_plan]
        )
    }
    by_plan = []
    for row in per_plan:
        plan = plans.get(row["commitment__edition__plan__slug"])
        label = (
            f"{localized(plan, 'title')} {row['commitment__edition__label']}"
            if plan
            else gettext("Outside any plan")
        )
        by_plan.append((label, _rounded(row["average"])))
    context = {
        "administration": administration,
        "summary": summary,
        "charts": [
            charts.status_chart("status", gettext("Parts by status"), summary["by_status"]),
            charts.completion_chart(
                "completion", gettext("Parts by completion level"), summary["by_completion"]
            ),
            charts.progress_chart("plans", gettext("Average progress of the parts in each plan"), by_plan),
        ],
    }
    return render(request, "coordination/dashboard_administration.html", context)
