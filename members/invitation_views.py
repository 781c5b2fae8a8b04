"""Pages of invitations to join: invite, import a spreadsheet, follow the invitations, use a link."""

import io
from contextlib import nullcontext

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import posted
from core.i18n import remember_language
from core.spreadsheets import ImportRejected, RowError
from members import invitations
from members.access import Action, grantable_roles, member_required, require
from members.forms import ImportForm, InviteForm
from members.invitations import Problem
from members.join_links import SESSION_KEY, problem_response
from members.models import Group, JoinInvitation, User

# --- For the chair and secretariat -----------------------------------------------------------


def _get_group(request: HttpRequest, slug: str) -> Group:
    """The group if request.member may manage its members: 404 if not in it, 403 if the role does not allow."""
    group = get_object_or_404(Group, slug=slug)
    require(request.member, Action.MANAGE_MEMBERS, group)
    return group


@member_required
@require_http_methods(["GET", "POST"])
def group_invite(request: HttpRequest, slug: str) -> HttpResponse:
    group = _get_group(request, slug)
    form = InviteForm(data=posted(request), roles=grantable_roles(request.member, group))
    if form.is_valid():
        try:
            invitation = invitations.invite_to_group(by=request.member, group=group, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The invitation was sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("members:group-invitations", slug=group.slug)
    return render(request, "members/invitation_form.html", {"group": group, "form": form})


@member_required
@require_http_methods(["GET", "POST"])
def group_import(request: HttpRequest, slug: str) -> HttpResponse:
    group = _get_group(request, slug)
    is_post = request.method == "POST"
    form = ImportForm(data=request.POST if is_post else None, files=request.FILES if is_post else None)
    row_errors: list[RowError] = []
    if form.is_valid():
        try:
            created = invitations.import_invitations(
                by=request.member, group=group, uploaded_file=form.cleaned_data["file"]
            )
        except ImportRejected as rejected:
            for error in rejected.errors:
                if error.row is None:
                    form.add_error("file", error.message)
                else:
                    row_errors.append(error)
        else:
            text = ngettext("%(n)d invitation was sent.", "%(n)d invitations were sent.", len(created))
            messages.success(request, text % {"n": len(created)})
            return redirect("members:group-invitations", slug=group.slug)
    context = {
        "group": group,
        "form": form,
        "row_errors": row_errors,
        "required_columns": invitations.REQUIRED_COLUMNS,
        "optional_columns": invitations.OPTIONAL_COLUMNS,
        "language_codes": [code for code, _name in settings.LANGUAGES],
        "invitable_roles": grantable_roles(request.member, group, invitations.INVITABLE_ROLES),
    }
    return render(request, "members/invitation_import.html", context)


@member_required
@require_GET
def group_import_template(request: HttpRequest, slug: str) -> HttpResponse:
    """An empty spreadsheet with the expected columns, to fill in and upload."""
    from openpyxl import Workbook

    group = _get_group(request, slug)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "invitations"
    sheet.append([*invitations.REQUIRED_COLUMNS, *invitations.OPTIONAL_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="invitations-{group.slug}.xlsx"'
    return response


@member_required
@require_GET
def group_invitations(request: HttpRequest, slug: str) -> HttpResponse:
    """The group's invitations, by what became of them: one table a section."""
    group = _get_group(request, slug)
    by_problem = {None: [], Problem.USED: [], Problem.EXPIRED: [], Problem.REVOKED: []}
    for invitation in invitations.invitations_for_list(group):
        problem = invitations.problem_of(invitation)
        invitation.shown_date = {
            None: invitation.expires_at,
            Problem.USED: invitation.accepted_at,
            Problem.EXPIRED: invitation.expires_at,
            Problem.REVOKED: invitation.revoked_at,
        }[problem]
        by_problem[problem].append(invitation)
    sections = [
        {
            "key": "pending",
            "heading": _("Waiting for an answer"),
            "caption": _("Invitations not yet accepted, whose link still works"),
            "date_label": _("Expires"),
            "empty": _("No invitation is waiting for an answer."),
            "invitations": by_problem[None],
            "can_withdraw": True,
        },
        {
            "key": "accepted",
            "heading": _("Accepted"),
            "caption": _("Invitations accepted: these people are members now"),
            "date_label": _("Accepted"),
            "empty": _("No invitation has been accepted yet."),
            "invitations": by_problem[Problem.USED],
        },
        {
            "key": "expired",
            "heading": _("Expired"),
            "caption": _("Invitations not accepted in time: invite these people again if needed"),
            "date_label": _("Expired"),
            "empty": _("No invitation has expired."),
            "invitations": by_problem[Problem.EXPIRED],
        },
        {
            "key": "revoked",
            "heading": _("Withdrawn or replaced"),
            "caption": _("Invitations withdrawn, or replaced by a newer invitation to the same address"),
            "date_label": _("Withdrawn"),
            "empty": _("No invitation has been withdrawn."),
            "invitations": by_problem[Problem.REVOKED],
        },
    ]
    return render(request, "members/invitation_list.html", {"group": group, "sections": sections})


@member_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _get_group(request, slug)
    invitation = get_object_or_404(JoinInvitation, pk=pk, group=group)
    try:
        invitations.revoke_invitation(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
        )
    return redirect("members:group-invitations", slug=group.slug)


# --- For the person invited --------------------------------------------------------------------


def _invitee_language(request: HttpRequest, invitation: JoinInvitation) -> str | None:
    """The invitation's language for a visitor who has not chosen one (signed out, no cookie)."""
    if request.user.is_authenticated or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return None
    return invitation.language


@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: GET shows it (and changes nothing), POST accepts it."""
    invitation, problem = invitations.find_invitation(token)
    if problem is not None:
        return problem_response(request, invitation, problem)
    user = request.user
    other_account = user.is_authenticated and user.email.lower() != invitation.email.lower()

    if request.method == "POST" and not other_account:
        if user.is_authenticated:
            try:
                membership = invitations.accept_invitation(invitation=invitation, user=user)
            except ValidationError:
                invitation, problem = invitations.find_invitation(token)
                return problem_response(request, invitation, problem or Problem.USED)
            messages.success(request, _("Welcome to %(group)s.") % {"group": membership.group.name})
            return redirect("members:group-detail", slug=membership.group.slug)
        if User.objects.filter(email__iexact=invitation.email).exists():
            messages.info(request, _("You already have an account: sign in, then accept the invitation."))
            return redirect_to_login(request.path)
        # No account yet: allauth's sign-up opens for this invitation, with its address,
        # which the link proved (no confirmation email needed).
        request.session[SESSION_KEY] = invitation.pk
        get_adapter(request).stash_verified_email(request, invitation.email)
        response = redirect("account_signup")
        if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            # The sign-up page then speaks the invitee's language too.
            remember_language(response, invitation.language)
        return response

    language = _invitee_language(request, invitation)
    with translation.override(language) if language else nullcontext():
        context = {"invitation": invitation, "other_account": other_account, "token": token}
        # A POST from another account is refused: the page says why and how to go on.
        status = 403 if other_account and request.method == "POST" else 200
        response = render(request, "members/join.html", context, status=status)
    if language:
        response["Content-Language"] = language
    return response
