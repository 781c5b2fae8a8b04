import json

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from coordination.privacy import member_data
from coordination.start import start_page
from members.access import member_required
from members.models import Member


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    """The public welcome; signed in, the member's start page (what is coming, what needs them)."""
    if not request.user.is_authenticated:
        return render(request, "coordination/home.html")
    member = (
        Member.objects.select_related("user", "administration").active().filter(user=request.user).first()
    )
    if member is None:  # a staff account without a place on the platform
        return render(request, "coordination/home.html")
    # The member's time zone is applied to every page by members.middleware.MemberTimezoneMiddleware.
    response = render(request, "coordination/home.html", {"member": member, "start": start_page(member)})
    add_never_cache_headers(response)
    return response


@member_required
@never_cache
def my_data(request: HttpRequest) -> HttpResponse:
    """The signed-in member's own data as a JSON download."""
    body = json.dumps(member_data(request.member), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"concerto-my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
