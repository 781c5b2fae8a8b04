"""Pages anyone can read, without signing in."""

from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from coordination.models import ActionPlan
from core import documents
from meetings.models import Meeting
from members.models import Group, GroupLink, Membership

PUBLIC_ROLES = [Membership.Role.CHAIR, Membership.Role.VICE_CHAIR, Membership.Role.SECRETARIAT]


def group_public(request: HttpRequest, slug: str) -> HttpResponse:
    """A group's public page: mandate, lines of action, chair and secretariat, links, next meetings."""
    group = get_object_or_404(
        Group.objects.prefetch_related(
            Prefetch("links", queryset=GroupLink.objects.order_by("position", "pk"))
        ),
        slug=slug,
        is_public=True,
    )
    officers = (
        Membership.objects.current()
        .filter(group=group, role__in=PUBLIC_ROLES)
        .select_related("member__user", "member__administration")
        .order_by("role", "member__user__name")
    )
    meetings = []
    if group.show_next_meetings:
        meetings = list(
            Meeting.objects.filter(group=group, is_public=True, status=Meeting.Status.SCHEDULED)
            .upcoming()
            .order_by("starts_at")[:5]
        )
    user_part, _at, domain = group.contact_email.partition("@")
    context = {
        "group": group,
        "officers": [o for o in officers if o.member.is_active],
        "meetings": meetings,
        "public_plans": ActionPlan.objects.public().filter(owner_group=group).order_by("slug"),
        # Shown as text with [at] and [dot]; static/js/contact.js turns it into a mailto link.
        "contact_user": user_part,
        "contact_domain_parts": domain.split(".") if domain else [],
    }
    return render(request, "coordination/group_public.html", context)


def group_document(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """A public document of a published group page, as a download with a safe name."""
    link = get_object_or_404(
        GroupLink.objects.select_related("group"), pk=pk, group__slug=slug, group__is_public=True
    )
    if not link.document:
        raise Http404
    name = link.document.name.rsplit("/", 1)[-1]
    kind = documents.KINDS.get(name.rsplit(".", 1)[-1].lower())
    try:
        handle = link.document.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=documents.safe_filename(name, kind),
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
