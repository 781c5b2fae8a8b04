"""Commitment pages: a commitment with its parts side by side, milestones, indicators and the
timeline of updates; the forms that create and change commitments and parts; the form on
which a focal point reports on its part; evidence downloads. Who may do what: coordination.access."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coordination import access, services
from coordination.forms import CommitmentForm, IndicatorForm, MilestoneForm, PartForm, ProgressUpdateForm
from coordination.models import Commitment, CommitmentPart, Evidence, Indicator, Milestone
from core import documents
from core.forms import add_service_errors, posted
from core.i18n import page_language
from core.translated import translated_names
from members.access import member_required
from members.history import Source, history_rows


@member_required
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one commitment, in a fixed number of queries (with_detail_data)."""
    commitment = access.get_commitment(request.member, pk, queryset=Commitment.objects.with_detail_data())
    can_manage = access.can_manage_commitment(request.member, commitment)
    parts = commitment.part_list
    # The lead administration's part first, then the others by acronym.
    parts.sort(
        key=lambda part: (
            part.administration_id != commitment.lead_administration_id,
            part.administration.acronym,
        )
    )
    for part in parts:
        part.can_report = can_manage or access.is_focal_point(request.member, part)
    timeline = sorted(
        ((update, part) for part in parts for update in part.update_list),
        key=lambda pair: (pair[0].created_at, pair[0].pk),
        reverse=True,
    )
    context = {
        "commitment": commitment,
        "plan": commitment.edition.plan if commitment.edition else None,
        "parts": parts,
        "timeline": timeline,
        "can_manage": can_manage,
    }
    if can_manage:
        context["history"] = history_rows(
            [
                Source(Commitment, Q(id=commitment.pk)),
                Source(CommitmentPart, Q(commitment_id=commitment.pk), related=("administration",)),
            ]
        )
    return render(request, "coordination/commitment_detail.html", context)


def _commitment_initial(commitment: Commitment) -> dict:
    form = CommitmentForm(edition=commitment.edition, creating=False)
    initial = {name: getattr(commitment, name) for name in form.fields if hasattr(commitment, name)}
    initial["chapter"] = commitment.chapter_id
    initial["lead_administration"] = commitment.lead_administration_id
    return initial


