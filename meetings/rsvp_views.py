"""Pages for answering invitations: the one-click link of the email, the signed-in page, the chair's.

Thin: meetings.rsvp decides who may answer and records the answer. The one-click page works
without signing in; GET only shows the form (mail security scanners open every link), POST
answers. It keeps Django's CSRF protection: the GET page sets the cookie the POST needs.

Privacy: invitation emails get forwarded, so whoever holds a one-click link is not known to be
the invitee. That page therefore lists no colleagues (not even their names: who works where, and
who is on the platform, is personal data); it asks for the substitute's email address, which
the invitee knows and a stranger would have to know already. Signed in, a member picks from the
list of their administration's colleagues, as the members directory shows them anyway.
"""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from meetings import rsvp
from meetings.access import get_meeting_for
from meetings.calendar import invitation_language
from meetings.emails import recipient_timezone
from meetings.models import AttendanceMode, Invitation, Meeting
from meetings.views import member_view
from members.models import Member

Rsvp = Invitation.Rsvp
Channel = rsvp.Channel

ANSWER_CHOICES = [
    (Rsvp.ACCEPTED, gettext_lazy("I will attend")),
    (Rsvp.TENTATIVE, gettext_lazy("I may attend (tentative)")),
    (Rsvp.DECLINED, gettext_lazy("I will not attend")),
    (Rsvp.DELEGATED, gettext_lazy("I am sending a substitute")),
]
# Fields of the form that a service's ValidationError may name; others go on top of the form.
FORM_FIELDS = {"answer", "comment", "attendance_mode", "substitute", "substitute_email", "substitute_name"}


