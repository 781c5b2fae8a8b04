"""Reporting round pages: a plan's rounds, opening one, its dashboard (who reported, who did not),
the one-click "no change", closing it, comparing it with the previous round and putting the
follow-up on the group's next agenda; and the list of overdue parts.

Who may do what (coordination.access): whoever may see the plan sees its rounds, restricted to the
commitments they may see; its owner group's managers open, close and add the follow-up item.
Not visible: 404; visible but not allowed: 403.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from coordination import access, follow_up, rounds
from coordination.models import CLOSED_STATUSES, ActionPlan, Commitment, CommitmentPart, ReportingRound
from coordination.round_forms import OpenRoundForm
from core.forms import add_service_errors, posted
from meetings.access import may_manage
from members.access import member_required
from members.models import Member

OVERDUE_PER_PAGE = 100
DASHBOARD_PER_PAGE = 200
COMPARE_PER_PAGE = 200
# What the comparison lists: by default the parts that moved or are late.
SHOW = {
    "changes": (gettext_lazy("Moved or late"), lambda row: row.moved or row.late),
    "moved": (gettext_lazy("Moved"), lambda row: row.moved),
    "late": (gettext_lazy("Past their due date"), lambda row: row.late),
    "not_reported": (gettext_lazy("Not reported"), lambda row: row.not_reported),
    "all": (gettext_lazy("All parts"), lambda row: True),
}
# The dashboard's filter on where a part stands in the round.
STATES = {
    "missing": gettext_lazy("Not reported yet"),
    "reported": gettext_lazy("Reported"),
    "no_change": gettext_lazy("No change"),
}


def _is_id(value: str) -> bool:
    """Whether a query string value is a row number ("²" is a digit to str.isdigit(), not to int())."""
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


def get_round(member: Member, pk: int, *, manage: bool = False) -> ReportingRound:
    """The round if the member may see its plan (else 404); 403 when `manage` and they may not manage it."""
    visible = ActionPlan.objects.visible_to(member)
    round_ = get_object_or_404(
        ReportingRound.objects.filter(edition__plan__in=visible).select_related(
            "edition__plan__owner_group", "opened_by__user", "closed_by__user"
        ),
        pk=pk,
    )
    if manage and not access.can_manage_plan(member, round_.edition.plan):
        raise PermissionDenied
    return round_


def _visible_commitment_ids(member: Member, round_: ReportingRound) -> set[int] | None:
    """None when the member sees every commitment of the round's edition (its owner group's
    members), else the ids of those they see (as a focal point)."""
    if access.in_owner_group(member, round_.edition.plan.owner_group_id):
        return None
    rows = Commitment.objects.visible_to(member).filter(edition_id=round_.edition_id)
    return set(rows.values_list("pk", flat=True))


@member_required
def round_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan's reporting rounds, newest first, with how to open one."""
    plan = access.get_plan(request.member, slug)
    round_rows = (
        ReportingRound.objects.filter(edition__plan=plan)
        .select_related("edition")
        .order_by("-opened_at", "-pk")
    )
    context = {
        "plan": plan,
        "rounds": list(round_rows),
        "can_manage": access.can_manage_plan(request.member, plan),
    }
    return render(request, "coordination/round_list.html", context)


