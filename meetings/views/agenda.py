"""A meeting's agenda (its items, their order) and its documents: upload and download."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.documents import kind_of, safe_filename
from core.forms import add_service_errors, posted
from meetings import services
from meetings.access import get_meeting_for, may_download
from meetings.agenda import agenda_with_clock
from meetings.forms import (
    AgendaItemForm,
    DocumentUploadForm,
    MoveItemForm,
)
from meetings.models import AgendaItem, DocumentFile, Meeting
from members.access import member_required


def _item_url(meeting_pk: int, item_pk: int) -> str:
    return reverse("meetings:agenda", args=[meeting_pk]) + f"#item-{item_pk}"


def _sequence_note(request: HttpRequest, meeting: Meeting) -> None:
    """After circulation, an agenda change is a new version that the chair still has to send."""
    if meeting.circulated_at is not None:
        messages.warning(request, _("Invitees still have the previous version: circulate the update."))


@member_required
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=Meeting.objects.with_agenda_data())
    form = AgendaItemForm(data=posted(request), meeting=meeting)
    if form.is_valid():
        try:
            item = services.add_agenda_item(meeting=meeting, by=request.member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Item %(number)d added.") % {"number": item.position})
            _sequence_note(request, meeting)
            return redirect(_item_url(meeting.pk, item.pk))
    items, agenda_ends_at = agenda_with_clock(meeting, translation.get_language())
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


@member_required
def agenda_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting, item = _item_of(request, pk, item_pk)
    form = AgendaItemForm(data=posted(request), meeting=meeting, item=item)
    if form.is_valid():
        try:
            services.update_agenda_item(item=item, by=request.member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Item %(number)d saved.") % {"number": item.position})
            _sequence_note(request, meeting)
            return redirect(_item_url(meeting.pk, item.pk))
    return render(request, "meetings/agenda_item_form.html", {"meeting": meeting, "item": item, "form": form})


@require_POST
@member_required
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
@member_required
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


@member_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True)
    initial = {}
    if request.method == "GET":
        initial = {
            key: request.GET[key] for key in ("agenda_item", "document") if request.GET.get(key, "").isdigit()
        }
    form = DocumentUploadForm(
        data=posted(request),
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
            add_service_errors(form, error)
        else:
            messages.success(request, _("The document was uploaded."))
            return redirect(reverse("meetings:detail", args=[meeting.pk]) + "#documents")
    return render(request, "meetings/document_upload.html", {"meeting": meeting, "form": form})


@member_required
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
