"""Loading an existing plan from a spreadsheet, and the empty spreadsheet to fill in."""

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook

from coordination import access, imports
from coordination.forms import PlanImportForm
from coordination.models import Completion, Status
from core.spreadsheets import ImportRejected, RowError
from members.access import member_required

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@member_required
@require_http_methods(["GET", "POST"])
def plan_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Check a spreadsheet of commitments and create them all in the chosen edition, or none."""
    plan = access.get_plan(request.member, slug, manage=True)
    editions = plan.editions.order_by("-starts_on", "-pk")
    is_post = request.method == "POST"
    form = PlanImportForm(
        data=request.POST if is_post else None, files=request.FILES if is_post else None, editions=editions
    )
    row_errors: list[RowError] = []
    if form.is_valid():
        edition = form.cleaned_data["edition"]
        try:
            created = imports.import_plan(
                by=request.member, edition=edition, uploaded_file=form.cleaned_data["file"]
            )
        except ImportRejected as rejected:
            for error in rejected.errors:
                if error.row is None:
                    form.add_error("file", error.message)
                else:
                    row_errors.append(error)
        else:
            text = ngettext(
                "%(n)d commitment was imported.", "%(n)d commitments were imported.", len(created)
            )
            messages.success(request, text % {"n": len(created)})
            return redirect(f"{reverse('coordination:plan-detail', args=[plan.slug])}?edition={edition.pk}")
    context = {
        "plan": plan,
        "form": form,
        "has_editions": editions.exists(),
        "row_errors": row_errors,
        "statuses": Status.values,
        "completions": Completion.values,
    }
    return render(request, "coordination/import_plan.html", context)


@member_required
@require_GET
def import_template(request: HttpRequest, extension: str) -> HttpResponse:
    """An empty spreadsheet with the import's columns (XLSX or CSV), to fill in and upload."""
    if extension == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "commitments"
        sheet.append(list(imports.COLUMNS))
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    elif extension == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(imports.COLUMNS)
        # A byte order mark, so that Excel reads the file as UTF-8.
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="commitments-template.{extension}"'
    return response
