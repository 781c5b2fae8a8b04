"""Action plan pages: the list, a plan with its editions and commitments, and the forms that
create and change plans, editions and chapters. Who may do what: coordination.access."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from coordination import access, services
from coordination.forms import ChapterForm, EditionForm, PlanForm
from coordination.models import ActionPlan, Commitment, PlanEdition
from core.forms import add_service_errors, posted
from members.access import member_required


@member_required
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = (
        ActionPlan.objects.visible_to(request.member)
        .select_related("owner_group")
        .prefetch_related("editions")
        .order_by("slug")
    )
    context = {"plans": plans, "can_create": access.managed_groups(request.member).exists()}
    return render(request, "coordination/plan_list.html", context)


def chosen_edition(editions: list[PlanEdition], wanted: str | None) -> PlanEdition | None:
    """The edition asked for in ?edition= (404 if it is not one of `editions`), else the first (latest)."""
    if wanted:
        chosen = next((edition for edition in editions if str(edition.pk) == wanted), None)
        if chosen is None:
            raise Http404
        return chosen
    return editions[0] if editions else None


@member_required
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan: its editions, and the chosen edition's chapters and the commitments the reader may
    see, each with its parts side by side and its roll-up. A fixed number of queries."""
    plan = access.get_plan(request.member, slug)
    editions = list(plan.editions.order_by("-starts_on", "-pk"))
    edition = chosen_edition(editions, request.GET.get("edition"))
    chapters, loose = [], []
    if edition is not None:
        commitments = list(
            Commitment.objects.visible_to(request.member)
            .filter(edition=edition)
            .with_list_data()
            .order_by("position", "pk")
        )
        chapter_list = list(edition.chapters.all())
        by_chapter = {chapter.pk: [] for chapter in chapter_list}
        for commitment in commitments:
            by_chapter.get(commitment.chapter_id, loose).append(commitment)
        chapters = [(chapter, by_chapter[chapter.pk]) for chapter in chapter_list]
    context = {
        "plan": plan,
        "editions": editions,
        "edition": edition,
        "chapters": chapters,
        "loose_commitments": loose,
        "can_manage": access.can_manage_plan(request.member, plan),
    }
    return render(request, "coordination/plan_detail.html", context)


@member_required
def plan_create(request: HttpRequest) -> HttpResponse:
    groups = access.managed_groups(request.member)
    if not groups.exists():
        raise PermissionDenied
    form = PlanForm(posted(request), groups=groups)
    if form.is_valid():
        try:
            plan = services.create_plan(
                by=request.member,
                owner_group=form.cleaned_data["owner_group"],
                texts=form.texts(),
                slug=form.cleaned_data.get("slug") or "",
                is_public=form.cleaned_data["is_public"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The plan was created. Add its first edition."))
            return redirect("coordination:edition-create", slug=plan.slug)
    return render(request, "coordination/plan_form.html", {"form": form, "plan": None})


@member_required
def plan_edit(request: HttpRequest, slug: str) -> HttpResponse:
    plan = access.get_plan(request.member, slug, manage=True)
    groups = access.managed_groups(request.member)
    initial = {
        name: getattr(plan, name) for name in PlanForm(groups=groups, plan=plan).fields if hasattr(plan, name)
    }
    form = PlanForm(posted(request), groups=groups, plan=plan, initial=initial)
    if form.is_valid():
        try:
            services.update_plan(
                plan=plan,
                by=request.member,
                texts=form.texts(),
                is_public=form.cleaned_data["is_public"],
                owner_group=form.cleaned_data["owner_group"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The plan was saved."))
            return redirect("coordination:plan-detail", slug=plan.slug)
    return render(request, "coordination/plan_form.html", {"form": form, "plan": plan})


@member_required
def edition_create(request: HttpRequest, slug: str) -> HttpResponse:
    plan = access.get_plan(request.member, slug, manage=True)
    previous = plan.editions.order_by("-starts_on", "-pk").first()
    form = EditionForm(posted(request), initial={"carry_over": True})
    if form.is_valid():
        data = form.cleaned_data
        try:
            edition = services.create_edition(
                plan=plan,
                by=request.member,
                label=data["label"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                carry_over=data["carry_over"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The edition was created."))
            return redirect(f"{plan_url(plan)}?edition={edition.pk}")
    return render(
        request, "coordination/edition_form.html", {"form": form, "plan": plan, "previous": previous}
    )


def plan_url(plan: ActionPlan) -> str:
    return reverse("coordination:plan-detail", kwargs={"slug": plan.slug})


@member_required
def chapter_create(request: HttpRequest, slug: str, edition_pk: int) -> HttpResponse:
    plan = access.get_plan(request.member, slug, manage=True)
    edition = get_object_or_404(plan.editions, pk=edition_pk)
    form = ChapterForm(posted(request))
    if form.is_valid():
        try:
            services.create_chapter(
                edition=edition, by=request.member, texts=form.texts(), code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The chapter was added."))
            return redirect(f"{plan_url(plan)}?edition={edition.pk}")
    return render(request, "coordination/chapter_form.html", {"form": form, "plan": plan, "edition": edition})
