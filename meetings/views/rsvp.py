"""Pages for answering invitations: the one-click link of the email, the signed-in page, the chair's.

Thin: meetings.invitees says who may answer, meetings.rsvp records the answer. The one-click page works
without signing in; GET only shows the form (mail security scanners open every link), POST
answers. It keeps Django's CSRF protection: the GET page sets the cookie the POST needs.

Privacy: invitation emails get forwarded, so whoever holds a one-click link is not known to be
the invitee. That page therefore lists no colleagues (not even their names: who works where, and
who is on the platform, is personal data); it asks for the substitute's email address, which
the invitee knows and a stranger would have to know already. Signed in, a member picks from the
list of their administration's colleagues, as the members directory shows them anyway. The
page that confirms a substitute names them as typed (name, else address), never by an account's
registered name, and answers the same whatever the address (meetings.rsvp.delegate).

Answers through the link are rate limited per IP address and per link, like sign-in
(settings.ANSWER_LINK_RATE_LIMIT, allauth's format: "30/m/ip,10/m/key"): 429 when exceeded.
"""

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from core.links import link_problem_response
from meetings import attendance as attendance_service
from meetings import links, rsvp
from meetings.access import get_meeting_for
from meetings.forms import ANSWER_FORM_FIELDS, AnswerForm
from meetings.invitees import (
    SUBSTITUTE_REFUSED,
    answers_for,
    closed_reason,
    colleagues_of,
    invitation_language,
    may_send_substitute,
    recipient_timezone,
)
from meetings.models import Attendance, AttendanceMode, Invitation, Meeting
from members.access import member_required
from members.models import Member

Rsvp = Invitation.Rsvp
Channel = rsvp.Channel


def _initial(request: HttpRequest, invitation: Invitation) -> dict:
    """The answer asked for in the link (?a=…), else the current one; the current comment and mode."""
    offered = answers_for(invitation)
    asked = request.GET.get("a", "")
    answer = asked if asked in offered else (invitation.rsvp if invitation.rsvp in offered else "")
    return {
        "answer": answer,
        "comment": invitation.rsvp_comment,
        "attendance_mode": invitation.attendance_mode,
    }


def _submit(form: AnswerForm, *, invitation: Invitation, by: Member | None, channel: str) -> Invitation:
    """Record the form's answer; returns the substitute's invitation when one is sent, else the invitation.

    A form that does not carry the comment or the joining mode (the quick answer buttons of
    "My meetings") keeps the current ones.
    """
    data = form.cleaned_data
    comment = (data.get("comment") or "") if "comment" in form.data else None
    mode = (data.get("attendance_mode") or "") if "attendance_mode" in form.data else None
    if data["answer"] == Rsvp.DELEGATED:
        return rsvp.delegate(
            invitation=invitation,
            by=by,
            substitute=form.substitute_member(),
            email=data.get("substitute_email") or "",
            name=data.get("substitute_name") or "",
            channel=channel,
            comment=comment,
        )
    return rsvp.record_rsvp(
        invitation=invitation,
        answer=data["answer"],
        by=by,
        channel=channel,
        comment=comment,
        attendance_mode=mode,
    )


# --- The one-click link -------------------------------------------------------------------------


def _no_robots(response: HttpResponse, language: str) -> HttpResponse:
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def problem_response(
    request: HttpRequest, invitation: Invitation | None, problem: links.Problem
) -> HttpResponse:
    """The page of a link that does not work, in the invitee's language when the invitation is known."""
    language = invitation_language(invitation) if invitation is not None else translation.get_language()
    context = {"invitation": invitation, "meeting": invitation.meeting if invitation is not None else None}
    response = link_problem_response(
        request,
        "meetings/answer_problem.html",
        problem=problem,
        texts=links.PROBLEM_TEXTS,
        language=language,
        unknown=problem == links.Problem.INVALID,
        context=context,
    )
    return _no_robots(response, language)


# Counted by allauth's rate limiter, in the shared cache, as sign-in is: settings.ANSWER_LINK_RATE_LIMIT
# is its "answer_link" action in ACCOUNT_RATE_LIMITS, per IP address and per link.
TOO_MANY_TEXTS = (
    gettext_lazy("Too many answers"),
    gettext_lazy(
        "Too many answers were sent from here or with this link. Wait a few minutes, then try again."
    ),
)


def answer_rate_exceeded(request: HttpRequest, token: str) -> bool:
    """Count this answer against the limits; True if one is exceeded."""
    return not ratelimit.consume(request, action="answer_link", key=token)  # allauth hashes the key


