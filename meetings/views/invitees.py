"""Who is invited to a meeting: the group and administration settings, guests, removing someone."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import add_service_errors, posted
from meetings import services
from meetings.access import get_meeting_for
from meetings.forms import (
    GuestForm,
    InviteesForm,
)
from meetings.invitees import invitees_by_administration
from meetings.models import Invitation, Meeting
from members.access import member_required


def _invitees_page(request: HttpRequest, meeting: Meeting, settings_form, guest_form) -> HttpResponse:
    context = {
        "meeting": meeting,
        "settings_form": settings_form,
        "guest_form": guest_form,
        "invitee_groups": invitees_by_administration(meeting.active_invitations),
        "invited_count": len(meeting.active_invitations),
        "removable_sources": {
            Invitation.Source.PERSONAL,
            Invitation.Source.GUEST,
            Invitation.Source.SUBSTITUTE,
        },
    }
    return render(request, "meetings/invitees.html", context)


def _meeting_with_invitees(request: HttpRequest, pk: int) -> Meeting:
    active = Invitation.objects.filter(removed_at__isnull=True).select_related(
        "member__user", "member__administration"
    )
    rows = Meeting.objects.select_related("group").prefetch_related(
        "invited_administrations", Prefetch("invitations", queryset=active, to_attr="active_invitations")
    )
    return get_meeting_for(request.member, pk, edit=True, queryset=rows)


@member_required
def invitees(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_with_invitees(request, pk)
    form = InviteesForm(data=posted(request), meeting=meeting)
    if form.is_valid():
        try:
            services.update_meeting(
                meeting=meeting,
                by=request.member,
                invite_whole_group=form.cleaned_data["invite_whole_group"],
                invited_administrations=form.cleaned_data["invited_administrations"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The invitees were updated."))
            return redirect("meetings:invitees", pk=meeting.pk)
    return _invitees_page(request, meeting, form, GuestForm())


@require_POST
@member_required
def invitee_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_with_invitees(request, pk)
    form = GuestForm(data=request.POST)
    if form.is_valid():
        try:
            invitation = services.add_guest(meeting=meeting, by=request.member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s is invited.") % {"name": invitation.display_name})
            return redirect("meetings:invitees", pk=meeting.pk)
    return _invitees_page(request, meeting, InviteesForm(meeting=meeting), form)


@require_POST
@member_required
def invitee_remove(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    meeting = get_meeting_for(request.member, pk, edit=True)
    invitation = get_object_or_404(
        Invitation.objects.select_related("member__user"), pk=invitation_pk, meeting=meeting
    )
    invitation.meeting = meeting
    try:
        services.remove_invitation(invitation=invitation, by=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is no longer invited.") % {"name": invitation.display_name})
    return redirect("meetings:invitees", pk=meeting.pk)
