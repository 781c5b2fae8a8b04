"""Meetings: the lists and month calendar, a meeting's page, scheduling, editing, circulating, cancelling."""


import calendar as pycalendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
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
)
from meetings.agenda import agenda_with_clock, with_arranged_files
from meetings.forms import (
    CancelForm,
    MeetingForm,
    SeriesForm,
)
from meetings.invitees import invitee_overview, may_answer_for_others, taken_place
from meetings.models import AgendaItem, Document, Invitation, Meeting, Minutes
from meetings.rsvp import answer_context
from meetings.tables import MeetingTable
from meetings.templatetags.meeting_rows import PK_SLOT
from members.access import Action, groups_where, member_required
from members.history import Source, history_rows

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


def _detail_queryset(member) -> QuerySet[Meeting]:
    """What meeting_detail.html reads, as Meeting.objects.with_detail_data() loads it, except the
    invitees: of those only the reader's own invitation and their substitute's are objects
    (`active_invitations`, what meetings.rsvp.answer_context reads); the page lists everyone from
    meetings.invitees.invitee_overview, as plain rows."""
    general = Document.objects.filter(agenda_item__isnull=True).prefetch_related("files")
    own = (
        Invitation.objects.filter(removed_at__isnull=True)
        .filter(Q(member=member) | Q(delegated_from__member=member, delegated_from__removed_at__isnull=True))
        .select_related("member__user", "member__administration")
    )
    # The minutes (if any) come in the same query: the page shows their status.
    return (
        Meeting.objects.with_agenda_data()
        .select_related("minutes")
        .prefetch_related(
            "invited_administrations",
            Prefetch("documents", queryset=general, to_attr="general_documents"),
            Prefetch("invitations", queryset=own, to_attr="active_invitations"),
        )
    )


@member_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member
    meeting = get_meeting_for(member, pk, queryset=_detail_queryset(member))
    language = translation.get_language()
    my_invitation = next((i for i in meeting.active_invitations if i.member_id == member.pk), None)
    agenda, agenda_ends_at = agenda_with_clock(meeting, language)
    kinds = {value: str(label) for value, label in AgendaItem.Kind.choices}  # translated once, not per item
    for item in agenda:
        item.kind_label = kinds.get(item.kind, item.kind)
    invitees = invitee_overview(meeting)
    downloadable = may_download(member, meeting, invited=my_invitation is not None)
    context = {
        "meeting": meeting,
        "can_manage": may_manage(member, meeting),
        "may_download": downloadable,
        "my_invitation": my_invitation,
        "agenda": agenda,
        "agenda_ends_at": agenda_ends_at,
        "agenda_overruns": agenda_ends_at > meeting.ends_at,
        "general_documents": [with_arranged_files(document, language) for document in meeting.general_documents],
        "invitee_groups": invitees.groups,
        "answers": [(label, invitees.answers.get(value, 0)) for value, label in Invitation.Rsvp.choices],
        "invited_count": invitees.count,
        "zone_name": str(timezone.get_current_timezone()),
        **answer_context(member, meeting, my_invitation),
        **_minutes_context(member, meeting, readable=downloadable),
    }
    if may_answer_for_others(member, meeting) and not meeting.is_cancelled:
        # The chair's links to record anyone's answer: every invitee, by name, as plain rows.
        context["answer_for_invitations"] = invitees.by_name
        context["answer_for_url"] = reverse("meetings:answer-for", args=[meeting.pk, PK_SLOT])
    if context["can_manage"] and meeting.circulated_at is not None:
        context["circulation_outbox_url"] = _outbox_url(meeting)
    if context["can_manage"]:
        context["history"] = history_rows(_history_sources(meeting))
    return render(request, "meetings/meeting_detail.html", context)


def _history_sources(meeting: Meeting) -> list[Source]:
    """What the meeting page's History shows: the meeting, its agenda, documents and invitations
    (with the answers recorded on them)."""
    return [
        Source(Meeting, Q(id=meeting.pk)),
        Source(AgendaItem, Q(meeting_id=meeting.pk)),
        Source(Document, Q(meeting_id=meeting.pk)),
        Source(Invitation, Q(meeting_id=meeting.pk), related=("member__user",)),
    ]


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
