"""The emails of meetings: one builder per message kind, one message per recipient.

Each builder renders in the recipient's language and time zone (members.emails.render_email)
and returns a MeetingEmail; meetings.circulation queues it through members.services.queue_message.
Builders read only what the caller loaded: pass invitations whose meeting comes from
meetings.sending.with_email_data() or `Meeting.objects.with_detail_data()` (agenda, documents)
and whose member has its user.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from core.i18n import localized
from meetings import calendar, links
from meetings.invitees import answers_for, invitation_language, recipient_timezone
from meetings.links import answer_links_unsigned
from meetings.models import Invitation, Meeting
from members.emails import render_email
from members.outbox import Kind

TEMPLATES = "meetings/email/"
# The path of the answer links shown in a preview: not a signed token, so it answers for nobody.
SAMPLE_TOKEN = "example-link"  # noqa: S105 (a placeholder in a URL, not a secret)


@dataclass(frozen=True)
class AgendaRow:
    """One numbered agenda line, with its start on the running clock."""

    number: int
    item: object
    starts_at: datetime
    presenter: str
    documents: list


@dataclass(frozen=True)
class MeetingEmail:
    """A rendered email for one invitee, ready for the outbox."""

    kind: str
    to_email: str
    language: str
    subject: str
    text: str
    html: str
    # The iCalendar text (REQUEST or CANCEL) sent with it; "" for none.
    ics: str = ""
    method: str = ""

    @property
    def alternatives(self) -> list[dict]:
        """The calendar as an alternative part: what Outlook and Gmail show as an invitation."""
        if not self.ics:
            return []
        return [{"mimetype": f"text/calendar; method={self.method}", "content": self.ics}]

    @property
    def attachments(self) -> list[dict]:
        """The same calendar as a file, for clients that only offer attachments."""
        if not self.ics:
            return []
        name = "cancel.ics" if self.method == calendar.CANCEL else "invite.ics"
        return [{"filename": name, "mimetype": "application/ics", "content": self.ics}]


def agenda_rows(meeting: Meeting, language: str) -> list[AgendaRow]:
    """The numbered agenda with each item's start time (meeting start + durations before it)."""
    rows, clock = [], meeting.starts_at
    for number, item in enumerate(getattr(meeting, "agenda", None) or [], start=1):
        documents = list(item.documents.all())
        rows.append(AgendaRow(number, item, clock, calendar.presenter_text(item, language), documents))
        clock += timedelta(minutes=item.duration_minutes)
    return rows


def sample_answer_links(invitation: Invitation) -> list[dict]:
    """Answer links of the same shape as `links.answer_links`, whose URLs hold no token: a preview
    shows what the links look like without letting its reader answer for anyone."""
    base = settings.SITE_URL + reverse("meetings:answer", args=[SAMPLE_TOKEN])
    return [{**link, "url": f"{base}?a={link['answer']}"} for link in answer_links_unsigned(invitation)]


def _context(invitation: Invitation, language: str, *, preview: bool = False, **extra) -> dict:
    meeting = invitation.meeting
    with translation.override(language):
        rows = agenda_rows(meeting, language)
        # A preview names no real invitee: it is shown to the organiser, not sent.
        name = _("[name of the invitee]") if preview else invitation.display_name
    general_documents = list(getattr(meeting, "general_documents", None) or [])
    # A substitute's invitation says whom they stand in for, and for which administration.
    replaces = [] if preview else getattr(invitation, "replaces", None) or []
    administrations = [
        localized(sender.member.administration, "name", language) or sender.member.administration.acronym
        for sender in replaces
        if sender.member_id and sender.member.administration_id
    ]
    return {
        "invitation": invitation,
        "meeting": meeting,
        "recipient_name": name,
        "is_member": bool(invitation.member_id),
        "meeting_url": links.meeting_url(meeting),
        "location_address": ", ".join(line.strip() for line in meeting.location.splitlines() if line.strip()),
        "agenda": rows,
        "general_documents": general_documents,
        "has_documents": bool(general_documents) or any(row.documents for row in rows),
        "organiser_name": meeting.organiser.user.name if meeting.organiser_id else "",
        # Accept / Tentative / Decline / Send a substitute: signed links that work without signing in.
        "answer_links": sample_answer_links(invitation) if preview else links.answer_links(invitation),
        "preview": preview,
        "replaced_names": ", ".join(sender.display_name for sender in replaces),
        "replaced_administrations": ", ".join(dict.fromkeys(administrations)),
        **extra,
    }


