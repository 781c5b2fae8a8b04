"""Calendar files over HTTP: one meeting's .ics, and the feeds calendars subscribe to.

Feeds are read by calendar clients without a session: the member's secret feed token is the
key (regenerating it cuts off the old address at once). Each feed answers in a fixed number
of queries, with an ETag and a Last-Modified.

The ETag is the one validator that decides "304 Not Modified": it hashes the file itself
(identical between polls when nothing changed) and Last-Modified, so it changes whenever
either does. Last-Modified is the newest timestamp we have (meetings, documents and their
files, the member's invitations), but it cannot be truthful: editing, moving or removing an
agenda item leaves no timestamp, and removing the newest document takes its date away. So
If-Modified-Since alone never earns a 304 here (a client that sends only that header gets the
file each time); If-None-Match is compared with the ETag, and when it is present it alone
decides (RFC 9110 13.2.2).
"""

import hashlib
from datetime import datetime

from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from meetings import calendar
from meetings.access import get_meeting_for, may_manage
from meetings.models import Invitation, Meeting
from members.access import member_required, role_in
from members.models import Group, Member

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@member_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting as a calendar file, for members who may see it (404 otherwise)."""
    meeting = get_meeting_for(request.member, pk, queryset=calendar.with_calendar_data(Meeting.objects.all()))
    # A draft is not announced yet: only those who prepare it may take it home.
    if meeting.status == Meeting.Status.DRAFT and not may_manage(request.member, meeting):
        raise Http404
    body = calendar.meeting_ics(meeting, request.member.language)
    response = _calendar_response(body, f"meeting-{meeting.pk}.ics")
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _feed_member(token: str) -> Member:
    """The active member whose feed token this is; 404 for an unknown, old or cut-off token."""
    if not token:
        raise Http404
    member = (
        Member.objects.active()
        .filter(feed_token=token, anonymised_at__isnull=True)
        .select_related("user")
        .first()
    )
    if member is None:
        raise Http404
    return member


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _feed_response(request: HttpRequest, body: bytes, last_modified: datetime | None) -> HttpResponse:
    seconds = int(last_modified.timestamp()) if last_modified else None
    digest = hashlib.sha256(body)
    # Last-Modified is part of the ETag, so the two validators never disagree about a change;
    # to the microsecond, so a change within the second of the previous one still shows.
    digest.update(f"\n{last_modified.isoformat() if last_modified else ''}".encode())
    etag = '"' + digest.hexdigest()[:32] + '"'
    # 304 only when If-None-Match matches the ETag. No last_modified here on purpose: it is not
    # truthful (see the module docstring), so If-Modified-Since must not answer 304.
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="concerto.ics"'
    response["ETag"] = etag
    if seconds is not None:
        response["Last-Modified"] = http_date(seconds)
    # The address is a secret: not for shared caches, nor for search engines.
    patch_cache_control(response, private=True, no_cache=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def member_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Every meeting the token's member is invited to, with their answer. No sign-in."""
    member = _feed_member(token)
    # One aggregate over the member's invitations (removed ones too: a removal changes the feed)
    # and their meetings' documents (Meeting.updated_at does not move when one is added).
    # (The names must not be field names: an aggregate named "meeting" would hide the relation.)
    changed = Invitation.objects.filter(member=member).aggregate(
        meeting_saved=Max("meeting__updated_at"),
        invited=Max("created_at"),
        answered=Max("rsvp_at"),
        removed=Max("removed_at"),
        document_added=Max("meeting__documents__created_at"),
        file_uploaded=Max("meeting__documents__files__uploaded_at"),
    )
    body = calendar.member_feed(member, calendar.feed_meetings_for(member))
    return _feed_response(request, body, _latest(*changed.values()))


@require_safe
def group_feed(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The group's meetings, for a current member of the group (by their feed token)."""
    member = _feed_member(token)
    group = Group.objects.filter(slug=slug).first()
    if group is None or role_in(member, group) is None:
        raise Http404
    meetings = calendar.feed_meetings_of(group)
    # The group feed shows no attendees, so answers are not part of it: meetings and documents.
    changed = meetings.order_by().aggregate(
        meeting_saved=Max("updated_at"),
        document_added=Max("documents__created_at"),
        file_uploaded=Max("documents__files__uploaded_at"),
    )
    body = calendar.group_feed(group, member.language, meetings)
    return _feed_response(request, body, _latest(*changed.values()))
