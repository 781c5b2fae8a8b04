"""The meeting pack (one PDF: cover, agenda, contents, papers) and the minutes as PDF.

The pack is for those who may download the meeting's documents, the minutes PDF for those who
may read the minutes; others get 404. The reader's language is used unless `?lang=` asks for
another of settings.LANGUAGES.
"""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from core.i18n import LANGUAGE_CODES, localized, page_language
from core.timezones import zone_or_default
from meetings import packs
from meetings.access import get_meeting_for, may_download, may_read_minutes
from meetings.models import Meeting, MeetingPack, Minutes
from members.access import member_required
from members.models import Member

Status = MeetingPack.Status


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    return wanted if wanted in LANGUAGE_CODES else page_language()


def _time_zone(member: Member) -> str:
    return zone_or_default(member.timezone).key


def _pack_meeting(request: HttpRequest, pk: int) -> Meeting:
    """The meeting with what the pack reads, if the member may download its documents; else 404."""
    meeting = get_meeting_for(request.member, pk, queryset=Meeting.objects.select_related("group"))
    if not may_download(request.member, meeting):
        raise Http404
    return packs.pack_meeting(meeting.pk)


def _status_url(meeting: Meeting, language: str) -> str:
    return reverse("packs:status", args=[meeting.pk]) + "?" + urlencode({"lang": language})


def _file_name(meeting: Meeting, label: str, language: str) -> str:
    title = slugify(localized(meeting, "title", language))[:60].strip("-") or f"meeting-{meeting.pk}"
    day = timezone.localtime(meeting.starts_at, zone_or_default(None)).date().isoformat()  # Brussels' day
    return f"{slugify(label) or 'pdf'}-{title}-{day}-{language}.pdf"


def _pack_state(request: HttpRequest, meeting: Meeting, language: str) -> dict:
    """The pack row for this reader and what it means now: ready, building, failed, outdated or none."""
    key = packs.pack_key(meeting, MeetingPack.Kind.PACK, language, time_zone=_time_zone(request.member))
    pack = packs.find_pack(meeting, MeetingPack.Kind.PACK, language)
    if pack is None:
        state = "none"
    elif pack.key != key:
        state = "outdated"
    elif pack.status == Status.READY and pack.file:
        state = "ready"
    elif pack.status == Status.FAILED:
        state = "failed"
    else:
        state = "building"
    return {"pack": pack, "state": state}


def _summary(pack: MeetingPack | None, state: str) -> str:
    if state == "ready":
        return gettext("The pack is ready to download.")
    if state == "building" and pack is not None:
        if pack.status == Status.QUEUED:
            return gettext("Waiting to be built: %(total)d papers.") % {"total": pack.total}
        return gettext("Being built: %(done)d of %(total)d papers read.") % {
            "done": pack.done,
            "total": pack.total,
        }
    if state == "failed":
        return gettext("The pack could not be built.")
    if state == "outdated":
        return gettext("The agenda or the documents changed since the last pack was built.")
    return gettext("No pack has been prepared yet.")


@member_required
@require_http_methods(["GET", "POST"])
def pack_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack's status with a progress bar; POST asks for it to be (re)built."""
    meeting = _pack_meeting(request, pk)
    language = _language(request)
    if request.method == "POST":
        packs.request_pack(
            meeting=meeting,
            kind=MeetingPack.Kind.PACK,
            language=language,
            time_zone=_time_zone(request.member),
        )
        return redirect(_status_url(meeting, language))
    current = _pack_state(request, meeting, language)
    papers = sum(len(item.documents.all()) for item in meeting.agenda) + len(meeting.general_documents)
    context = {
        "meeting": meeting,
        "language": language,
        "pack_languages": settings.LANGUAGES,
        "papers": papers,
        "summary": _summary(current["pack"], current["state"]),
        **current,
    }
    return render(request, "meetings/pack_status.html", context)


@member_required
@require_GET
def pack_status_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The counts polled by static/js/outbox.js while the pack is being built."""
    meeting = _pack_meeting(request, pk)
    language = _language(request)
    current = _pack_state(request, meeting, language)
    pack, state = current["pack"], current["state"]
    done, total = (pack.done, pack.total) if pack is not None else (0, 0)
    return JsonResponse(
        {
            "state": state,
            "counts": {"done": done, "total": total},
            "pending": 1 if state == "building" else 0,
            "summary": _summary(pack, state),
        }
    )


@member_required
@require_GET
def pack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack as a download when it is built for the current agenda; else its status page."""
    meeting = _pack_meeting(request, pk)
    language = _language(request)
    current = _pack_state(request, meeting, language)
    if current["state"] != "ready":
        return redirect(_status_url(meeting, language))
    name = _file_name(meeting, gettext("Meeting pack"), language)
    return FileResponse(current["pack"].file.open("rb"), as_attachment=True, filename=name)


@member_required
@require_GET
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes as PDF, for those who may read them (others: 404); built now when they changed."""
    meeting = get_meeting_for(request.member, pk, queryset=Meeting.objects.select_related("group"))
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None:
        raise Http404
    minutes.meeting = meeting
    if not may_read_minutes(request.member, minutes):
        raise Http404
    language = _language(request)
    pack = packs.request_pack(
        meeting=meeting,
        kind=MeetingPack.Kind.MINUTES,
        language=language,
        time_zone=_time_zone(request.member),
    )
    if pack.status != Status.READY:
        messages.error(request, gettext("The minutes could not be made into a PDF. Please try again later."))
        return redirect("meetings:detail", pk=meeting.pk)
    name = _file_name(meeting, gettext("Minutes"), language)
    return FileResponse(pack.file.open("rb"), as_attachment=True, filename=name)
