"""Meetings: the lists and month calendar, a meeting's page, scheduling, editing, circulating, cancelling."""

import calendar as pycalendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.forms import add_service_errors, posted
from core.tables import sort_and_paginate
from meetings import circulation, sending, services
from meetings.access import (
    get_group_to_schedule_in,
    get_meeting_for,
    may_download,
    may_manage,
    may_manage_minutes,
    may_read_minutes,
    may_see,
)
from meetings.forms import (
    CancelForm,
    MeetingForm,
    SeriesForm,
)
from meetings.invitees import taken_place
from meetings.models import Invitation, Meeting, Minutes
from meetings.page_parts import page_parts
from meetings.rsvp import answer_context
from meetings.tables import MeetingTable
from members.access import Action, groups_where, member_required

PER_PAGE = 50


# --- Lists and calendar -----------------------------------------------------------------


@member_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    rows = Meeting.objects.visible_to(request.member).upcoming().with_list_data().order_by("starts_at", "pk")
    table = MeetingTable(rows, caption=_("Upcoming meetings"))
    sort_and_paginate(request, table, PER_PAGE)
    today = timezone.localdate()
    context = {
        "table": table,
        "schedulable_groups": list(groups_where(request.member, Action.MANAGE_MEETINGS).order_by("slug")),
        "month_url": reverse("meetings:month", args=[today.year, today.month]),
    }
    return render(request, "meetings/meeting_list.html", context)


@member_required
def meeting_past(request: HttpRequest) -> HttpResponse:
    rows = Meeting.objects.visible_to(request.member).past().with_list_data().order_by("-starts_at", "-pk")
    table = MeetingTable(rows, caption=_("Past meetings"))
    sort_and_paginate(request, table, PER_PAGE)
    return render(request, "meetings/meeting_past.html", {"table": table})


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


@member_required
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


def _detail_queryset() -> QuerySet[Meeting]:
    """What meeting_detail.html reads outside the kept parts (meetings/page_parts.py): the meeting
    with its group and minutes (the organiser and series are in the kept details)."""
    return Meeting.objects.select_related("group", "minutes")


def _own_invitations(member, meeting: Meeting) -> list[Invitation]:
    """The reader's own active invitation and the substitute they sent, if any (what
    meetings.rsvp.answer_context reads as `active_invitations`): one query on the invitation's
    unique (meeting, member), a second only for someone who sent a substitute."""
    own = Invitation.objects.filter(meeting_id=meeting.pk, member=member, removed_at__isnull=True).order_by().first()
    if own is None or own.delegated_to_id is None:
        return [own] if own else []
    substitute = (
        Invitation.objects.filter(pk=own.delegated_to_id, removed_at__isnull=True)
        .select_related("member__user")
        .first()
    )
    return [own] if substitute is None else [own, substitute]


@member_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One meeting. The agenda, documents, invitees and (for managers) history come rendered from
    meetings.page_parts, the same for every reader who sees them alike; the rest is the reader's."""
    member = request.member
    meeting = _detail_queryset().filter(pk=pk).first()
    if meeting is None:
        raise Http404
    meeting.active_invitations = _own_invitations(member, meeting)
    my_invitation = meeting.active_invitations[0] if meeting.active_invitations else None
    if not may_see(member, meeting, invited=my_invitation is not None):
        raise Http404  # as for a meeting that does not exist: nobody learns what exists
    downloadable = may_download(member, meeting, invited=my_invitation is not None)
    manager = may_manage(member, meeting)
    parts = page_parts(
        request, meeting, translation.get_language(), may_download=downloadable, manager=manager
    )
    context = {
        "meeting": meeting,
        "parts": parts,
        "can_manage": manager,
        "may_download": downloadable,
        "my_invitation": my_invitation,
        "zone_name": str(timezone.get_current_timezone()),
        **answer_context(member, meeting, my_invitation),
        "answer_for_links": parts.get("answer_for", ""),
        **_minutes_context(member, meeting, readable=downloadable),
    }
    if manager and meeting.circulated_at is not None:
        context["circulation_outbox_url"] = _outbox_url(meeting)
    return render(request, "meetings/meeting_detail.html", context)


