from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from core.forms import posted
from core.i18n import remember_language
from members import services
from members.access import Action, can, current_roles, may_change_membership, member_required, require
from members.forms import ChangeRoleForm, GroupLinkForm, ProfileForm, PublicPageForm
from members.history import Source, history_rows
from members.middleware import remember_timezone
from members.models import Group, GroupLink, Membership


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: sets the cookie, and saves the choice for signed-in people."""
    language = request.POST.get("language", "")
    response = django_set_language(request)
    valid = check_for_language(language) and language in dict(settings.LANGUAGES)
    if valid and request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


# --- Groups ------------------------------------------------------------------------------


def _get_group(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Group:
    """The group if request.member belongs to it (else 404); 403 if their role does not allow `action`."""
    group = get_object_or_404(Group, slug=slug)
    require(request.member, action, group)
    return group


@member_required
def group_list(request: HttpRequest) -> HttpResponse:
    roles = current_roles(request.member)
    current = Q(memberships__start__lte=timezone.localdate()) & (
        Q(memberships__end__isnull=True) | Q(memberships__end__gt=timezone.localdate())
    )
    groups = Group.objects.filter(pk__in=roles).annotate(member_count=Count("memberships", filter=current))
    rows = [(group, Membership.Role(roles[group.pk]).label) for group in groups]
    return render(request, "members/group_list.html", {"rows": rows})


@member_required
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = _get_group(request, slug)
    memberships = (
        Membership.objects.current()
        .filter(group=group)
        .select_related("member__user", "member__administration", "substitute_for__user")
        .order_by("member__administration__acronym", "member__user__name")
    )
    memberships = list(memberships)
    for membership in memberships:
        membership.editable = may_change_membership(request.member, membership)
    context = {
        "group": group,
        "memberships": memberships,
        "role": Membership.Role(current_roles(request.member)[group.pk]),
        "can_manage": can(request.member, Action.MANAGE_MEMBERS, group),
        "can_edit_page": can(request.member, Action.EDIT_PUBLIC_PAGE, group),
    }
    if context["can_manage"]:
        # Memberships and roles given, changed and ended, with who did it.
        context["history"] = history_rows([Source(Membership, Q(group_id=group.pk), related=("member__user",))])
    return render(request, "members/group_detail.html", context)


@member_required
def group_history(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone who ever held a role in the group, current and past."""
    group = _get_group(request, slug)
    memberships = (
        Membership.objects.filter(group=group)
        .select_related("member__user", "member__administration", "substitute_for__user")
        .order_by("-start", "member__user__name")
    )
    return render(request, "members/group_history.html", {"group": group, "memberships": memberships})


def _get_membership(request: HttpRequest, slug: str, pk: int) -> Membership:
    group = _get_group(request, slug, Action.MANAGE_MEMBERS)
    rows = Membership.objects.select_related("member__user", "group")
    return get_object_or_404(rows, pk=pk, group=group, end__isnull=True)


@member_required
def membership_change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _get_membership(request, slug, pk)
    form = ChangeRoleForm(
        data=posted(request),
        group=membership.group,
        initial={"role": membership.role, "substitute_for": membership.substitute_for_id},
    )
    if not may_change_membership(request.member, membership):
        raise PermissionDenied
    if form.is_valid() and not may_change_membership(request.member, membership, form.cleaned_data["role"]):
        form.add_error("role", _("Only the chair appoints a chair or vice-chair."))
    if form.is_valid():
        try:
            services.change_role(
                membership=membership,
                by=request.member,
                role=form.cleaned_data["role"],
                substitute_for=form.cleaned_data["substitute_for"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The role of %(name)s was changed.") % {"name": membership.member.user.name}
            )
            return redirect("members:group-detail", slug=slug)
    return render(request, "members/membership_change.html", {"membership": membership, "form": form})


@member_required
def membership_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _get_membership(request, slug, pk)
    if not may_change_membership(request.member, membership):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            services.end_membership(membership=membership, by=request.member)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(
                request,
                _("%(name)s is no longer a member of this group.") % {"name": membership.member.user.name},
            )
            return redirect("members:group-detail", slug=slug)
    return render(request, "members/membership_end.html", {"membership": membership, "error": error})


@member_required
def public_page_edit(request: HttpRequest, slug: str) -> HttpResponse:
    group = _get_group(request, slug, Action.EDIT_PUBLIC_PAGE)
    form = PublicPageForm(data=posted(request), instance=group)
    link_form = GroupLinkForm(prefix="link")
    if form.is_valid():
        services.update_public_page(
            group=group, changes={name: form.cleaned_data[name] for name in form.fields}
        )
        messages.success(request, _("The public page was saved."))
        return redirect("members:public-page-edit", slug=slug)
    context = {"group": group, "form": form, "link_form": link_form, "links": group.links.all()}
    return render(request, "members/public_page_edit.html", context)


@member_required
@require_POST
def public_link_add(request: HttpRequest, slug: str) -> HttpResponse:
    group = _get_group(request, slug, Action.EDIT_PUBLIC_PAGE)
    link_form = GroupLinkForm(data=request.POST, files=request.FILES, prefix="link")
    if link_form.is_valid():
        data = link_form.cleaned_data
        title = {code: data[f"title_{code}"] for code, _n in settings.LANGUAGES}
        try:
            services.add_group_link(group=group, title=title, url=data["url"], upload=data["document"])
        except ValidationError as error:
            link_form.add_error("document" if data["document"] else None, error)
        else:
            messages.success(request, _("The link was added."))
            return redirect("members:public-page-edit", slug=slug)
    form = PublicPageForm(instance=group)
    context = {"group": group, "form": form, "link_form": link_form, "links": group.links.all()}
    return render(request, "members/public_page_edit.html", context, status=400)


@member_required
@require_POST
def public_link_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _get_group(request, slug, Action.EDIT_PUBLIC_PAGE)
    services.remove_group_link(link=get_object_or_404(GroupLink, pk=pk, group=group))
    messages.success(request, _("The link was removed."))
    return redirect("members:public-page-edit", slug=slug)


# --- Profile and personal data ------------------------------------------------------------


@member_required
def profile(request: HttpRequest) -> HttpResponse:
    member = request.member
    form = ProfileForm.for_member(member, data=posted(request))
    if form.is_valid():
        data = form.cleaned_data
        services.update_profile(
            member=member,
            name=data["name"],
            job_title=data["job_title"],
            administration=data["administration"],
            phone=data["phone"],
            language=data["language"],
            timezone_name=data["timezone"],
            muted_kinds=form.muted_kinds(),
            form_of_address=data["form_of_address"],
        )
        messages.success(request, _("Your profile was saved."))
        response = redirect("members:profile")
        remember_language(response, data["language"])
        remember_timezone(request, data["timezone"])
        return response
    memberships = Membership.objects.filter(member=member).select_related("group").order_by("-start")
    context = {"form": form, "member": member, "memberships": memberships}
    return render(request, "members/profile.html", context)


@member_required
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    services.regenerate_feed_token(member=request.member)
    messages.success(
        request,
        _("Your calendar feed has a new address. Calendars subscribed to the old one no longer update."),
    )
    return redirect("members:profile")
