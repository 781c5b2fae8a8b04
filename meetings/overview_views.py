"""The chair's pages after the invitations went out: the answers overview (with the reminder
button), attendance on the day (form, print list, exports), participation statistics, and each
member's own "My meetings". Thin: meetings.access decides who may, the services write.
"""

from datetime import date

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from meetings import attendance as attendance_service
from meetings import overview as overview_service
from meetings.access import get_meeting_for
from meetings.models import Attendance, AttendanceMode, Invitation, Meeting
from meetings.stats import bar_chart, default_period, participation
from meetings.views import member_view
from members import date_window
from members.access import Action, groups_where
from members.tables import SpreadsheetExport

EXPORT_PARAMETER = "_export"
PAST_PER_PAGE = 25


def _manage(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, for its managers only: 404 when not visible, 403 when not a manager."""
    return get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.select_related("group"))


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _export(request: HttpRequest, table: tables.Table, title: str, filename: str) -> HttpResponse | None:
    export_format = request.GET.get(EXPORT_PARAMETER)
    if not SpreadsheetExport.is_valid_format(export_format):
        return None
    RequestConfig(request, paginate=False).configure(table)
    exporter = SpreadsheetExport(export_format, table, dataset_kwargs={"title": title[:31]})
    return exporter.response(filename=f"{filename}.{export_format}")


def _outbox_batch_url(batch: str) -> str:
    return reverse("members:outbox-batch", args=[batch])


# --- Answers overview -------------------------------------------------------------------------


class AnswersExportTable(tables.Table):
    """One row per invitee, for the CSV and XLSX exports of the answers overview."""

    name = tables.Column(verbose_name=gettext_lazy("Name"))
    email = tables.Column(verbose_name=gettext_lazy("Email address"))
    administration = tables.Column(verbose_name=gettext_lazy("Administration"))
    level = tables.Column(verbose_name=gettext_lazy("Level"))
    answer = tables.Column(verbose_name=gettext_lazy("Answer"))
    answered_at = tables.Column(verbose_name=gettext_lazy("Answered at"))
    comment = tables.Column(verbose_name=gettext_lazy("Comment"))
    joining = tables.Column(verbose_name=gettext_lazy("Joining"))
    substitute = tables.Column(verbose_name=gettext_lazy("Substitute"))
    stands_in_for = tables.Column(verbose_name=gettext_lazy("Stands in for"))
    new_time = tables.Column(verbose_name=gettext_lazy("Answer for the new time"))

    class Meta:
        orderable = False


def _answer_rows(invitations: list[Invitation]) -> list[dict]:
    """Rows of the answers export; `invitations` come from overview.answers_overview()."""
    confirmed, to_confirm = _("Confirmed"), _("To confirm")
    rows = []
    for invitation in invitations:
        administration = invitation.counted_administration
        new_time = to_confirm if invitation.to_confirm else confirmed if invitation.confirmed_new_time else ""
        rows.append(
            {
                "name": invitation.display_name,
                "email": invitation.recipient_email,
                "administration": administration.acronym if administration else "",
                "level": administration.get_level_display() if administration else "",
                "answer": invitation.answer_label,
                "answered_at": _when(invitation.rsvp_at),
                "comment": invitation.rsvp_comment,
                "joining": invitation.get_attendance_mode_display() if invitation.attendance_mode else "",
                "substitute": invitation.substitute.display_name if invitation.substitute else "",
                "stands_in_for": ", ".join(i.display_name for i in invitation.stands_in_for),
                "new_time": new_time,
            }
        )
    return rows


def _answer_sections(overview: overview_service.AnswersOverview) -> list[dict]:
    """[{heading, summary, tables: [{caption, administration, represented, summary, invitations}]}]:
    one section per level, one table per administration, and the guests last."""
    sections = [
        {
            "heading": level.label,
            "summary": level.summary,
            "count": level.invited_count,
            "tables": [
                {
                    "administration": group.administration,
                    "represented": group.represented,
                    "summary": group.summary,
                    "invitations": group.invitations,
                }
                for group in level.administrations
            ],
        }
        for level in overview.levels
    ]
    if overview.guests:
        sections.append(
            {
                "heading": _("Guests and people without an administration"),
                "summary": overview_service.answer_summary(overview.guests),
                "count": len(overview.guests),
                "tables": [{"administration": None, "summary": [], "invitations": overview.guests}],
            }
        )
    return sections


@member_view
def answers(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request, pk)
    overview = overview_service.answers_overview(meeting)
    table = AnswersExportTable(_answer_rows(overview.invitations))
    response = _export(
        request, table, _("Answers"), f"concerto-answers-{meeting.pk}-{timezone.localdate():%Y-%m-%d}"
    )
    if response is not None:
        return response
    context = {
        "meeting": meeting,
        "overview": overview,
        "sections": _answer_sections(overview),
        "remind_count": len(overview.remindable),
        "remind_to_confirm_count": sum(1 for invitation in overview.remindable if invitation.to_confirm),
        "can_remind": meeting.circulated_at is not None
        and not meeting.is_cancelled
        and not overview_service.taken_place(meeting),
        "reminder_outbox_url": _outbox_batch_url(overview_service.chair_reminder_batch(meeting))
        if overview.chair_reminders_sent
        else "",
    }
    return render(request, "meetings/answers.html", context)


@require_POST
@member_view
def answers_remind(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request, pk)
    try:
        count = overview_service.remind_unanswered(meeting=meeting, by=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if count:
            text = ngettext(
                "A reminder was queued for %(count)d person who has not answered.",
                "A reminder was queued for %(count)d people who have not answered.",
                count,
            )
            messages.success(request, text % {"count": count})
        else:
            messages.info(request, _("Nobody needed a reminder: everyone answered or was reminded recently."))
    return redirect("meetings:answers", pk=meeting.pk)


# --- Attendance -------------------------------------------------------------------------------


class RepresentativeField(forms.CharField):
    """A member chosen from the invitee's colleagues (the sheet lists them, see SheetRow.colleagues).
    Any member's number passes here: the service refuses someone of another administration with
    a message that names them."""

    default_error_messages = {"invalid": gettext_lazy("Choose a colleague from the list.")}

    def clean(self, value):
        value = super().clean(value)
        # ASCII digits only ("²" is a digit to isdigit() but not to int()), and no number too
        # large for a database key.
        if value and not (value.isascii() and value.isdigit() and int(value) < 2**63):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class AttendanceForm(forms.Form):
    """One radio group (present, absent, excused) per invitee and, for those who do not stand in
    for someone, who represented them: a colleague of their administration (or their substitute),
    or a guest by name. Fields are named status-<invitation pk>, represented_by-<pk> and
    represented_by_name-<pk>."""

    def __init__(self, *args, sheet: list[attendance_service.SheetRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        self.nobody = _("Nobody")
        for row in sheet:
            pk, name = row.invitation.pk, row.invitation.display_name
            self.fields[f"status-{pk}"] = forms.ChoiceField(
                label=_("Attendance of %(name)s") % {"name": name},
                choices=Attendance.Status.choices,
                widget=forms.RadioSelect,
                initial=row.status,
            )
            if not row.representable:
                continue
            self.fields[f"represented_by-{pk}"] = RepresentativeField(
                label=_("%(name)s represented by a colleague") % {"name": name},
                required=False,
                initial=str(row.represented_by.pk) if row.represented_by else "",
            )
            self.fields[f"represented_by_name-{pk}"] = forms.CharField(
                label=_("%(name)s represented by a guest (name)") % {"name": name},
                max_length=attendance_service.NAME_MAX_LENGTH,
                required=False,
                initial=row.represented_by_name,
            )

    def clean(self):
        cleaned = super().clean()
        # A field for someone not on this sheet (another meeting's invitation, a removed
        # invitee, a forged name) refuses the whole form rather than being ignored.
        for key in self.data:
            if (
                key.startswith(("status-", "represented_by-", "represented_by_name-"))
                and key not in self.fields
            ):
                raise ValidationError(
                    _("Someone in the list is not invited to this meeting. Nothing was saved."),
                    code="unknown_invitee",
                )
        return cleaned

    def rows(self) -> list[tuple[int, str, int | None, str]]:
        rows = []
        for row in self.sheet:
            pk = row.invitation.pk
            representative = self.cleaned_data.get(f"represented_by-{pk}") or None
            rows.append(
                (
                    pk,
                    self.cleaned_data[f"status-{pk}"],
                    int(representative) if representative else None,
                    self.cleaned_data.get(f"represented_by_name-{pk}", ""),
                )
            )
        return rows

    def _colleague_select(self, bound: forms.BoundField, row: attendance_service.SheetRow) -> str:
        """The colleague <select> of one row. Written here rather than by the widget's templates:
        a sheet of 300 invitees holds thousands of options, and each option is escaped once."""
        value = "" if bound.value() is None else str(bound.value())
        options = [
            format_html('<option value=""{}>{}</option>', " selected" if not value else "", self.nobody)
        ]
        for member in row.colleagues:
            key = str(member.pk)
            if key == value:
                options.append(format_html('<option value="{}" selected>{}</option>', key, member.user.name))
                continue
            if key not in self.options:
                self.options[key] = format_html('<option value="{}">{}</option>', key, member.user.name)
            options.append(self.options[key])
        invalid = (
            format_html(' aria-invalid="true" aria-describedby="{}_error"', bound.auto_id)
            if bound.errors
            else ""
        )
        return format_html(
            '<select name="{}" id="{}"{}>{}</select>',
            bound.html_name,
            bound.auto_id,
            invalid,
            mark_safe("".join(options)),
        )

    def lines(self) -> list[dict]:
        """What the template iterates: each sheet row with its bound fields."""
        self.options: dict[str, str] = {}
        # The radios are written by the template from these plain values (one translation each),
        # not by the widget's templates, which take most of the page's time at 300 invitees.
        statuses = [(value, str(label)) for value, label in Attendance.Status.choices]
        lines = []
        for row in self.sheet:
            pk = row.invitation.pk
            status = self[f"status-{pk}"]
            chosen = "" if status.value() is None else str(status.value())
            line = {
                "row": row,
                "status": status,
                "radios": [
                    {
                        "id": f"{status.auto_id}_{index}",
                        "value": value,
                        "label": label,
                        "checked": value == chosen,
                    }
                    for index, (value, label) in enumerate(statuses)
                ],
                "represented_by": None,
                "represented_by_name": None,
            }
            if row.representable:
                line["represented_by"] = bound = self[f"represented_by-{pk}"]
                line["represented_by_name"] = self[f"represented_by_name-{pk}"]
                line["colleague_select"] = self._colleague_select(bound, row) if row.colleagues else ""
            lines.append(line)
        return lines


class AttendanceExportTable(tables.Table):
    name = tables.Column(verbose_name=gettext_lazy("Name"))
    email = tables.Column(verbose_name=gettext_lazy("Email address"))
    administration = tables.Column(verbose_name=gettext_lazy("Administration"))
    level = tables.Column(verbose_name=gettext_lazy("Level"))
    answer = tables.Column(verbose_name=gettext_lazy("Answer"))
    attendance = tables.Column(verbose_name=gettext_lazy("Attendance"))
    represented_by = tables.Column(verbose_name=gettext_lazy("Represented by"))
    stands_in_for = tables.Column(verbose_name=gettext_lazy("Stands in for"))

    class Meta:
        orderable = False


def _attendance_rows(sheet: list[attendance_service.SheetRow]) -> list[dict]:
    rows = []
    for row in sheet:
        invitation = row.invitation
        administration = invitation.counted_administration
        attendance = row.attendance
        rows.append(
            {
                "name": invitation.display_name,
                "email": invitation.recipient_email,
                "administration": administration.acronym if administration else "",
                "level": administration.get_level_display() if administration else "",
                "answer": invitation.get_rsvp_display(),
                "attendance": attendance.get_status_display() if attendance else _("Not recorded"),
                "represented_by": row.representative_name if attendance else "",
                "stands_in_for": ", ".join(i.display_name for i in invitation.stands_in_for),
            }
        )
    return rows


@member_view
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request, pk)
    if request.method != "POST" and SpreadsheetExport.is_valid_format(request.GET.get(EXPORT_PARAMETER)):
        sheet = attendance_service.attendance_sheet(meeting, with_colleagues=False)
        table = AttendanceExportTable(_attendance_rows(sheet))
        filename = f"concerto-attendance-{meeting.pk}-{timezone.localdate():%Y-%m-%d}"
        return _export(request, table, _("Attendance"), filename)
    sheet = attendance_service.attendance_sheet(meeting)
    form = AttendanceForm(data=request.POST if request.method == "POST" else None, sheet=sheet)
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


@member_view
def attendance_print(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request, pk)
    sheet = attendance_service.attendance_sheet(meeting, with_colleagues=False)
    context = {"meeting": meeting, "sheet": sheet, "printed_at": timezone.now()}
    return render(request, "meetings/attendance_print.html", context)


# --- Participation statistics -----------------------------------------------------------------


class StatisticsForm(forms.Form):
    start = date_window.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = date_window.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    group = forms.ChoiceField(label=gettext_lazy("Group"), required=False)

    def __init__(self, *args, groups, period: tuple[date, date], **kwargs):
        super().__init__(*args, initial={"start": period[0], "end": period[1]}, **kwargs)
        self.groups = {group.slug: group for group in groups}
        self.period = period
        self.fields["group"].choices = [("", _("All the groups I manage"))] + [
            (group.slug, group.name) for group in groups
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start = cleaned.get("start") or self.period[0]
        end = cleaned.get("end") or self.period[1]
        if start > end:
            self.add_error("end", _("The end of the period must not be before its start."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def chosen_groups(self) -> list:
        slug = self.cleaned_data.get("group")
        return [self.groups[slug]] if slug else list(self.groups.values())


@member_view
def statistics(request: HttpRequest) -> HttpResponse:
    groups = list(groups_where(request.member, Action.MANAGE_MEETINGS).order_by("slug"))
    if not groups:
        raise PermissionDenied
    period = default_period()
    form = StatisticsForm(data=request.GET or None, groups=groups, period=period)
    context = {"form": form, "stats": None}
    if not form.is_bound or form.is_valid():
        start, end = (form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_bound else period
        chosen = form.chosen_groups() if form.is_bound else groups
        stats = participation(groups=chosen, start=start, end=end)
        context.update(
            stats=stats,
            chosen_groups=chosen,
            sections=[
                {
                    "key": "levels",
                    "heading": _("Per level"),
                    "title": _("Meetings invited, answered and attended, per level"),
                    "caption": _("Participation per level"),
                    "row_header": _("Level"),
                    "rows": stats.levels,
                    "chart": bar_chart(stats.levels),
                },
                {
                    "key": "administrations",
                    "heading": _("Per administration"),
                    "title": _("Meetings invited, answered and attended, per administration"),
                    "caption": _("Participation per administration"),
                    "row_header": _("Administration"),
                    "rows": stats.administrations,
                    "chart": bar_chart(stats.administrations),
                },
            ],
            period_text=_("%(start)s to %(end)s")
            % {"start": date_format(start, "DATE_FORMAT"), "end": date_format(end, "DATE_FORMAT")},
        )
    return render(request, "meetings/statistics.html", context)


# --- My meetings ------------------------------------------------------------------------------


def _answer_choices(meeting: Meeting, invitation: Invitation) -> list[dict]:
    """The one-click answers offered for an upcoming meeting, except the one already given
    (unless it is to confirm since the meeting moved: giving it again confirms it).

    A hybrid meeting offers to accept on site or online (the joining mode goes with the answer).
    """
    if meeting.format == Meeting.Format.HYBRID:
        options = [
            (Invitation.Rsvp.ACCEPTED, AttendanceMode.ON_SITE, _("Accept, on site")),
            (Invitation.Rsvp.ACCEPTED, AttendanceMode.ONLINE, _("Accept, online")),
        ]
    else:
        options = [(Invitation.Rsvp.ACCEPTED, "", _("Accept"))]
    options += [
        (Invitation.Rsvp.TENTATIVE, "", _("Tentative")),
        (Invitation.Rsvp.DECLINED, "", _("Decline")),
    ]
    return [
        {"answer": answer, "mode": mode, "label": label}
        for answer, mode, label in options
        if invitation.rsvp_to_confirm
        or not (invitation.rsvp == answer and (not mode or invitation.attendance_mode == mode))
    ]


@member_view
def my_meetings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mine = (
        Invitation.objects.filter(member=request.member, removed_at__isnull=True)
        .exclude(meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        .select_related("meeting__group", "delegated_to__member__user", "attendance")
    )
    upcoming = list(mine.filter(meeting__ends_at__gte=now).order_by("meeting__starts_at", "meeting__pk"))
    for invitation in upcoming:
        invitation.choices = _answer_choices(invitation.meeting, invitation)
    past = mine.filter(meeting__ends_at__lt=now).filter(
        Q(attendance__status=Attendance.Status.PRESENT) | Q(attendance__isnull=True)
    )
    page = Paginator(past.order_by("-meeting__starts_at", "-meeting__pk"), PAST_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for invitation in page:
        invitation.attended = attendance_service.recorded(invitation) is not None
    context = {"upcoming": upcoming, "past_page": page}
    return render(request, "meetings/my_meetings.html", context)