def _render(
    prefix: str,
    invitation: Invitation,
    *,
    kind: str,
    method: str = "",
    preview: bool = False,
    **extra,
) -> MeetingEmail:
    language = invitation_language(invitation)
    context = _context(invitation, language, preview=preview, **extra)
    subject, text, html = render_email(
        TEMPLATES + prefix, context, language=language, tz=recipient_timezone(invitation)
    )
    # A preview has no calendar part: the file names the invitation's own reply address.
    ics = calendar.invitation_ics(invitation, method=method).decode() if method and not preview else ""
    return MeetingEmail(
        kind=kind,
        to_email=invitation.recipient_email,
        language=language,
        subject=subject,
        # Template tags leave runs of empty lines: one empty line between paragraphs is enough.
        text=re.sub(r"\n{3,}", "\n\n", text),
        html=html,
        ics=ics,
        method=method,
    )


def invitation_email(
    invitation: Invitation,
    *,
    update: bool,
    changes: dict | None = None,
    note: str = "",
    preview: bool = False,
) -> MeetingEmail:
    """The invitation (or, with `update`, the updated invitation) with its calendar REQUEST.

    `changes` ({"time", "location", …} -> previous value; see circulation.changes_since_circulation)
    and `note` (the organiser's words) say what changed in an update. With `preview`, the email
    as the organiser sees it before sending: a placeholder name, example answer links that
    answer for nobody, and no calendar part.
    """
    changes = changes or {}
    return _render(
        "update" if update else "invitation",
        invitation,
        kind=Kind.MEETING_INVITATION,
        method=calendar.REQUEST,
        preview=preview,
        changes=changes,
        note=note,
    )


# Stand-ins for what differs between invitees who get the same email (see invitation_emails):
# private-use characters, which no template, filter or escaping changes.
NAME_MARK = "\ue000name\ue001"
LINK_MARK = "\ue000link\ue001"
_MARKS = re.compile(f"{NAME_MARK}|{LINK_MARK}")


@dataclass(frozen=True)
class _Shared:
    """One rendering shared by invitees of the same kind: the email with stand-ins, and the
    calendar file cut around the sample invitee's own ORGANIZER and ATTENDEE lines."""

    subject: str
    text: str
    html: str
    ics_parts: tuple[bytes, bytes, bytes, bool] | None  # see _calendar_parts


def invitation_emails(
    invitations: list[Invitation], *, changes: dict | None = None, note: str = ""
) -> list[MeetingEmail]:
    """invitation_email() for each invitation (an update for those who had a version), in order.

    The same emails, made faster for many invitees: those who get the same email but for their
    name and answer links (same template, language, time zone, membership, possible answers
    and answer to confirm) share one rendering, in which stand-ins for the name and the links
    are replaced for each; the calendar file is made once per language and membership, and
    each invitee's copy gets their own ORGANIZER and ATTENDEE lines. A substitute's email,
    which names whom they stand in for, is rendered on its own.
    """
    shared: dict[tuple, _Shared | None] = {}
    built = []
    for invitation in invitations:
        update = invitation.sent_sequence is not None
        if getattr(invitation, "replaces", None):
            built.append(invitation_email(invitation, update=update, changes=changes, note=note))
            continue
        key = _sharing_key(invitation, update)
        if key not in shared:
            shared[key] = _shared_rendering(invitation, update=update, changes=changes, note=note)
        rendering = shared[key]
        if rendering is None:  # the name or a link is where it cannot be replaced: render it alone
            built.append(invitation_email(invitation, update=update, changes=changes, note=note))
            continue
        built.append(_personalised(rendering, invitation))
    return built


def _sharing_key(invitation: Invitation, update: bool) -> tuple:
    """What, besides the name and the links, decides an invitee's invitation email."""
    to_confirm = bool(invitation.rsvp_to_confirm)
    return (
        update,
        invitation_language(invitation),
        recipient_timezone(invitation),
        bool(invitation.member_id),
        tuple(answers_for(invitation)),
        to_confirm,
        invitation.rsvp if to_confirm else None,
        # PARTSTAT in the calendar file's ATTENDEE line is the invitee's own; the rest of the
        # file depends on the language and on whether they are a member.
    )


def _shared_rendering(invitation: Invitation, *, update: bool, changes: dict | None, note: str) -> _Shared | None:
    language = invitation_language(invitation)
    answer_links = [{**link, "url": f"{LINK_MARK}?a={link['answer']}"} for link in answer_links_unsigned(invitation)]
    context = _context(
        invitation,
        language,
        recipient_name=NAME_MARK,
        answer_links=answer_links,
        changes=changes or {},
        note=note,
    )
    subject, text, html = render_email(
        TEMPLATES + ("update" if update else "invitation"),
        context,
        language=language,
        tz=recipient_timezone(invitation),
    )
    if _MARKS.search(subject):
        return None
    return _Shared(subject, text, html, _calendar_parts(invitation))