def too_many_response(request: HttpRequest, invitation: Invitation | None) -> HttpResponse:
    """429, in the invitee's language when the link is known."""
    language = invitation_language(invitation) if invitation is not None else translation.get_language()
    title, text = TOO_MANY_TEXTS
    with translation.override(language):
        context = {"title": str(title), "text": str(text), "invitation": invitation, "meeting": None}
        response = render(request, "meetings/answer_problem.html", context, status=429)
    response["Retry-After"] = "60"
    return _no_robots(response, language)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link: GET shows the answer form (and changes nothing), POST records the answer."""
    invitation, problem = links.invitation_from_token(token)
    # Only answers count: GET changes nothing (and mail scanners open every link).
    if request.method == "POST" and answer_rate_exceeded(request, token):
        return too_many_response(request, invitation if problem is None else None)
    if problem is not None:
        return problem_response(request, invitation, problem)
    meeting = invitation.meeting
    language = invitation_language(invitation)
    # The invitee answers for themself: the link proved it.
    by = invitation.member if invitation.member_id else None
    with translation.override(language), timezone.override(recipient_timezone(invitation)):
        closed = closed_reason(invitation, by=by)
        may_delegate = may_send_substitute(invitation)
        post = request.POST if request.method == "POST" and not closed else None
        # No list of colleagues without signing in: see the module's docstring.
        form = AnswerForm(
            data=post,
            meeting=meeting,
            colleagues=[],
            may_delegate=may_delegate,
            signed_in=False,
            initial=_initial(request, invitation),
        )
        if form.is_bound and form.is_valid():
            try:
                result = _submit(form, invitation=invitation, by=by, channel=Channel.EMAIL_LINK)
            except ValidationError as error:
                add_service_errors(form, error, fields=ANSWER_FORM_FIELDS)
            else:
                invitation.refresh_from_db(fields=["rsvp", "rsvp_comment", "attendance_mode", "delegated_to"])
                data = form.cleaned_data
                context = {
                    "meeting": meeting,
                    "invitation": invitation,
                    # As typed: the registered name of an account is not shown to a signed-out visitor.
                    "substitute_name": (
                        (data.get("substitute_name") or "").strip() or data.get("substitute_email") or ""
                        if result.pk != invitation.pk
                        else ""
                    ),
                    "token": token,
                }
                return _no_robots(render(request, "meetings/answer_done.html", context), language)
        context = {
            "meeting": meeting,
            "invitation": invitation,
            "form": form,
            "closed": closed,
            "token": token,
            # Members may sign in to choose among their colleagues instead of typing an address.
            "sign_in_url": reverse("meetings:answer-web", args=[meeting.pk]) + "?a=delegated"
            if invitation.member_id and may_delegate
            else "",
            "substitute_refused": "" if may_delegate else SUBSTITUTE_REFUSED,
        }
        response = render(request, "meetings/answer.html", context)
    return _no_robots(response, language)


# --- Signed in: one's own answer, and the chair's for anyone ---------------------------------------


def _next_url(request: HttpRequest) -> str:
    """The page to return to (the `next` field), if it is a path on this site; else ""."""
    url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # Only a path: redirect() would take anything else (such as "0") for the name of a page.
    return url if safe and url.startswith("/") else ""


def _answer_page(
    request: HttpRequest, meeting: Meeting, invitation: Invitation, *, channel: str, for_other: bool
) -> HttpResponse:
    by = request.member
    invitation.meeting = meeting
    if invitation.member_id == by.pk:
        invitation.member = by  # its roles, once loaded, serve both checks below
    closed = closed_reason(invitation, by=by)
    may_delegate = may_send_substitute(invitation)
    colleagues = [] if closed or not may_delegate else list(colleagues_of(invitation))
    label = _("Answer of %(name)s") % {"name": invitation.display_name} if for_other else ""
    post = request.POST if request.method == "POST" and not closed else None
    form = AnswerForm(
        data=post,
        meeting=meeting,
        colleagues=colleagues,
        answer_label=label,
        may_delegate=may_delegate,
        initial=_initial(request, invitation),
    )
    if form.is_bound and form.is_valid():
        try:
            result = _submit(form, invitation=invitation, by=by, channel=channel)
        except ValidationError as error:
            add_service_errors(form, error, fields=ANSWER_FORM_FIELDS)
        else:
            answer_text = dict(Rsvp.choices)[form.cleaned_data["answer"]]
            if result.pk != invitation.pk:
                text = _("%(substitute)s is invited in place of %(name)s.") % {
                    "substitute": result.display_name,
                    "name": invitation.display_name,
                }
            elif for_other:
                text = _("The answer of %(name)s is saved: %(answer)s.") % {
                    "name": invitation.display_name,
                    "answer": answer_text,
                }
            else:
                text = _("Your answer is saved: %(answer)s.") % {"answer": answer_text}
            messages.success(request, text)
            return redirect(_next_url(request) or reverse("meetings:detail", args=[meeting.pk]))
    context = {
        "meeting": meeting,
        "invitation": invitation,
        "form": form,
        "closed": closed,
        "for_other": for_other,
        "substitute_refused": "" if may_delegate else SUBSTITUTE_REFUSED,
        "next_url": _next_url(request),
    }
    return render(request, "meetings/answer_page.html", context)


def _meeting_rows():
    return Meeting.objects.select_related("group", "organiser__user")


def _invitation_rows():
    return Invitation.objects.select_related("member__user", "member__administration")


@require_http_methods(["GET", "POST"])
@member_required
def answer_web(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed-in member's own answer (the meeting page posts its short form here)."""
    meeting = get_meeting_for(request.member, pk, queryset=_meeting_rows())
    invitation = (
        _invitation_rows().filter(meeting=meeting, member=request.member, removed_at__isnull=True).first()
    )
    if invitation is None:
        messages.error(request, _("You are not invited to this meeting, so there is nothing to answer."))
        return redirect("meetings:detail", pk=meeting.pk)
    return _answer_page(request, meeting, invitation, channel=Channel.WEB, for_other=False)


