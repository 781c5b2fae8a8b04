"""The minutes pages: read, write by item, send for comments, comment, settle, approve, publish, versions.

Reading follows meetings.access.may_read_minutes: minutes the member may not read answer 404 (as
does a meeting without minutes, except to its managers, who are offered to start them); an action
the reader may not take answers 403. Every write goes through one meetings.minutes service.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.forms import add_service_errors, posted
from core.i18n import page_language
from meetings import minutes as service
from meetings.access import (
    get_meeting_for,
    may_approve_minutes,
    may_comment_minutes,
    may_manage_minutes,
    may_read_minutes,
)
from meetings.attendance import attendance_sheet
from meetings.forms import (
    ActionItemFormSet,
    ApproveMinutesForm,
    DecisionFormSet,
    MinutesCommentForm,
    MinutesItemForm,
    MinutesSettingsForm,
    SendForCommentsForm,
    SettleCommentForm,
    StartMinutesForm,
    action_initial,
    actions_from,
    decision_initial,
    decisions_from,
    minutes_item_initial,
)
from meetings.invitees import attendance_by_administration
from meetings.minutes_versions import diff, items_with_texts
from meetings.models import (
    ActionItem,
    Attendance,
    Decision,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesItem,
    MinutesVersion,
)
from members.access import member_required
from members.history import Source, history_rows
from members.models import Administration, Member, Membership

Status = Minutes.Status

# Who did each step: loaded with the minutes in one query.
MINUTES_RELATED = (
    "chair__user",
    "created_by__user",
    "sent_for_comments_by__user",
    "approved_by__user",
    "approved_at_meeting",
    "published_by__user",
)


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    """The meeting if the member may see it (else 404)."""
    return get_meeting_for(
        request.member, pk, queryset=Meeting.objects.select_related("group", "organiser__user")
    )


def _readable_minutes(request: HttpRequest, meeting: Meeting) -> Minutes | None:
    """The meeting's minutes, None if there are none yet; 404 if the member may not read them."""
    minutes = Minutes.objects.select_related(*MINUTES_RELATED).filter(meeting=meeting).first()
    if minutes is None:
        return None
    minutes.meeting = meeting
    if not may_read_minutes(request.member, minutes):
        raise Http404
    return minutes


def _minutes(request: HttpRequest, pk: int, *, manage: bool = False) -> Minutes:
    """The meeting's minutes if the member may read them (else 404); 403 with `manage` for non-managers."""
    meeting = _meeting(request, pk)
    minutes = _readable_minutes(request, meeting)
    if minutes is None:
        raise Http404
    if manage and not may_manage_minutes(request.member, meeting):
        raise PermissionDenied
    return minutes


def _refuse_if_frozen(request: HttpRequest, minutes: Minutes) -> HttpResponse | None:
    if minutes.is_editable:
        return None
    messages.error(request, _("These minutes are approved: their texts can no longer change."))
    return redirect("minutes:detail", pk=minutes.meeting_id)


def _reverse_detail(pk: int) -> str:
    return reverse("minutes:detail", args=[pk])


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Reading -----------------------------------------------------------------------------------


def attendance_columns(meeting: Meeting) -> list[dict]:
    """Attendance per administration (meetings.invitees.attendance_by_administration) as the page's
    columns: present, excused, absent, and who represented whom. From the attendance record, else
    from the answers (meetings.attendance)."""
    columns = []
    for group in attendance_by_administration(attendance_sheet(meeting, with_colleagues=False)):
        column = {"administration": group.administration, "present": [], "excused": [], "absent": []}
        column["represented"] = []
        for row in group.rows:
            name = row.invitation.display_name
            column[row.status].append(name)
            if row.status != Attendance.Status.PRESENT and row.representative_name:
                column["represented"].append((name, row.representative_name))
        columns.append(column)
    return columns


def timeline(minutes: Minutes) -> list[tuple[str, Member | None, object, Meeting | None]]:
    """Each step so far: (what, who, when, at which meeting)."""
    steps = [(_("Written"), minutes.created_by, minutes.created_at, None)]
    if minutes.sent_for_comments_at:
        steps.append(
            (_("Sent for comments"), minutes.sent_for_comments_by, minutes.sent_for_comments_at, None)
        )
    if minutes.approved_at:
        steps.append((_("Approved"), minutes.approved_by, minutes.approved_at, minutes.approved_at_meeting))
    if minutes.published_at:
        steps.append((_("Published"), minutes.published_by, minutes.published_at, None))
    return steps