def _calendar_parts(invitation: Invitation) -> tuple[bytes, bytes, bytes, bool] | None:
    """The invitee's calendar REQUEST cut around their own two lines: (before the first, between
    them, after the second, whether ORGANIZER comes first). None if those lines are not found
    once each; each invitee's file is then made whole."""
    whole = calendar.invitation_ics(invitation, method=calendar.REQUEST)
    spans = []
    for line in _own_calendar_lines(invitation):
        needle = b"\r\n" + line + b"\r\n"
        at = whole.find(needle)
        if at < 0 or whole.find(needle, at + 1) >= 0:
            return None
        spans.append((at + 2, at + 2 + len(line)))
    organizer, attendee = spans
    (start_1, end_1), (start_2, end_2) = sorted(spans)
    return whole[:start_1], whole[end_1:start_2], whole[end_2:], organizer < attendee


def _own_calendar_lines(invitation: Invitation) -> tuple[bytes, bytes]:
    """The invitee's ORGANIZER (their invitation's reply address) and ATTENDEE lines, folded as
    calendar.invitation_ics writes them."""
    language = invitation_language(invitation)
    organizer = calendar._organizer(invitation.meeting, language, reply_to=invitation)
    attendee = calendar._attendee(invitation, rsvp=True)
    return calendar.content_line("ORGANIZER", organizer), calendar.content_line("ATTENDEE", attendee)


def _personalised(shared: _Shared, invitation: Invitation) -> MeetingEmail:
    values = {NAME_MARK: invitation.display_name, LINK_MARK: links.answer_url(invitation)}
    text = _MARKS.sub(lambda match: values[match.group()], shared.text)
    html = _MARKS.sub(lambda match: escape(values[match.group()]), shared.html)
    if shared.ics_parts is None:
        ics = calendar.invitation_ics(invitation, method=calendar.REQUEST).decode()
    else:
        before, between, after, organizer_first = shared.ics_parts
        organizer, attendee = _own_calendar_lines(invitation)
        first, second = (organizer, attendee) if organizer_first else (attendee, organizer)
        ics = (before + first + between + second + after).decode()
    return MeetingEmail(
        kind=Kind.MEETING_INVITATION,
        to_email=invitation.recipient_email,
        language=invitation_language(invitation),
        subject=shared.subject,
        text=re.sub(r"\n{3,}", "\n\n", text),
        html=html,
        ics=ics,
        method=calendar.REQUEST,
    )


def cancellation_email(invitation: Invitation, *, note: str = "") -> MeetingEmail:
    """The calendar CANCEL: the meeting is cancelled, or this invitee is no longer invited.

    A cancelled meeting's email carries its cancellation note in the recipient's language (or
    the usual fallback, core.i18n.fallback_order); `note` is for an invitee who was removed.
    """
    meeting = invitation.meeting
    if meeting.is_cancelled:
        note = localized(meeting, "cancellation_note", invitation_language(invitation))
    prefix = "cancellation" if meeting.is_cancelled else "removed"
    return _render(prefix, invitation, kind=Kind.MEETING_INVITATION, method=calendar.CANCEL, note=note)


def reminder_email(invitation: Invitation, kind: str = "unanswered") -> MeetingEmail:
    """A reminder without a calendar part: "please answer", or "see you tomorrow"."""
    if kind not in {"unanswered", "accepted"}:
        raise ValueError(f"Unknown reminder kind {kind!r}.")
    return _render(f"reminder_{kind}", invitation, kind=Kind.MEETING_REMINDER)


# --- Minutes --------------------------------------------------------------------------------------
# Neither email carries a word of the minutes: a link only, since the text is for its readers.


def minutes_url(minutes) -> str:
    """The minutes' page (readers sign in to see it)."""
    return settings.SITE_URL + reverse("minutes:detail", args=[minutes.meeting_id])


def _minutes_email(prefix: str, member, minutes, **extra) -> MeetingEmail:
    language = member.language or settings.LANGUAGE_CODE
    context = {
        "recipient_name": member.user.name,
        "meeting": minutes.meeting,
        "minutes_url": minutes_url(minutes),
        **extra,
    }
    subject, text, html = render_email(TEMPLATES + prefix, context, language=language, tz=member.timezone)
    return MeetingEmail(
        kind=Kind.MINUTES,
        to_email=member.user.email,
        language=language,
        subject=subject,
        text=re.sub(r"\n{3,}", "\n\n", text),
        html=html,
    )


def minutes_for_comments_email(member, minutes) -> MeetingEmail:
    """Draft minutes are out for comments: the meeting, the deadline and a link, in the member's language."""
    return _minutes_email("minutes_comments", member, minutes, deadline=minutes.comment_deadline)


def minutes_published_email(member, minutes) -> MeetingEmail:
    """The minutes are published: a link, in the member's language."""
    return _minutes_email("minutes_published", member, minutes)
