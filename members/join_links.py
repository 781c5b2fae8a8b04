"""The link of an invitation to join, as the person invited follows it: the invitation it left
in this browser's session (for the sign-up that follows), and the page of a link that does not work.
"""

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from core.links import link_problem_response
from members.invitations import PROBLEM_TEXTS, Problem, inviter_may_grant, problem_of
from members.models import JoinInvitation

SESSION_KEY = "join_invitation_id"


def pending_invitation_in_session(request: HttpRequest | None) -> JoinInvitation | None:
    """The pending invitation whose link this browser followed, if any."""
    if request is None or not hasattr(request, "session"):
        return None
    invitation_id = request.session.get(SESSION_KEY)
    if not invitation_id:
        return None
    return JoinInvitation.objects.pending().select_related("group").filter(pk=invitation_id).first()


def problem_response(
    request: HttpRequest, invitation: JoinInvitation | None, problem: Problem
) -> HttpResponse:
    """The page of a link that does not work, in the invitee's language when the invitation is known."""
    language = invitation.language if invitation is not None else translation.get_language()
    # Whoever accepted the invitation and follows the link again is shown the way to the group.
    accepted_by_visitor = (
        problem == Problem.USED
        and request.user.is_authenticated
        and invitation.accepted_by is not None
        and invitation.accepted_by.user_id == request.user.pk
    )
    return link_problem_response(
        request,
        "members/join_problem.html",
        problem=problem,
        texts=PROBLEM_TEXTS,
        language=language,
        unknown=problem == Problem.UNKNOWN,
        context={"invitation": invitation, "accepted_by_visitor": accepted_by_visitor},
    )


def session_invitation_problem(request: HttpRequest) -> HttpResponse:
    """The page saying why the invitation this browser followed can no longer be used (used,
    withdrawn or expired since); it is forgotten from the session."""
    invitation = JoinInvitation.objects.filter(pk=request.session.pop(SESSION_KEY, None)).first()
    problem = None
    if invitation:
        problem = problem_of(invitation) or (None if inviter_may_grant(invitation) else Problem.NOT_ALLOWED)
    return problem_response(request, invitation, problem or Problem.UNKNOWN)