@member_required
def round_open(request: HttpRequest, slug: str) -> HttpResponse:
    plan = access.get_plan(request.member, slug, manage=True)
    edition = plan.editions.order_by("-starts_on", "-pk").first()
    form = OpenRoundForm(posted(request), initial={"remind_days_before": 7})
    if edition is None:
        form = None
    elif form.is_valid():
        data = form.cleaned_data
        try:
            round_ = rounds.open_round(
                edition=edition,
                deadline=data["deadline"],
                by=request.member,
                label=data["label"],
                remind_days_before=data["remind_days_before"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("The round is open. Each focal point was sent the list of the parts they report on."),
            )
            return redirect("rounds:detail", pk=round_.pk)
    open_round = edition.reporting_rounds.open().first() if edition else None
    context = {"plan": plan, "edition": edition, "form": form, "open_round": open_round}
    return render(request, "coordination/round_open.html", context)


@member_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's dashboard: per administration the count of parts reported, reported "no change"
    and not reported; then each part (one administration's, or those in one state, on request),
    DASHBOARD_PER_PAGE a page. A fixed number of queries, counted and sliced in the database."""
    round_ = get_round(request.member, pk)
    plan = round_.edition.plan
    can_manage = access.can_manage_plan(request.member, plan)
    commitments = None
    if not access.in_owner_group(request.member, plan.owner_group_id):
        commitments = Commitment.objects.visible_to(request.member)  # a focal point: their commitments
    administrations, parts = rounds.dashboard(round_, commitments)
    totals = {
        "reported": sum(row.reported for row in administrations),
        "no_change": sum(row.no_change for row in administrations),
        "missing": sum(row.missing for row in administrations),
    }
    chosen = request.GET.get("administration", "")
    if chosen:
        parts = parts.filter(administration_id=int(chosen)) if _is_id(chosen) else parts.none()
    state = request.GET.get("state", "")
    if state in rounds.ROUND_STATES:
        parts = parts.filter(rounds.ROUND_STATES[state])
    page = Paginator(parts, DASHBOARD_PER_PAGE).get_page(request.GET.get("page"))
    prefetch_related_objects(page.object_list, rounds.focal_points_prefetch())
    for part in page.object_list:
        part.can_report = round_.is_open and (can_manage or access.is_focal_point(request.member, part))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "round": round_,
        "plan": plan,
        "administrations": administrations,
        "totals": totals,
        "page": page,
        "chosen": chosen,
        "state": state if state in STATES else "",
        "states": STATES,
        "page_query": query.urlencode(),
        "can_manage": can_manage,
        "late": round_.is_open and round_.deadline < timezone.localdate(),
    }
    return render(request, "coordination/round_detail.html", context)


@require_POST
@member_required
def no_change(request: HttpRequest, pk: int) -> HttpResponse:
    """A focal point reports in one click that nothing moved on a part."""
    part = access.get_part_to_report(request.member, pk)
    try:
        update = rounds.report_no_change(part=part, by=request.member)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        update = None
    else:
        messages.success(
            request,
            _("Recorded: no change on the part of %(administration)s.")
            % {"administration": part.administration.acronym},
        )
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # Only a path: redirect() would take anything else (such as "0") for the name of a page.
    if safe and target.startswith("/"):
        return HttpResponseRedirect(target)
    if update is not None and update.round_id:
        return redirect("rounds:detail", pk=update.round_id)
    return redirect("coordination:commitment-detail", pk=part.commitment_id)


@member_required
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_round(request.member, pk, manage=True)
    if request.method == "POST":
        try:
            rounds.close_round(round=round_, by=request.member)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("The round is closed: its results are kept as they stand today."))
        return redirect("rounds:compare", pk=round_.pk)
    return render(request, "coordination/round_close.html", {"round": round_, "plan": round_.edition.plan})


@member_required
def round_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """The round and the previous one (or ?with=<round>) side by side: what moved, what is late."""
    round_ = get_round(request.member, pk)
    others = (
        ReportingRound.objects.filter(edition_id=round_.edition_id, closed_at__isnull=False)
        .exclude(pk=round_.pk)
        .order_by("-opened_at", "-pk")
    )
    wanted = request.GET.get("with", "")
    if wanted:
        if not _is_id(wanted):
            raise Http404
        previous = get_object_or_404(others, pk=int(wanted))
    else:
        previous = rounds.previous_round(round_)
    comparison = rounds.compare_rounds(previous, round_)
    visible = _visible_commitment_ids(request.member, round_)
    if visible is not None:
        comparison.rows = [row for row in comparison.rows if row.part.commitment_id in visible]
    show = request.GET.get("show", "")
    show = show if show in SHOW else "changes"
    page = Paginator([row for row in comparison.rows if SHOW[show][1](row)], COMPARE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    plan = round_.edition.plan
    can_manage = access.can_manage_plan(request.member, plan)
    context = {
        "round": round_,
        "plan": plan,
        "comparison": comparison,
        "page": page,
        "show": show,
        "shows": {value: label for value, (label, _keep) in SHOW.items()},
        "page_query": query.urlencode(),
        "others": list(others),
        "can_manage": can_manage,
        "next_meeting": follow_up.next_meeting(plan.owner_group_id) if can_manage else None,
    }
    return render(request, "coordination/round_compare.html", context)


@require_POST
@member_required
def follow_up_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Add "Follow-up of commitments" to the owner group's next agenda."""
    round_ = get_round(request.member, pk, manage=True)
    meeting = follow_up.next_meeting(round_.edition.plan.owner_group_id)
    if meeting is not None and not may_manage(request.member, meeting):
        raise PermissionDenied
    try:
        item = follow_up.add_follow_up_item(round=round_, by=request.member)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("rounds:compare", pk=round_.pk)
    messages.success(request, _("The follow-up was added to the agenda; review it before circulating."))
    return redirect("meetings:agenda", pk=item.meeting_id)


@member_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Parts past their due date and not done or dropped, of the commitments the member may see,
    the longest overdue first; 100 a page, a fixed number of queries."""
    today = timezone.localdate()
    parts = (
        CommitmentPart.objects.filter(
            commitment__in=Commitment.objects.visible_to(request.member), commitment__due_date__lt=today
        )
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("commitment__edition__plan", "administration")
        .prefetch_related(rounds.focal_points_prefetch())
        .order_by("commitment__due_date", "commitment__pk", "administration__acronym", "pk")
    )
    page = Paginator(parts, OVERDUE_PER_PAGE).get_page(request.GET.get("page"))
    for part in page.object_list:
        part.days_late = (today - part.commitment.due_date).days
    return render(request, "coordination/round_overdue.html", {"page": page, "today": today})