@require_http_methods(["GET", "POST"])
@member_required
def answer_for(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    """The chair or secretariat records an invitee's answer, also after the deadline."""
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=_meeting_rows())
    invitation = get_object_or_404(
        _invitation_rows(), pk=invitation_pk, meeting=meeting, removed_at__isnull=True
    )
    return _answer_page(request, meeting, invitation, channel=Channel.CHAIR, for_other=True)


PAST_PER_PAGE = 25
UPCOMING_PER_PAGE = 25


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


def _other_parameters(request: HttpRequest, name: str) -> str:
    """The page's query string without `name`, for the pagination links of one list that keep
    the other list's page (and any other parameter) as it is."""
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


def _page_of(invitations: QuerySet[Invitation], ordering: tuple[str, ...], per_page: int, number) -> Page:
    """Page `number` of `invitations` in `ordering` (Paginator.get_page's page), its rows read in
    full with what the page shows; two queries.

    The page's ids and the total come from one pass over the member's invitations (a window
    count), and only the page's rows are then read in full: a database sorting all of a busy
    member's wide joined rows to keep 25, and counting them again, took as long as the rest of
    the page."""
    ordered = invitations.order_by(*ordering)
    paginator = Paginator(ordered.values_list("pk", flat=True), per_page)
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1
    rows = []
    if wanted >= 1:
        start = (wanted - 1) * per_page
        counted = ordered.annotate(total=Window(Count("pk"))).values_list("pk", "total")
        rows = list(counted[start : start + per_page])
    if rows or wanted == 1:
        paginator.count = rows[0][1] if rows else 0
        page = paginator.page(wanted)
        ids = [pk for pk, _total in rows]
    else:
        # A page out of range (an old link): the last one, as Paginator.get_page answers.
        page = paginator.get_page(number)
        ids = page.object_list
    page.object_list = list(
        Invitation.objects.filter(pk__in=ids)
        .select_related("meeting__group", "delegated_to__member__user", "attendance")
        .order_by(*ordering)
    )
    return page


@member_required
def my_meetings(request: HttpRequest) -> HttpResponse:
    """Upcoming meetings (UPCOMING_PER_PAGE a page, ?upcoming=) and past ones (PAST_PER_PAGE,
    ?page=), each paginated on its own: the page's time and size do not grow with the member's
    number of meetings."""
    now = timezone.now()
    mine = Invitation.objects.filter(member=request.member, removed_at__isnull=True).exclude(
        meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED]
    )
    upcoming_page = _page_of(
        mine.filter(meeting__ends_at__gte=now),
        ("meeting__starts_at", "meeting__pk"),
        UPCOMING_PER_PAGE,
        request.GET.get("upcoming"),
    )
    for invitation in upcoming_page:
        invitation.choices = _answer_choices(invitation.meeting, invitation)
    past = mine.filter(meeting__ends_at__lt=now).filter(
        Q(attendance__status=Attendance.Status.PRESENT) | Q(attendance__isnull=True)
    )
    page = _page_of(past, ("-meeting__starts_at", "-meeting__pk"), PAST_PER_PAGE, request.GET.get("page"))
    for invitation in page:
        invitation.attended = attendance_service.recorded(invitation) is not None
    context = {
        "upcoming": upcoming_page,
        "upcoming_query": _other_parameters(request, "upcoming"),
        "past_page": page,
        "past_query": _other_parameters(request, "page"),
        # The one-click answers come back to this page, at the same pages of both lists.
        "return_url": request.get_full_path(),
    }
    return render(request, "meetings/my_meetings.html", context)
