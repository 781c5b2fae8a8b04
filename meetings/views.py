"""Pages of the meetings app. Thin: meetings.access decides who may, meetings.services writes."""

import calendar as pycalendar
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from meetings import circulation, services
from meetings.access import get_group_to_schedule_in, get_meeting_for, may_download, may_manage
from meetings.forms import (
    AgendaItemForm,
    CancelForm,
    DocumentUploadForm,
    GuestForm,
    InviteesForm,
    MeetingForm,
    MoveItemForm,
    SeriesForm,
)
from meetings.models import AgendaItem, DocumentFile, Invitation, Meeting
from meetings.overview import taken_place
from meetings.rsvp import answer_context
from meetings.tables import MeetingTable
from members.access import Action, groups_where, member_required
from members.documents import arrange_files, kind_of, safe_filename
from members.models import Member

PER_PAGE = 50


def _zone(member: Member) -> ZoneInfo:
    try:
        return ZoneInfo(member.timezone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def member_view(view):
    """Sign-in required (request.member loaded once); times are shown and read in the member's zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with timezone.override(_zone(request.member)):
            return view(request, *args, **kwargs)

    return member_required(wrapper)


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: per field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _post(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# --- Lists and calendar -----------------------------------------------------------------


def _sort_and_paginate(request: HttpRequest, table: MeetingTable) -> None:
    """Apply ?sort= and show ?page= (page 1 when it is not a number, the last one past the end).
    The page size is ours: a ?per_page= in the query string is not read."""
    RequestConfig(request, paginate=False).configure(table)
    try:
        table.paginate(page=request.GET.get(table.prefixed_page_field, 1), per_page=PER_PAGE)
    except PageNotAnInteger:
        table.paginate(page=1, per_page=PER_PAGE)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, per_page=PER_PAGE)


@member_view
def meeting_list(request: HttpRequest) -> HttpResponse:
    rows = Meeting.objects.visible_to(request.member).upcoming().with_list_data().order_by("starts_at", "pk")
    table = MeetingTable(rows, caption=_("Upcoming meetings"))
    _sort_and_paginate(request, table)
    today = timezone.localdate()
    context = {
        "table": table,
        "schedulable_groups": list(groups_where(request.member, Action.MANAGE_MEETINGS).order_by("slug")),
        "month_url": reverse("meetings:month", args=[today.year, today.month]),
    }
    return render(request, "meetings/meeting_list.html", context)


@member_view
def meeting_past(request: HttpRequest) -> HttpResponse:
    rows = Meeting.objects.visible_to(request.member).past().with_list_data().order_by("-starts_at", "-pk")
    table = MeetingTable(rows, caption=_("Past meetings"))
    _sort_and_paginate(request, table)
    return render(request, "meetings/meeting_past.html", {"table": table})


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


@member_view
def meeting_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        raise Http404
    zone = timezone.get_current_timezone()
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    grid_start = datetime.combine(weeks[0][0], time.min, tzinfo=zone)
    grid_end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        Meeting.objects.visible_to(request.member)
        .overlapping(grid_start, grid_end)
        .select_related("group")
        .order_by("starts_at", "pk")
    )
    by_day: dict[date, list[Meeting]] = defaultdict(list)
    for meeting in rows:
        by_day[timezone.localtime(meeting.starts_at).date()].append(meeting)
    today = timezone.localdate()
    grid = [
        [
            {"date": day, "in_month": day.month == month, "is_today": day == today, "meetings": by_day[day]}
            for day in week
        ]
        for week in weeks
    ]
    previous, following = _shift_month(year, month, -1), _shift_month(year, month, 1)
    context = {
        "title": date_format(date(year, month, 1), "YEAR_MONTH_FORMAT"),
        "weeks": grid,
        "weekdays": [(WEEKDAYS[n], WEEKDAYS_ABBR[n]) for n in range(7)],
        "previous_url": reverse("meetings:month", args=previous),
        "previous_title": date_format(date(*previous, 1), "YEAR_MONTH_FORMAT"),
        "next_url": reverse("meetings:month", args=following),
        "next_title": date_format(date(*following, 1), "YEAR_MONTH_FORMAT"),
        "today_url": reverse("meetings:month", args=[today.year, today.month]),
        "is_current_month": (today.year, today.month) == (year, month),
    }
    return render(request, "meetings/meeting_month.html", context)


# --- One meeting ------------------------------------------------------------------------


def _arranged(document, language: str):
    document.current_files, document.older_files = arrange_files(document.files.all(), language)
    return document


def _agenda_with_clock(meeting: Meeting, language: str) -> tuple[list[AgendaItem], datetime]:
    """The prefetched agenda, each item with its planned start and end, and when the agenda ends."""
    clock = meeting.starts_at
    for item in meeting.agenda:
        item.planned_start = clock
        clock += timedelta(minutes=item.duration_minutes)
        item.planned_end = clock
        item.document_list = [_arranged(document, language) for document in item.documents.all()]
    return meeting.agenda, clock


def _invitees_by_administration(invitations: list[Invitation]) -> list[dict]:
    """Invitees grouped under their administration (guests last), each group with its answers."""
    groups: dict[int | None, dict] = {}
    for invitation in invitations:
        administration = invitation.member.administration if invitation.member_id else None
        key = administration.pk if administration else None
        group = groups.setdefault(key, {"administration": administration, "invitations": []})
        group["invitations"].append(invitation)
    for group in groups.values():
        group["invitations"].sort(key=lambda i: i.display_name.lower())
        group["represented"] = any(i.rsvp == Invitation.Rsvp.ACCEPTED for i in group["invitations"])
    return sorted(
        groups.values(),
        key=lambda g: (
            g["administration"] is None,
            g["administration"].acronym if g["administration"] else "",
        ),
    )


@member_view
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member
    meeting = get_meeting_for(member, pk, queryset=Meeting.objects.with_detail_data())
    language = translation.get_language()
    my_invitation = next((i for i in meeting.active_invitations if i.member_id == member.pk), None)
    agenda, agenda_ends_at = _agenda_with_clock(meeting, language)
    answers = Counter(invitation.rsvp for invitation in meeting.active_invitations)
    context = {
        "meeting": meeting,
        "can_manage": may_manage(member, meeting),
        "may_download": may_download(member, meeting, invited=my_invitation is not None),
        "my_invitation": my_invitation,
        "agenda": agenda,
        "agenda_ends_at": agenda_ends_at,
        "agenda_overruns": agenda_ends_at > meeting.ends_at,
        "general_documents": [_arranged(document, language) for document in meeting.general_documents],
        "invitee_groups": _invitees_by_administration(meeting.active_invitations),
        "answers": [(label, answers.get(value, 0)) for value, label in Invitation.Rsvp.choices],
        "invited_count": len(meeting.active_invitations),
        "zone_name": str(timezone.get_current_timezone()),
        **answer_context(member, meeting, my_invitation),
    }
    if context["can_manage"] and meeting.circulated_at is not None:
        context["circulation_outbox_url"] = _outbox_url(meeting)
    return render(request, "meetings/meeting_detail.html", context)


# --- Scheduling and editing -------------------------------------------------------------


@member_view
def meeting_create(request: HttpRequest, group_slug: str) -> HttpResponse:
    group = get_group_to_schedule_in(request.member, group_slug)
    form = MeetingForm(data=_post(request))
    if form.is_valid():
        fields = form.service_fields()
        administrations = fields.pop("invited_administrations")
        try:
            meeting = services.schedule_meeting(
                group=group, by=request.member, invited_administrations=administrations, **fields
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The meeting is scheduled. Now build its agenda."))
            return redirect("meetings:agenda", pk=meeting.pk)
    context = {"form": form, "group": group, "zone_name": str(timezone.get_current_timezone())}
    return render(request, "meetings/meeting_form.html", context)


@member_view
def series_create(request: HttpRequest, group_slug: str) -> HttpResponse:
    group = get_group_to_schedule_in(request.member, group_slug)
    form = SeriesForm(data=_post(request))
    if form.is_valid():
        fields = dict(form.cleaned_data)
        pattern_fields = {name: fields.pop(name) for name in ("pattern", "nth", "weekday", "count", "until")}
        administrations = fields.pop("invited_administrations")
        fields["location"] = fields.get("location") or ""
        fields["online_url"] = fields.get("online_url") or ""
        try:
            series = services.schedule_series(
                group=group,
                by=request.member,
                invited_administrations=administrations,
                **pattern_fields,
                **fields,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            count = series.meetings.count()
            text = ngettext("%(count)d meeting scheduled.", "%(count)d meetings scheduled.", count)
            messages.success(request, text % {"count": count})
            return redirect("meetings:list")
    context = {"form": form, "group": group, "zone_name": str(timezone.get_current_timezone())}
    return render(request, "meetings/series_form.html", context)


@member_view
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rows = Meeting.objects.select_related("group").prefetch_related("invited_administrations")
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=rows)
    form = MeetingForm(data=_post(request), meeting=meeting)
    if form.is_valid():
        fields = form.service_fields()
        administrations = fields.pop("invited_administrations")
        try:
            updated = services.update_meeting(
                meeting=meeting, by=request.member, invited_administrations=administrations, **fields
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The meeting was saved."))
            if updated.sequence != meeting.sequence:
                messages.warning(
                    request, _("Invitees still have the previous version: circulate the update.")
                )
            return redirect("meetings:detail", pk=meeting.pk)
    context = {"form": form, "group": meeting.group, "meeting": meeting}
    context["zone_name"] = str(timezone.get_current_timezone())
    return render(request, "meetings/meeting_form.html", context)


# --- Agenda builder ---------------------------------------------------------------------


def _item_url(meeting_pk: int, item_pk: int) -> str:
    return reverse("meetings:agenda", args=[meeting_pk]) + f"#item-{item_pk}"


def _sequence_note(request: HttpRequest, meeting: Meeting) -> None:
    """After circulation, an agenda change is a new version that the chair still has to send."""
    if meeting.circulated_at is not None:
        messages.warning(request, _("Invitees still have the previous version: circulate the update."))


@member_view
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.with_agenda_data())
    form = AgendaItemForm(data=_post(request), meeting=meeting)
    if form.is_valid():
        try:
            item = services.add_agenda_item(meeting=meeting, by=request.member, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Item %(number)d added.") % {"number": item.position})
            _sequence_note(request, meeting)
            return redirect(_item_url(meeting.pk, item.pk))
    items, agenda_ends_at = _agenda_with_clock(meeting, translation.get_language())
    context = {
        "meeting": meeting,
        "items": items,
        "form": form,
        "agenda_ends_at": agenda_ends_at,
        "agenda_overruns": agenda_ends_at > meeting.ends_at,
    }
    return render(request, "meetings/agenda_builder.html", context)


def _item_of(request: HttpRequest, pk: int, item_pk: int) -> tuple[Meeting, AgendaItem]:
    meeting = get_meeting_for(request.member, pk, edit=True)
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)
    item.meeting = meeting
    return meeting, item


@member_view
def agenda_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting, item = _item_of(request, pk, item_pk)
    form = AgendaItemForm(data=_post(request), meeting=meeting, item=item)
    if form.is_valid():
        try:
            services.update_agenda_item(item=item, by=request.member, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Item %(number)d saved.") % {"number": item.position})
            _sequence_note(request, meeting)
            return redirect(_item_url(meeting.pk, item.pk))
    return render(request, "meetings/agenda_item_form.html", {"meeting": meeting, "item": item, "form": form})


@require_POST
@member_view
def agenda_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting, item = _item_of(request, pk, item_pk)
    try:
        services.remove_agenda_item(item=item, by=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Item “%(title)s” removed.") % {"title": item.title})
        _sequence_note(request, meeting)
    return redirect("meetings:agenda", pk=meeting.pk)


@require_POST
@member_view
def agenda_item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting, item = _item_of(request, pk, item_pk)
    form = MoveItemForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, _("An item moves up or down."))
        return redirect("meetings:agenda", pk=meeting.pk)
    try:
        moved = services.move_agenda_item(
            item=item, direction=form.cleaned_data["direction"], by=request.member
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("meetings:agenda", pk=meeting.pk)
    if moved.position != item.position:
        messages.success(
            request,
            _("“%(title)s” is now item %(number)d.") % {"title": moved.title, "number": moved.position},
        )
        _sequence_note(request, meeting)
    return redirect(_item_url(meeting.pk, item.pk))


# --- Documents --------------------------------------------------------------------------


@member_view
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True)
    initial = {}
    if request.method == "GET":
        initial = {
            key: request.GET[key] for key in ("agenda_item", "document") if request.GET.get(key, "").isdigit()
        }
    form = DocumentUploadForm(
        data=_post(request),
        files=request.FILES if request.method == "POST" else None,
        meeting=meeting,
        initial=initial,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["document"] is not None:
                services.add_document_file(
                    document=data["document"],
                    by=request.member,
                    upload=data["upload"],
                    language=data["language"],
                )
            else:
                services.add_document(
                    meeting=meeting,
                    by=request.member,
                    upload=data["upload"],
                    title=data["title"],
                    agenda_item=data["agenda_item"],
                    language=data["language"],
                )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The document was uploaded."))
            return redirect(reverse("meetings:detail", args=[meeting.pk]) + "#documents")
    return render(request, "meetings/document_upload.html", {"meeting": meeting, "form": form})


@member_view
def document_download(request: HttpRequest, file_pk: int) -> HttpResponse:
    """The file as an attachment with a safe name, for the group's members and the invitees only."""
    file = DocumentFile.objects.select_related("document__meeting").filter(pk=file_pk).first()
    if file is None or not may_download(request.member, file.document.meeting):
        raise Http404
    try:
        handle = file.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    name = safe_filename(file.original_name, kind_of(file.content_type))
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=file.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


# --- Invitees ---------------------------------------------------------------------------


def _invitees_page(request: HttpRequest, meeting: Meeting, settings_form, guest_form) -> HttpResponse:
    context = {
        "meeting": meeting,
        "settings_form": settings_form,
        "guest_form": guest_form,
        "invitee_groups": _invitees_by_administration(meeting.active_invitations),
        "invited_count": len(meeting.active_invitations),
        "removable_sources": {
            Invitation.Source.PERSONAL,
            Invitation.Source.GUEST,
            Invitation.Source.SUBSTITUTE,
        },
    }
    return render(request, "meetings/invitees.html", context)


def _meeting_with_invitees(request: HttpRequest, pk: int) -> Meeting:
    active = Invitation.objects.filter(removed_at__isnull=True).select_related(
        "member__user", "member__administration"
    )
    rows = Meeting.objects.select_related("group").prefetch_related(
        "invited_administrations", Prefetch("invitations", queryset=active, to_attr="active_invitations")
    )
    return get_meeting_for(request.member, pk, edit=True, queryset=rows)


@member_view
def invitees(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_with_invitees(request, pk)
    form = InviteesForm(data=_post(request), meeting=meeting)
    if form.is_valid():
        try:
            services.update_meeting(
                meeting=meeting,
                by=request.member,
                invite_whole_group=form.cleaned_data["invite_whole_group"],
                invited_administrations=form.cleaned_data["invited_administrations"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The invitees were updated."))
            return redirect("meetings:invitees", pk=meeting.pk)
    return _invitees_page(request, meeting, form, GuestForm())


@require_POST
@member_view
def invitee_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_with_invitees(request, pk)
    form = GuestForm(data=request.POST)
    if form.is_valid():
        try:
            invitation = services.add_guest(meeting=meeting, by=request.member, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(name)s is invited.") % {"name": invitation.display_name})
            return redirect("meetings:invitees", pk=meeting.pk)
    return _invitees_page(request, meeting, InviteesForm(meeting=meeting), form)


@require_POST
@member_view
def invitee_remove(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True)
    invitation = get_object_or_404(
        Invitation.objects.select_related("member__user"), pk=invitation_pk, meeting=meeting
    )
    invitation.meeting = meeting
    try:
        services.remove_invitation(invitation=invitation, by=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is no longer invited.") % {"name": invitation.display_name})
    return redirect("meetings:invitees", pk=meeting.pk)


# --- Circulation and cancellation (meetings.circulation does the sending) ------------------


def _outbox_url(meeting: Meeting) -> str:
    """The members app's outbox page of this meeting's latest circulation."""
    return reverse("members:outbox-batch", args=[circulation.circulation_batch(meeting)])


@member_view
def circulate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.select_related("group"))
    if meeting.is_cancelled:
        messages.error(request, _("This meeting was cancelled; its agenda can no longer be circulated."))
        return redirect("meetings:detail", pk=meeting.pk)
    if taken_place(meeting):
        messages.error(
            request, _("This meeting has already taken place; its agenda can no longer be circulated.")
        )
        return redirect("meetings:detail", pk=meeting.pk)
    if request.method == "POST":
        try:
            count = circulation.circulate_agenda(meeting=meeting, by=request.member)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = ngettext(
                "The agenda is queued for %(count)d person.",
                "The agenda is queued for %(count)d people.",
                count,
            )
            messages.success(request, text % {"count": count})
            if not count:
                return redirect("meetings:detail", pk=meeting.pk)
            # The outbox page of this sending follows it live until every email is out.
            meeting.refresh_from_db(fields=["sequence"])
            return redirect(_outbox_url(meeting))
    preview = circulation.circulation_preview(meeting=meeting)
    context = {
        "meeting": meeting,
        "count": preview["recipients"],
        "newcomers": preview["newcomers"],
        "previews": preview["languages"],
        "is_update": preview["update"],
        "changes": preview.get("changes") or {},
    }
    return render(request, "meetings/circulate.html", context)


@member_view
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.select_related("group"))
    if not meeting.is_cancelled and taken_place(meeting):
        messages.error(request, _("This meeting has already taken place; it can no longer be cancelled."))
        return redirect("meetings:detail", pk=meeting.pk)
    form = CancelForm(data=_post(request))
    if not meeting.is_cancelled and form.is_valid():
        try:
            circulation.cancel_meeting(meeting=meeting, by=request.member, **form.notes())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The meeting is cancelled. The invitees are told."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/meeting_cancel.html", {"meeting": meeting, "form": form})