@member_required
def commitment_create(request: HttpRequest, slug: str, edition_pk: int) -> HttpResponse:
    plan = access.get_plan(request.member, slug, manage=True)
    edition = get_object_or_404(plan.editions.select_related("plan__owner_group"), pk=edition_pk)
    form = CommitmentForm(posted(request), edition=edition, initial={"is_public": True})
    if form.is_valid():
        data = form.cleaned_data
        try:
            commitment = services.create_commitment(
                by=request.member,
                texts=form.texts(),
                edition=edition,
                chapter=data.get("chapter"),
                reference=data["reference"],
                source=data["source"],
                source_reference=data["source_reference"],
                lead_administration=data["lead_administration"],
                administrations=data["administrations"],
                start_date=data["start_date"],
                due_date=data["due_date"],
                is_public=data["is_public"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The commitment was created. Name the focal points of each part."))
            return redirect("coordination:commitment-detail", pk=commitment.pk)
    context = {"form": form, "plan": plan, "edition": edition, "commitment": None}
    return render(request, "coordination/commitment_form.html", context)


@member_required
def commitment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = access.get_commitment(
        request.member, pk, manage=True, queryset=Commitment.objects.select_related("edition__plan")
    )
    form = CommitmentForm(
        posted(request), edition=commitment.edition, creating=False, initial=_commitment_initial(commitment)
    )
    if form.is_valid():
        data = form.cleaned_data
        changes = {
            name: data[name]
            for name in services.EDITABLE_COMMITMENT_FIELDS
            if name in form.fields and name in data
        }
        try:
            services.update_commitment(
                commitment=commitment, by=request.member, texts=form.texts(), **changes
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The commitment was saved."))
            return redirect("coordination:commitment-detail", pk=commitment.pk)
    plan = commitment.edition.plan if commitment.edition else None
    context = {"form": form, "plan": plan, "edition": commitment.edition, "commitment": commitment}
    return render(request, "coordination/commitment_form.html", context)


@member_required
def part_create(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = access.get_commitment(request.member, pk, manage=True)
    form = PartForm(posted(request), commitment=commitment, initial={"weight": 1})
    if form.is_valid():
        try:
            services.add_part(
                commitment=commitment,
                by=request.member,
                administration=form.cleaned_data["administration"],
                weight=form.cleaned_data["weight"],
                focal_points=form.cleaned_data["focal_points"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The part was added."))
            return redirect("coordination:commitment-detail", pk=commitment.pk)
    return render(
        request, "coordination/part_form.html", {"form": form, "commitment": commitment, "part": None}
    )


def _managed_part(request: HttpRequest, pk: int) -> CommitmentPart:
    part = get_object_or_404(
        CommitmentPart.objects.select_related("administration", "commitment").filter(
            commitment__in=Commitment.objects.visible_to(request.member)
        ),
        pk=pk,
    )
    if not access.can_manage_commitment(request.member, part.commitment):
        raise PermissionDenied
    return part


@member_required
def part_edit(request: HttpRequest, pk: int) -> HttpResponse:
    part = _managed_part(request, pk)
    initial = {"weight": part.weight, "focal_points": list(part.focal_points.all())}
    form = PartForm(posted(request), commitment=part.commitment, part=part, initial=initial)
    if form.is_valid():
        try:
            services.update_part(
                part=part,
                by=request.member,
                weight=form.cleaned_data["weight"],
                focal_points=form.cleaned_data["focal_points"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The part was saved."))
            return redirect("coordination:commitment-detail", pk=part.commitment_id)
    context = {"form": form, "commitment": part.commitment, "part": part}
    return render(request, "coordination/part_form.html", context)


@require_POST
@member_required
def part_remove(request: HttpRequest, pk: int) -> HttpResponse:
    part = _managed_part(request, pk)
    try:
        services.remove_part(part=part, by=request.member)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The part was removed."))
    return redirect("coordination:commitment-detail", pk=part.commitment_id)


@member_required
def update_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A focal point (or the chair, vice-chair, secretariat) reports on a part."""
    part = access.get_part_to_report(request.member, pk)
    data = posted(request)
    form = ProgressUpdateForm(data, request.FILES if data is not None else None, part=part)
    if form.is_valid():
        cleaned = form.cleaned_data
        try:
            services.record_progress(
                part=part,
                by=request.member,
                text=cleaned["text"],
                status=cleaned["status"],
                completion=cleaned["completion"],
                progress=cleaned["progress"],
                no_change=cleaned["no_change"],
                language=page_language(),
                links=cleaned["links"],
                files=cleaned["files"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your update was recorded."))
            return redirect("coordination:commitment-detail", pk=part.commitment_id)
    context = {"form": form, "part": part, "commitment": part.commitment}
    return render(request, "coordination/update_form.html", context)


@member_required
def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _milestone_page(request, access.get_commitment(request.member, pk, manage=True))


@member_required
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a milestone or mark it done (the commitment's managers)."""
    milestone = get_object_or_404(Milestone, pk=pk)
    commitment = access.get_commitment(request.member, milestone.commitment_id, manage=True)
    return _milestone_page(request, commitment, milestone)


def _milestone_page(request: HttpRequest, commitment: Commitment, milestone: Milestone | None = None):
    fields = (*translated_names("title"), "due_date", "done_on")
    initial = {name: getattr(milestone, name) for name in fields} if milestone else None
    form = MilestoneForm(posted(request), initial=initial)
    if form.is_valid():
        dates = {"due_date": form.cleaned_data["due_date"], "done_on": form.cleaned_data["done_on"]}
        try:
            if milestone is None:
                services.add_milestone(commitment=commitment, by=request.member, texts=form.texts(), **dates)
            else:
                services.update_milestone(milestone=milestone, by=request.member, texts=form.texts(), **dates)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The milestone was added.") if milestone is None else _("The milestone was saved.")
            )
            return redirect("coordination:commitment-detail", pk=commitment.pk)
    heading = _("Add a milestone") if milestone is None else _("Edit the milestone")
    context = {"form": form, "commitment": commitment, "heading": heading, "editing": milestone is not None}
    return render(request, "coordination/commitment_item_form.html", context)


@member_required
def indicator_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _indicator_page(request, access.get_commitment(request.member, pk, manage=True))


@member_required
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an indicator's current value or change its definition (the commitment's managers)."""
    indicator = get_object_or_404(Indicator, pk=pk)
    commitment = access.get_commitment(request.member, indicator.commitment_id, manage=True)
    return _indicator_page(request, commitment, indicator)


def _indicator_page(request: HttpRequest, commitment: Commitment, indicator: Indicator | None = None):
    values = ("unit", "baseline", "target", "current_value", "measured_on")
    fields = (*translated_names("name"), *values)
    initial = {name: getattr(indicator, name) for name in fields} if indicator else None
    form = IndicatorForm(posted(request), initial=initial)
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in values}
        try:
            if indicator is None:
                services.add_indicator(commitment=commitment, by=request.member, texts=form.texts(), **data)
            else:
                services.update_indicator(indicator=indicator, by=request.member, texts=form.texts(), **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The indicator was added.") if indicator is None else _("The indicator was saved.")
            )
            return redirect("coordination:commitment-detail", pk=commitment.pk)
    heading = _("Add an indicator") if indicator is None else _("Edit the indicator")
    context = {"form": form, "commitment": commitment, "heading": heading, "editing": indicator is not None}
    return render(request, "coordination/commitment_item_form.html", context)


@member_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence document, for those who may see its commitment, as a download with a safe name."""
    visible = Commitment.objects.visible_to(request.member)
    evidence = get_object_or_404(Evidence.objects.filter(update__part__commitment__in=visible), pk=pk)
    if not evidence.file:
        raise Http404
    kind = documents.kind_of(evidence.content_type)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=documents.safe_filename(evidence.original_name, kind),
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
