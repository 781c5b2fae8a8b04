"""What the meetings app stores about a person, erased when they are anonymised."""

from django.db import transaction
from django.db.models import Q

from meetings.models import CalendarReply, Invitation, RsvpAnswer
from members.models import Member


@transaction.atomic
def forget_member(*, member: Member, old_email: str) -> None:
    """Clear free text and addresses tied to the member; answers and attendance stay for history."""
    placeholder = member.user.email  # already anonymised by the members app
    Invitation.objects.filter(member=member).update(rsvp_comment="")
    RsvpAnswer.objects.filter(invitation__member=member).update(comment="")
    # Guest invitations to the same address (a substitute invited by email before joining).
    guest = Invitation.objects.filter(member__isnull=True, email__iexact=old_email)
    RsvpAnswer.objects.filter(invitation__in=guest).update(comment="")
    guest.update(email=placeholder, name="", rsvp_comment="")
    CalendarReply.objects.filter(Q(invitation__member=member) | Q(sender__iexact=old_email)).update(
        sender=placeholder
    )
    CalendarReply.objects.filter(Q(invitation__member=member) | Q(attendee__iexact=old_email)).update(
        attendee=placeholder
    )


def on_member_anonymised(sender, *, member: Member, old_email: str, **kwargs) -> None:
    forget_member(member=member, old_email=old_email)
