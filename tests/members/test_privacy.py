import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import services
from members.models import Member, Membership
from members.outbox import Kind, OutboundMessage

pytestmark = pytest.mark.django_db


def test_deactivating_ends_memberships_stops_emails_and_keeps_history(group, focal_point):
    queued = services.queue_message(
        kind=Kind.NEWS, to_email=focal_point.user.email, subject="s", body_text="b", member=focal_point
    )
    # Not delivered yet (no on-commit in this test): deactivation must stop it.
    services.deactivate_member(member=focal_point)
    membership = Membership.objects.get(member=focal_point)
    assert membership.end is not None  # kept, ended
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.SUPPRESSED
    later = services.queue_message(
        kind=Kind.MEETING_INVITATION,
        to_email=focal_point.user.email,
        subject="s",
        body_text="b",
        member=focal_point,
    )
    assert later.status == OutboundMessage.Status.SUPPRESSED


def test_deactivated_member_cannot_sign_in(client, focal_point, password):
    services.deactivate_member(member=focal_point)
    client.post(reverse("account_login"), {"login": focal_point.user.email, "password": password})
    assert "_auth_user_id" not in client.session


def test_anonymising_erases_personal_data_but_keeps_rows(group, focal_point):
    message = services.queue_message(
        kind=Kind.NEWS, to_email=focal_point.user.email, subject="Private", body_text="b", member=focal_point
    )
    with pytest.raises(ValidationError):
        services.anonymise_member(member=focal_point)  # must be deactivated first
    services.deactivate_member(member=focal_point)
    old_email = focal_point.user.email
    services.anonymise_member(member=focal_point)

    member = Member.objects.select_related("user").get(pk=focal_point.pk)
    assert member.user.email != old_email and "anonymised" in member.user.email
    assert member.user.name.startswith("Former member")
    assert not member.user.has_usable_password()
    assert not EmailAddress.objects.filter(email__iexact=old_email).exists()
    assert Membership.objects.filter(member=member, group=group).count() == 1  # history intact
    message.refresh_from_db()
    assert message.to_email != old_email and message.subject == ""
    with pytest.raises(ValidationError):
        services.anonymise_member(member=member)


def test_staff_anonymises_from_the_admin(client, focal_point):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    changelist = reverse("admin:members_member_changelist")
    client.post(changelist, {"action": "deactivate", "_selected_action": [focal_point.pk]})
    client.post(changelist, {"action": "anonymise", "_selected_action": [focal_point.pk]})
    focal_point.refresh_from_db()
    assert focal_point.deactivated_at is not None and focal_point.anonymised_at is not None


def test_directory_data_is_for_members_only(client):
    response = client.get(reverse("members:group-list"))
    assert response.status_code == 302


def test_anonymising_also_erases_what_meetings_and_invitations_keep(group, focal_point, chair):
    from django.utils import timezone

    from meetings.models import CalendarReply, Invitation, RsvpAnswer
    from members.models import JoinInvitation
    from tests.meetings.factories import make_meeting

    meeting = make_meeting(group, chair)
    invitation = Invitation.objects.create(
        meeting=meeting, member=focal_point, rsvp_comment="Hospital on Monday"
    )
    RsvpAnswer.objects.create(
        invitation=invitation, answer="declined", comment="Hospital on Monday", channel="web"
    )
    old_email = focal_point.user.email
    other = make_meeting(group, chair, title_en="Another")
    guest = Invitation.objects.create(
        meeting=other, email=old_email.upper(), name="As a guest", rsvp_comment="x"
    )
    CalendarReply.objects.create(sender=old_email, attendee=old_email, outcome="refused", invitation=None)
    JoinInvitation.objects.create(
        email=old_email, name="Old name", group=group, token_hash="h" * 64, expires_at=timezone.now()
    )

    services.deactivate_member(member=focal_point)
    services.anonymise_member(member=focal_point)

    invitation.refresh_from_db()
    guest.refresh_from_db()
    assert invitation.rsvp_comment == ""
    assert RsvpAnswer.objects.get(invitation=invitation).comment == ""
    assert RsvpAnswer.objects.filter(invitation=invitation).count() == 1  # the history itself stays
    assert old_email not in (guest.email.lower(), guest.name)
    reply = CalendarReply.objects.get()
    assert old_email not in (reply.sender, reply.attendee)
    assert not JoinInvitation.objects.filter(email__iexact=old_email).exists()