# The form lives here rather than in meetings/forms.py: only these pages use it.
class AnswerForm(forms.Form):
    """An answer: the choice, how one joins a hybrid meeting, a comment, and who stands in."""

    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"), choices=ANSWER_CHOICES, widget=forms.RadioSelect
    )
    attendance_mode = forms.ChoiceField(
        label=gettext_lazy("How will you join? (if you attend)"),
        choices=AttendanceMode.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=rsvp.MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For the organiser: for example, when you will arrive."),
    )
    substitute = forms.TypedChoiceField(
        label=gettext_lazy("A colleague of the same administration"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    substitute_email = forms.EmailField(
        label=gettext_lazy("Or the email address of a colleague who is not on the platform yet"),
        required=False,
        max_length=254,
    )
    substitute_name = forms.CharField(
        label=gettext_lazy("Their name (for a colleague not on the platform yet)"),
        required=False,
        max_length=150,
    )

    def __init__(
        self,
        *args,
        meeting: Meeting,
        colleagues: list[Member],
        answer_label: str = "",
        may_delegate: bool = True,
        signed_in: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.may_delegate = may_delegate
        if answer_label:
            self.fields["answer"].label = answer_label
        if meeting.format != Meeting.Format.HYBRID:
            del self.fields["attendance_mode"]
        self.colleagues = {member.pk: member for member in colleagues}
        if not may_delegate:
            # "Sending a substitute" stays a valid value (a stale form or link gets the clear
            # error of clean()), but it is not offered, nor are the substitute's fields.
            self.fields["answer"].widget.choices = [c for c in ANSWER_CHOICES if c[0] != Rsvp.DELEGATED]
            for name in ("substitute", "substitute_email", "substitute_name"):
                del self.fields[name]
            return
        if colleagues:
            self.fields["substitute"].choices = [
                ("", _("Choose a colleague")),
                *self._colleague_choices(colleagues),
            ]
        else:
            del self.fields["substitute"]
        if not signed_in:
            self.fields["substitute_email"].label = _("The email address of the person who will attend")
            self.fields["substitute_email"].help_text = _(
                "For a colleague on the platform, the address of their account."
            )
            self.fields["substitute_name"].label = _("Their name (if they are not on the platform yet)")

    @staticmethod
    def _colleague_choices(colleagues: list[Member]) -> list[tuple[int, str]]:
        return [
            (member.pk, f"{member.user.name} – {member.job_title}" if member.job_title else member.user.name)
            for member in colleagues
        ]

    def clean(self):
        data = super().clean()
        if data.get("answer") != Rsvp.DELEGATED:
            data["substitute"], data["substitute_email"], data["substitute_name"] = None, "", ""
            return data
        if not self.may_delegate:
            self.add_error("answer", rsvp.SUBSTITUTE_REFUSED)
            return data
        if (
            not data.get("substitute")
            and not data.get("substitute_email")
            and "substitute_email" not in self.errors
        ):
            field = "substitute" if "substitute" in self.fields else "substitute_email"
            self.add_error(field, _("Say who will attend in your place."))
        elif data.get("substitute") and data.get("substitute_email"):
            self.add_error("substitute_email", _("Choose a colleague or give an email address, not both."))
        return data

    def substitute_member(self) -> Member | None:
        return self.colleagues.get(self.cleaned_data.get("substitute"))


def _initial(request: HttpRequest, invitation: Invitation) -> dict:
    """The answer asked for in the link (?a=…), else the current one; the current comment and mode."""
    offered = rsvp.answers_for(invitation)
    asked = request.GET.get("a", "")
    answer = asked if asked in offered else (invitation.rsvp if invitation.rsvp in offered else "")
    return {
        "answer": answer,
        "comment": invitation.rsvp_comment,
        "attendance_mode": invitation.attendance_mode,
    }


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields and field in FORM_FIELDS else None, errors)
    else:
        form.add_error(None, error)


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
    request: HttpRequest, invitation: Invitation | None, problem: rsvp.Problem
) -> HttpResponse:
    """The page of a link that does not work, in the invitee's language when the invitation is known.

    404 for a link we do not know, 410 (Gone) for one that worked once.
    """
    language = invitation_language(invitation) if invitation is not None else translation.get_language()
    title, text = rsvp.PROBLEM_TEXTS[problem]
    with translation.override(language):
        context = {"invitation": invitation, "problem": problem, "title": str(title), "text": str(text)}
        if invitation is not None:
            context["meeting"] = invitation.meeting
        status = 404 if problem == rsvp.Problem.INVALID else 410
        response = render(request, "meetings/answer_problem.html", context, status=status)
    return _no_robots(response, language)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link: GET shows the answer form (and changes nothing), POST records the answer."""
    invitation, problem = rsvp.invitation_from_token(token)
    if problem is not None:
        return problem_response(request, invitation, problem)
    meeting = invitation.meeting
    language = invitation_language(invitation)
    # The invitee answers for themself: the link proved it.
    by = invitation.member if invitation.member_id else None
    with translation.override(language), timezone.override(ZoneInfo(recipient_timezone(invitation))):
        closed = rsvp.closed_reason(invitation, by=by)
        may_delegate = rsvp.may_send_substitute(invitation)
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
                _add_errors(form, error)
            else:
                invitation.refresh_from_db(fields=["rsvp", "rsvp_comment", "attendance_mode", "delegated_to"])
                context = {
                    "meeting": meeting,
                    "invitation": invitation,
                    "substitute": result if result.pk != invitation.pk else None,
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
            "substitute_refused": "" if may_delegate else rsvp.SUBSTITUTE_REFUSED,
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
    closed = rsvp.closed_reason(invitation, by=by)
    may_delegate = rsvp.may_send_substitute(invitation)
    colleagues = [] if closed or not may_delegate else list(rsvp.colleagues_of(invitation))
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
            _add_errors(form, error)
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
        "substitute_refused": "" if may_delegate else rsvp.SUBSTITUTE_REFUSED,
        "next_url": _next_url(request),
    }
    return render(request, "meetings/answer_page.html", context)


def _meeting_rows():
    return Meeting.objects.select_related("group", "organiser__user")


def _invitation_rows():
    return Invitation.objects.select_related("member__user", "member__administration")


@require_http_methods(["GET", "POST"])
@member_view
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
@member_view
def answer_for(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    """The chair or secretariat records an invitee's answer, also after the deadline."""
    meeting = get_meeting_for(request.member, pk, edit=True, queryset=_meeting_rows())
    invitation = get_object_or_404(
        _invitation_rows(), pk=invitation_pk, meeting=meeting, removed_at__isnull=True
    )
    return _answer_page(request, meeting, invitation, channel=Channel.CHAIR, for_other=True)