def _detail(request: HttpRequest, minutes: Minutes, *, comment_form=None, comment_item: int | None = None):
    member, meeting = request.member, minutes.meeting
    manager = may_manage_minutes(member, meeting)
    items = items_with_texts(minutes)
    comments = MinutesComment.objects.filter(minutes=minutes).select_related(
        "author__user", "resolved_by__user"
    )
    if not manager:
        comments = comments.filter(author=member)  # a reader sees their own comments only
    by_item: dict = {}
    for comment in comments:
        by_item.setdefault(comment.item_id, []).append(comment)
    for item in items:
        item.comment_list = by_item.get(item.pk, [])
    deadline_passed = minutes.comment_deadline is not None and timezone.now() > minutes.comment_deadline
    context = {
        "meeting": meeting,
        "minutes": minutes,
        "items": items,
        "general_comments": by_item.get(None, []),
        "attendance": attendance_columns(meeting),
        "timeline": timeline(minutes),
        "can_manage": manager,
        "can_approve": may_approve_minutes(member, meeting),
        "can_comment": may_comment_minutes(member, minutes) and not deadline_passed,
        "deadline_passed": deadline_passed,
        "comment_form": comment_form,
        "comment_item": comment_item,
        "settle_form": SettleCommentForm(),
        "open_comments": sum(
            1 for c in by_item.values() for x in c if x.status == MinutesComment.Status.OPEN
        ),
    }
    if manager:
        context["history"] = history_rows(history_sources(minutes))
    status = 400 if comment_form is not None and comment_form.errors else 200
    return render(request, "meetings/minutes_detail.html", context, status=status)


def history_sources(minutes: Minutes) -> list[Source]:
    """What the minutes page's History shows: the minutes, their items, decisions and action items
    (two queries each, and one per kind of related object named in a change)."""
    return [
        Source(Minutes, Q(id=minutes.pk)),
        Source(MinutesItem, Q(minutes_id=minutes.pk)),
        Source(Decision, Q(minutes_id=minutes.pk)),
        Source(ActionItem, Q(minutes_id=minutes.pk)),
    ]


@member_required
def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    minutes = _readable_minutes(request, meeting)
    if minutes is None:
        if not may_manage_minutes(request.member, meeting):
            raise Http404
        form = StartMinutesForm(initial={"language": request.member.language})
        return render(request, "meetings/minutes_start.html", {"meeting": meeting, "form": form})
    return _detail(request, minutes)


