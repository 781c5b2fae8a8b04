"""The Attendance page: recorded on the day, the printable signature list, the exports."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.forms import posted
from core.tables import export_requested, export_response
from meetings import attendance as attendance_service
from meetings.access import get_meeting_to_manage
from meetings.forms import AttendanceForm
from meetings.tables import AttendanceExportTable, attendance_rows
from members.access import member_required


@member_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_to_manage(request, pk)
    if request.method != "POST" and export_requested(request):
        sheet = attendance_service.attendance_sheet(meeting, with_colleagues=False)
        table = AttendanceExportTable(attendance_rows(sheet))
        filename = f"concerto-attendance-{meeting.pk}-{timezone.localdate():%Y-%m-%d}"
        return export_response(request, table, title=_("Attendance"), filename=filename)
    sheet = attendance_service.attendance_sheet(meeting)
    form = AttendanceForm(data=posted(request), sheet=sheet)
    if form.is_valid():
        try:
            changed = attendance_service.record_attendance(
                meeting=meeting, by=request.member, rows=form.rows()
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            text = ngettext(
                "Attendance saved (%(count)d change).", "Attendance saved (%(count)d changes).", changed
            )
            messages.success(request, text % {"count": changed})
            return redirect("meetings:attendance", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "form": form,
        "lines": form.lines(),
        "recorded_count": sum(1 for row in sheet if row.attendance is not None),
        "can_record": not meeting.is_cancelled
        and timezone.localtime(meeting.starts_at).date() <= timezone.localdate(),
        "or_guest": _("or a guest's name"),
        "guest_name": _("Guest's name"),
    }
    return render(request, "meetings/attendance.html", context)


@member_required
def attendance_print(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_to_manage(request, pk)
    sheet = attendance_service.attendance_sheet(meeting, with_colleagues=False)
    context = {"meeting": meeting, "sheet": sheet, "printed_at": timezone.now()}
    return render(request, "meetings/attendance_print.html", context)