def _minutes_context(member, meeting: Meeting, *, readable: bool) -> dict:
    """The meeting page's Minutes section: their status for managers (or "write the minutes"
    once the meeting has started), a link for readers once published, and for those asked for
    comments while the minutes are out. Only that last case costs queries (attendance, at most two)."""
    try:
        minutes = meeting.minutes
    except Minutes.DoesNotExist:
        minutes = None
    manager = may_manage_minutes(member, meeting)
    started = meeting.status == Meeting.Status.HELD or meeting.starts_at <= timezone.now()
    return {
        "minutes": minutes,
        "can_manage_minutes": manager,
        "can_start_minutes": manager and minutes is None and started and not meeting.is_cancelled,
        "minutes_published": readable and minutes is not None and minutes.status == Minutes.Status.PUBLISHED,
        "minutes_for_comments": not manager
        and minutes is not None
        and minutes.status == Minutes.Status.FOR_COMMENTS
        and may_read_minutes(member, minutes),
    }


# --- Scheduling and editing -------------------------------------------------------------


@member_required
def meeting_create(request: HttpRequest, group_slug: str) -> HttpResponse:
    group = get_group_to_schedule_in(request.member, group_slug)
    form = MeetingForm(data=posted(request))
    if form.is_valid():
        fields = form.service_fields()
        administrations = fields.pop("invited_administrations")
        try:
            meeting = services.schedule_meeting(
                group=group, by=request.member, invited_administrations=administrations, **fields
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The meeting is scheduled. Now build its agenda."))
            return redirect("meetings:agenda", pk=meeting.pk)
    context = {"form": form, "group": group, "zone_name": str(timezone.get_current_timezone())}
    return render(request, "meetings/meeting_form.html", context)


@member_required
def series_create(request: HttpRequest, group_slug: str) -> HttpResponse:
    group = get_group_to_schedule_in(request.member, group_slug)
    form = SeriesForm(data=posted(request))
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
            add_service_errors(form, error)
        else:
            count = series.meetings.count()
            text = ngettext("%(count)d meeting scheduled.", "%(count)d meetings scheduled.", count)
            messages.success(request, text % {"count": count})
            return redirect("meetings:list")
    context = {"form": form, "group": group, "zone_name": str(timezone.get_current_timezone())}
    return render(request, "meetings/series_form.html", context)


@member_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rows = Meeting.objects.select_related("group").prefetch_related("invited_administrations")
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=rows)
    form = MeetingForm(data=posted(request), meeting=meeting)
    if form.is_valid():
        fields = form.service_fields()
        administrations = fields.pop("invited_administrations")
        try:
            updated = services.update_meeting(
                meeting=meeting, by=request.member, invited_administrations=administrations, **fields
            )
        except ValidationError as error:
            add_service_errors(form, error)
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


# --- Circulation and cancellation (meetings.circulation does the sending) ------------------


def _outbox_url(meeting: Meeting) -> str:
    """The members app's outbox page of this meeting's latest circulation."""
    return reverse("members:outbox-batch", args=[sending.circulation_batch(meeting)])


@member_required
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


@member_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.select_related("group"))
    if not meeting.is_cancelled and taken_place(meeting):
        messages.error(request, _("This meeting has already taken place; it can no longer be cancelled."))
        return redirect("meetings:detail", pk=meeting.pk)
    form = CancelForm(data=posted(request))
    if not meeting.is_cancelled and form.is_valid():
        try:
            circulation.cancel_meeting(meeting=meeting, by=request.member, **form.notes())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The meeting is cancelled. The invitees are told."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/meeting_cancel.html", {"meeting": meeting, "form": form})