@member_required
@require_POST
def minutes_start(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not may_manage_minutes(request.member, meeting):
        raise PermissionDenied
    form = StartMinutesForm(data=request.POST)
    if form.is_valid():
        try:
            service.start_minutes(meeting=meeting, by=request.member, language=form.cleaned_data["language"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The minutes are started, one item per agenda item."))
            return redirect("minutes:detail", pk=meeting.pk)
    return render(request, "meetings/minutes_start.html", {"meeting": meeting, "form": form}, status=400)


# --- Writing -----------------------------------------------------------------------------------


@member_required
def minutes_edit(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    if refused := _refuse_if_frozen(request, minutes):
        return refused
    initial = {"language": minutes.language, "chair": minutes.chair_id}
    form = MinutesSettingsForm(data=posted(request), initial=initial, meeting=minutes.meeting)
    if form.is_valid():
        try:
            service.save_settings(
                minutes=minutes,
                by=request.member,
                language=form.cleaned_data["language"],
                chair=form.cleaned_data["chair"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("minutes:detail", pk=pk)
    return render(
        request, "meetings/minutes_form.html", {"meeting": minutes.meeting, "minutes": minutes, "form": form}
    )


def _owner_choices(meeting: Meeting) -> tuple[list[Administration], list[Member]]:
    """Administrations (active) and the group's current members, for the action items' owners."""
    administrations = list(Administration.objects.filter(is_active=True).order_by("acronym", "pk"))
    members = list(
        Member.objects.filter(memberships__in=Membership.objects.current().filter(group_id=meeting.group_id))
        .distinct()
        .select_related("user")
        .order_by("user__name", "pk")
    )
    return administrations, members


@member_required
def item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    if refused := _refuse_if_frozen(request, minutes):
        return refused
    actions = ActionItem.objects.order_by("position", "pk")
    item = get_object_or_404(
        MinutesItem.objects.prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.order_by("position", "pk")),
            Prefetch("actions", queryset=actions),
        ),
        minutes=minutes,
        pk=item_pk,
    )
    administrations, members = _owner_choices(minutes.meeting)
    data = posted(request)
    form = MinutesItemForm(data=data, initial=minutes_item_initial(item))
    decisions = DecisionFormSet(data=data, initial=decision_initial(item), prefix="decisions")
    actions = ActionItemFormSet(
        data=data,
        initial=action_initial(item),
        prefix="actions",
        form_kwargs={"administrations": administrations, "members": members},
    )
    if data is not None and form.is_valid() and decisions.is_valid() and actions.is_valid():
        try:
            service.save_item(
                item=item,
                by=request.member,
                title=form.titles(),
                summary=form.summaries(),
                decisions=decisions_from(decisions, {d.pk for d in item.decisions.all()}),
                actions=actions_from(actions, {a.pk for a in item.actions.all()}),
            )
        except ValidationError as error:
            add_service_errors(form, error, fields=set())
        else:
            messages.success(request, _("The item is saved."))
            return redirect(f"{_reverse_detail(pk)}#item-{item.pk}")
    context = {
        "meeting": minutes.meeting,
        "minutes": minutes,
        "item": item,
        "form": form,
        "decisions": decisions,
        "actions": actions,
    }
    return render(
        request, "meetings/minutes_item_form.html", context, status=400 if data is not None else 200
    )


@member_required
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    if refused := _refuse_if_frozen(request, minutes):
        return refused
    form = MinutesItemForm(data=posted(request))
    if form.is_valid():
        try:
            item = service.add_item(
                minutes=minutes, by=request.member, title=form.titles(), summary=form.summaries()
            )
        except ValidationError as error:
            add_service_errors(form, error, fields=set())
        else:
            messages.success(request, _("The item is added."))
            return redirect("minutes:item-edit", pk=pk, item_pk=item.pk)
    return render(
        request,
        "meetings/minutes_item_add.html",
        {"meeting": minutes.meeting, "minutes": minutes, "form": form},
    )


@member_required
@require_POST
def item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    item = get_object_or_404(MinutesItem, minutes=minutes, pk=item_pk)
    try:
        service.remove_item(item=item, by=request.member)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The item is removed."))
    return redirect("minutes:detail", pk=pk)


# --- Comments ------------------------------------------------------------------------------------


@member_required
def send_for_comments(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    again = minutes.status == Status.FOR_COMMENTS
    initial = {"audience": minutes.comment_audience, "deadline": minutes.comment_deadline} if again else {}
    form = SendForCommentsForm(data=posted(request), initial=initial)
    if form.is_valid():
        notify = form.cleaned_data["notify"] or not again
        try:
            count = service.send_for_comments(
                minutes=minutes,
                by=request.member,
                audience=form.cleaned_data["audience"],
                deadline=form.cleaned_data["deadline"],
                notify=notify,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if notify:
                text = ngettext(
                    "Sent for comments to %(count)d person.", "Sent for comments to %(count)d people.", count
                )
                messages.success(request, text % {"count": count})
            else:
                messages.success(request, _("The deadline for comments is changed; nobody was emailed."))
            return redirect("minutes:detail", pk=pk)
    context = {"meeting": minutes.meeting, "minutes": minutes, "form": form}
    return render(request, "meetings/minutes_send.html", context)


@member_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk)
    form = MinutesCommentForm(data=request.POST)
    item_pk = None
    if form.is_valid():
        item_pk = form.cleaned_data["item"]
        item = MinutesItem.objects.filter(minutes=minutes, pk=item_pk).first() if item_pk else None
        if item_pk and item is None:
            form.add_error(None, _("This item is not part of these minutes."))
        else:
            try:
                service.add_comment(
                    minutes=minutes, by=request.member, text=form.cleaned_data["text"], item=item
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Thank you: your comment is sent to the secretariat."))
                anchor = f"#item-{item.pk}" if item else ""
                return redirect(_reverse_detail(pk) + anchor)
    return _detail(request, minutes, comment_form=form, comment_item=item_pk)


@member_required
@require_POST
def comment_settle(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    comment = get_object_or_404(MinutesComment, minutes=minutes, pk=comment_pk)
    form = SettleCommentForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accept or dismiss, and say why in a word."))
    else:
        try:
            service.settle_comment(
                comment=comment,
                by=request.member,
                accept=form.cleaned_data["decision"] == "accept",
                reply=form.cleaned_data["reply"],
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("The comment is settled."))
    return redirect(_reverse_detail(pk) + (f"#item-{comment.item_id}" if comment.item_id else ""))


# --- Approval and publication ----------------------------------------------------------------


@member_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    member = request.member
    may_approve = may_approve_minutes(member, minutes.meeting)
    meetings = list(service.later_meetings(minutes))
    form = ApproveMinutesForm(data=posted(request), meetings=meetings, may_approve=may_approve)
    if form.is_valid():
        try:
            if form.cleaned_data["how"] == "chair":
                service.approve(minutes=minutes, by=member)
            else:
                service.approve_at_meeting(minutes=minutes, by=member, meeting=form.chosen_meeting())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The minutes are approved."))
            return redirect("minutes:detail", pk=pk)
    context = {"meeting": minutes.meeting, "minutes": minutes, "form": form}
    return render(request, "meetings/minutes_approve.html", context)


@member_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk, manage=True)
    errors = []
    if request.method == "POST":
        try:
            count = service.publish(minutes=minutes, by=request.member)
        except ValidationError as error:
            errors = error.messages
        else:
            text = ngettext(
                "The minutes are published; %(count)d person is told by email.",
                "The minutes are published; %(count)d people are told by email.",
                count,
            )
            messages.success(request, text % {"count": count})
            return redirect("minutes:detail", pk=pk)
    context = {"meeting": minutes.meeting, "minutes": minutes, "errors": errors}
    return render(request, "meetings/minutes_publish.html", context, status=400 if errors else 200)


# --- Versions ------------------------------------------------------------------------------------


def _version_statuses(request: HttpRequest, minutes: Minutes) -> set[str] | None:
    """The statuses of the versions this reader may see (None: all of them, for managers).

    Other readers see the versions of the state they may read: those sent for comments while out
    for comments, the approved ones once published."""
    if may_manage_minutes(request.member, minutes.meeting):
        return None
    if minutes.status == Status.PUBLISHED:
        return {Status.APPROVED, Status.PUBLISHED}
    return {Status.FOR_COMMENTS}


def _versions(request: HttpRequest, minutes: Minutes):
    rows = MinutesVersion.objects.filter(minutes=minutes)
    statuses = _version_statuses(request, minutes)
    return rows if statuses is None else rows.filter(status__in=statuses)


@member_required
def versions(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _minutes(request, pk)
    rows = list(
        _versions(request, minutes).defer("content").select_related("saved_by__user").order_by("-number")
    )
    pairs = [(row, rows[index + 1] if index + 1 < len(rows) else None) for index, row in enumerate(rows)]
    context = {"meeting": minutes.meeting, "minutes": minutes, "pairs": pairs}
    return render(request, "meetings/minutes_versions.html", context)


@member_required
def version_diff(request: HttpRequest, pk: int, a: int, b: int) -> HttpResponse:
    minutes = _minutes(request, pk)
    rows = {
        row.number: row
        for row in _versions(request, minutes).filter(number__in=[a, b]).select_related("saved_by__user")
    }
    if a not in rows or b not in rows:
        raise Http404
    old, new = rows[a], rows[b]
    context = {
        "meeting": minutes.meeting,
        "minutes": minutes,
        "old": old,
        "new": new,
        "items": diff(old.content, new.content, page_language()),
    }
    return render(request, "meetings/minutes_diff.html", context)
