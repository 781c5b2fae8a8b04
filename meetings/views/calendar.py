"""Calendar files over HTTP: one meeting's .ics, and the feeds calendars subscribe to.

Feeds are read by calendar clients without a session: the member's secret feed token is the
key (regenerating it cuts off the old address at once). Each feed answers in a fixed number
of queries, with an ETag and a Last-Modified.

The ETag is the one validator that decides "304 Not Modified". It is decided before the file is
built, from totals over everything the file is written from (`feed_state`): the meetings'
count, revisions and last saves, the names of people, administrations and groups, documents and
files, the member's invitations and answers, and the file's settings and translations
(calendar.file_salt). Agenda items are not read: adding, editing, moving or removing one saves
its meeting (meetings.services), whose `updated_at` the totals see. A write that bypasses the
services (a QuerySet.update(), the admin's agenda item page) must save the meeting too.

Last-Modified is the newest timestamp we have (meetings, documents and their files, the
member's invitations), but it cannot be truthful: removing the newest document takes its date
away. So If-Modified-Since alone never earns a 304 here (a client that sends only that header
gets the file each time); If-None-Match is compared with the ETag, and when it is present it
alone decides (RFC 9110 13.2.2).
"""

import hashlib
from datetime import datetime

from django.db.models import Count, F, Max, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Length
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from core.i18n import LANGUAGE_CODES, localized
from meetings import calendar
from meetings.access import may_manage
from meetings.models import Document, Invitation, Meeting
from members.access import member_required, role_in
from members.models import Administration, Group, Member, User

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@member_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting as a calendar file, for members who may see it (404 otherwise)."""
    # The meeting with its agenda in one query, if the member may see it (404 otherwise).
    meeting = calendar.meeting_with_agenda(Meeting.objects.visible_to(request.member), pk)
    if meeting is None:
        raise Http404
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


def _text_lengths(*fields: str):
    """The summed length of the fields in every language (one SQL expression)."""
    lengths = [Coalesce(Length(f"{field}_{code}"), 0) for field in fields for code in LANGUAGE_CODES]
    return sum(lengths[1:], lengths[0])


def _prefixed(prefix: str, lookups: dict) -> dict:
    return {f"{prefix}{lookup}": value for lookup, value in lookups.items()}


def _table_total(model, fingerprint) -> Max:
    """`fingerprint` summed over the whole table, as a value of the meetings' aggregate (one
    query: the database computes it once)."""
    whole = model.objects.order_by().annotate(whole=Value(1)).values("whole")
    return Max(Subquery(whole.annotate(total=Sum(fingerprint)).values("total")))


def _names() -> dict:
    """Fingerprints of every name a feed shows besides its meetings' own texts: people
    (organisers, presenters), administrations and groups. Taken over whole tables, which are
    small (some thousands of rows), rather than over the feed's agenda items, which are many:
    a rename elsewhere changes the validator too, which is rare and only costs one full answer."""
    return {
        "people": _table_total(User, Length("name") * F("pk")),
        "administration_names": _table_total(Administration, _text_lengths("name") * F("pk")),
        "group_names": _table_total(Group, _text_lengths("name") * F("pk")),
    }


def feed_state(of_feed: dict, language: str) -> dict:
    """Totals over what a feed is written from.

    `of_feed` are the lookups from a meeting to the feed (its group; or the member's current
    invitation). Any change that changes the file moves at least one total:

    - a meeting added, removed, or saved: every write to a meeting, and every change of its
      agenda (meetings.services: `_raise_sequence` saves the meeting), moves its `updated_at`
      to now, past every other meeting's, so the newest moves; added or removed meetings
      change their count and the sum of their ids (new ids are larger than old ones);
    - a person, administration or group renamed (`_names`);
    - a document or file added or removed (they date the file: Last-Modified).

    One index-only scan for the meetings (index meeting_feed_state), none over agenda items.
    The totals are fingerprints, not counts. (Their names must not be field names: an
    aggregate named "files" would hide the relation.)
    """

    def rows(model, prefix: str) -> QuerySet:
        query = model.objects.filter(**_prefixed(prefix, of_feed))
        return query.exclude(**_prefixed(prefix, {"status": Meeting.Status.DRAFT})).order_by()

    state = rows(Meeting, "").aggregate(
        meetings=Count("pk"),
        meeting_ids=Sum("pk"),
        revisions=Sum("sequence"),
        meeting_saved=Max("updated_at"),
        organisers=Sum("organiser_id"),
        **_names(),
    )
    state |= rows(Document, "meeting__").aggregate(
        document_count=Count("pk", distinct=True),
        document_ids=Sum("pk", distinct=True),
        document_added=Max("created_at"),
        file_count=Count("files__id"),
        file_ids=Sum("files__id"),
        file_uploaded=Max("files__uploaded_at"),
    )
    return state


def _invitation_state(member: Member) -> dict:
    """The member's invitations, removed ones too: who is invited, removed, and what they answered."""
    answers = {
        f"answered_{value}": Sum("pk", filter=Q(rsvp=value, rsvp_to_confirm=False))
        for value in Invitation.Rsvp.values
    }
    return Invitation.objects.filter(member=member).aggregate(
        invitations=Count("pk"),
        invitation_ids=Sum("pk"),
        current=Sum("pk", filter=Q(removed_at__isnull=True)),
        invited=Max("created_at"),
        answered=Max("rsvp_at"),
        removed=Max("removed_at"),
        **answers,
    )


def _etag(*parts: object) -> str:
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _feed_response(request: HttpRequest, etag: str, last_modified: datetime | None, build) -> HttpResponse:
    """304 when If-None-Match names `etag` (nothing is built), else the file `build()` writes."""
    # No last_modified here on purpose: it is not truthful (see the module docstring), so
    # If-Modified-Since must not answer 304.
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(build(), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="concerto.ics"'
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(int(last_modified.timestamp()))
    # The address is a secret: not for shared caches, nor for search engines.
    patch_cache_control(response, private=True, no_cache=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _last_modified(state: dict) -> datetime | None:
    return _latest(*(state[name] for name in ("meeting_saved", "document_added", "file_uploaded")))


@require_safe
def member_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Every meeting the token's member is invited to, with their answer. No sign-in."""
    member = _feed_member(token)
    language = member.language
    state = _invitation_state(member)
    state |= feed_state({"invitations__member": member, "invitations__removed_at__isnull": True}, language)
    etag = _etag(
        "member", calendar.file_salt(language), member.pk, member.user.name, member.user.email, state
    )
    last_modified = _latest(_last_modified(state), state["invited"], state["answered"], state["removed"])
    return _feed_response(
        request,
        etag,
        last_modified,
        lambda: calendar.member_feed(member),
    )


@require_safe
def group_feed(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The group's meetings, for a current member of the group (by their feed token)."""
    member = _feed_member(token)
    group = Group.objects.filter(slug=slug).first()
    role = role_in(member, group) if group is not None else None
    if role is None:
        raise Http404
    language = member.language
    # The group feed shows no attendees, so answers are not part of it.
    state = feed_state({"group": group}, language)
    name = localized(group, "name", language)
    etag = _etag("group", calendar.file_salt(language), group.pk, name, role, state)
    return _feed_response(
        request,
        etag,
        _last_modified(state),
        lambda: calendar.group_feed(group, language),
    )
