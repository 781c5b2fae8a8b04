"""meetings.services: scheduling, changes and the calendar revision, invitees kept in sync."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings import circulation, services
from meetings.models import Invitation, Meeting
from members.models import Membership
from members.outbox import OutboundMessage
from tests.factories import AdministrationFactory, make_member
from tests.meetings.factories import bulk_members, in_days, invite, make_items, make_meeting

pytestmark = pytest.mark.django_db
Role = Membership.Role
Source = Invitation.Source


def fields(**overrides) -> dict:
    start = in_days(14)
    values = {
        "title_en": "Plenary",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "format": Meeting.Format.ON_SITE,
        "location": "Rue de la Loi 16, Brussels",
    }
    values.update(overrides)
    return values


def circulated(meeting: Meeting, by, django_capture_on_commit_callbacks) -> Meeting:
    """The meeting after its agenda was circulated (needs at least one item)."""
    if not meeting.agenda_items.exists():
        make_items(meeting, 1)
    if not meeting.invitations.exists():
        services.sync_invitations(meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        circulation.circulate_agenda(meeting=meeting, by=by)
    meeting.refresh_from_db()
    return meeting


def active_member_ids(meeting: Meeting) -> set[int]:
    return set(meeting.invitations.filter(removed_at__isnull=True).values_list("member_id", flat=True))


# --- Scheduling ------------------------------------------------------------------------------


def test_chair_schedules_a_meeting_and_the_whole_group_is_invited(
    group, chair, focal_point, observer, outsider
):
    departed = make_member(group, Role.MEMBER)
    Membership.objects.filter(member=departed).update(end=timezone.localdate())

    meeting = services.schedule_meeting(group=group, by=chair, **fields())

    assert meeting.organiser == chair
    assert meeting.sequence == 0 and meeting.circulated_at is None
    assert active_member_ids(meeting) == {chair.pk, focal_point.pk, observer.pk}
    assert set(meeting.invitations.values_list("source", flat=True)) == {Source.GROUP}
    # Each invitation is in the invitee's language.
    assert meeting.invitations.get(member=chair).language == "nl"


def test_invited_administrations_bring_their_members(group, chair):
    administration = AdministrationFactory()
    guests = bulk_members(3, administration=administration)

    meeting = services.schedule_meeting(
        group=group, by=chair, invite_whole_group=False, invited_administrations=[administration], **fields()
    )

    assert active_member_ids(meeting) == {m.pk for m in guests}
    assert set(meeting.invitations.values_list("source", flat=True)) == {Source.ADMINISTRATION}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": in_days(14) - timedelta(minutes=1)}, "ends_at"),
        ({"ends_at": in_days(14)}, "ends_at"),
        ({"format": Meeting.Format.ONLINE, "location": "", "online_url": ""}, "online_url"),
        ({"format": Meeting.Format.HYBRID, "online_url": ""}, "online_url"),
        (
            {"format": Meeting.Format.HYBRID, "location": "  ", "online_url": "https://meet.example.org/x"},
            "location",
        ),
        ({"format": Meeting.Format.ON_SITE, "location": ""}, "location"),
        ({"format": Meeting.Format.ONLINE, "online_url": "javascript:alert(1)"}, "online_url"),
        ({"rsvp_deadline": in_days(15)}, "rsvp_deadline"),
        ({"status": Meeting.Status.CANCELLED}, "status"),
    ],
)
def test_bad_meeting_is_refused_with_a_message_on_its_field(group, chair, overrides, field):
    with pytest.raises(ValidationError) as error:
        services.schedule_meeting(group=group, by=chair, **fields(**overrides))

    assert field in error.value.message_dict
    assert Meeting.objects.count() == 0
    assert Invitation.objects.count() == 0


def test_meeting_without_a_title_is_refused(group, chair):
    with pytest.raises(ValidationError) as error:
        services.schedule_meeting(group=group, by=chair, **fields(title_en="  "))
    assert "at least one language" in str(error.value)
    assert Meeting.objects.count() == 0


def test_online_meeting_needs_no_address(group, chair):
    meeting = services.schedule_meeting(
        group=group,
        by=chair,
        **fields(format=Meeting.Format.ONLINE, location="", online_url="https://meet.example.org/abc"),
    )
    assert meeting.format == Meeting.Format.ONLINE


# --- Changes and the calendar revision ------------------------------------------------------------


def test_changes_before_circulation_keep_the_first_revision(group, chair):
    meeting = make_meeting(group, chair)
    services.update_meeting(meeting=meeting, by=chair, starts_at=in_days(31), ends_at=in_days(31, 12))
    meeting.refresh_from_db()
    assert meeting.sequence == 0


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": in_days(30, 9)},
        {"ends_at": in_days(30, 13)},
        {"location": "Kunstberg, Brussels"},
        {"format": Meeting.Format.HYBRID, "online_url": "https://meet.example.org/new"},
        {"title_fr": "Nouveau titre"},
        {"description_de": "Neue Beschreibung"},  # the calendar event's DESCRIPTION
    ],
)
def test_a_change_calendars_must_apply_raises_the_revision_once(
    group, chair, focal_point, change, django_capture_on_commit_callbacks
):
    meeting = circulated(
        make_meeting(group, chair, starts_at=in_days(30, 10)), chair, django_capture_on_commit_callbacks
    )
    before = meeting.sequence

    updated = services.update_meeting(meeting=meeting, by=chair, **change)

    assert updated.sequence == before + 1
    meeting.refresh_from_db()
    assert meeting.sequence == before + 1


def test_several_changes_at_once_raise_the_revision_once(group, chair, django_capture_on_commit_callbacks):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)
    before = meeting.sequence
    services.update_meeting(
        meeting=meeting,
        by=chair,
        starts_at=in_days(31),
        ends_at=in_days(31, 12),
        location="Elsewhere",
        title_en="New",
    )
    meeting.refresh_from_db()
    assert meeting.sequence == before + 1


def test_a_change_invitees_do_not_see_does_not_raise_the_revision(
    group, chair, django_capture_on_commit_callbacks
):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)
    before = meeting.sequence
    services.update_meeting(meeting=meeting, by=chair, remind_unanswered_days=3, is_public=True)
    services.update_meeting(meeting=meeting, by=chair, location=meeting.location)  # same value
    services.update_meeting(meeting=meeting, by=chair, description_en=meeting.description_en)
    meeting.refresh_from_db()
    assert meeting.sequence == before


def test_changed_description_reaches_the_invitees_as_an_update(
    group, chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)
    OutboundMessage.objects.all().delete()

    updated = services.update_meeting(meeting=meeting, by=chair, description_en="Bring the draft plan.")
    queued = circulation.circulate_agenda(meeting=updated, by=chair)

    assert queued == meeting.invitations.filter(removed_at__isnull=True).count()
    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert row.subject.startswith("Updated:")
    assert "the description" in row.body_text and "the description" in row.body_html
    assert "Bring the draft plan." in row.alternatives[0]["content"]  # the calendar's DESCRIPTION
    assert f"SEQUENCE:{meeting.sequence + 1}" in row.alternatives[0]["content"]


def test_circulated_meeting_cannot_go_back_to_draft(group, chair, django_capture_on_commit_callbacks):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError) as error:
        services.update_meeting(meeting=meeting, by=chair, status=Meeting.Status.DRAFT)

    assert "can no longer go back to draft" in error.value.message_dict["status"][0]
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_draft_that_was_never_circulated_can_stay_a_draft(group, chair):
    meeting = make_meeting(group, chair, status=Meeting.Status.SCHEDULED)
    services.update_meeting(meeting=meeting, by=chair, status=Meeting.Status.DRAFT)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.DRAFT


def test_meeting_cannot_be_marked_held_before_it_starts(group, chair):
    meeting = make_meeting(group, chair, starts_at=in_days(3), status=Meeting.Status.SCHEDULED)

    with pytest.raises(ValidationError) as error:
        services.update_meeting(meeting=meeting, by=chair, status=Meeting.Status.HELD)

    assert "has not started yet" in error.value.message_dict["status"][0]
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_meeting_that_started_can_be_marked_held(group, chair):
    meeting = make_meeting(group, chair, starts_at=timezone.now() - timedelta(hours=1))
    services.update_meeting(meeting=meeting, by=chair, status=Meeting.Status.HELD)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.HELD


def test_bad_change_changes_nothing(group, chair, django_capture_on_commit_callbacks):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)
    before = (meeting.sequence, meeting.starts_at, meeting.ends_at)

    with pytest.raises(ValidationError):
        services.update_meeting(meeting=meeting, by=chair, ends_at=meeting.starts_at - timedelta(hours=1))

    meeting.refresh_from_db()
    assert (meeting.sequence, meeting.starts_at, meeting.ends_at) == before


def test_cancelled_meeting_cannot_be_changed(group, chair):
    meeting = make_meeting(group, chair, status=Meeting.Status.CANCELLED)
    with pytest.raises(ValidationError):
        services.update_meeting(meeting=meeting, by=chair, title_en="Revived")
    with pytest.raises(ValidationError):
        services.update_meeting(meeting=make_meeting(group, chair), by=chair, status=Meeting.Status.CANCELLED)


# --- Invitees ----------------------------------------------------------------------------------


def test_sync_removes_and_restores_group_invitations_and_keeps_personal_ones(
    group, chair, focal_point, outsider
):
    meeting = services.schedule_meeting(group=group, by=chair, **fields())
    guest = services.add_guest(
        meeting=meeting, email="Expert@University.example", name="Expert", language="fr"
    )
    personal = services.add_guest(meeting=meeting, email=outsider.user.email)
    Invitation.objects.filter(member=focal_point).update(rsvp=Invitation.Rsvp.ACCEPTED)

    services.update_meeting(meeting=meeting, by=chair, invite_whole_group=False)

    active = set(meeting.invitations.filter(removed_at__isnull=True).values_list("pk", flat=True))
    assert active == {guest.pk, personal.pk}
    assert meeting.invitations.filter(removed_at__isnull=False).count() == 2  # kept as history

    services.update_meeting(meeting=meeting, by=chair, invite_whole_group=True)

    assert services.sync_invitations(meeting=meeting) == ([], [])  # already in sync
    restored = meeting.invitations.get(member=focal_point)
    assert restored.removed_at is None
    assert restored.rsvp == Invitation.Rsvp.NONE  # an old answer does not come back


def test_sync_returns_who_was_added_and_removed(group, chair, focal_point):
    meeting = make_meeting(group, chair, invite_whole_group=True)
    added, removed = services.sync_invitations(meeting=meeting)
    assert {i.member_id for i in added} == {chair.pk, focal_point.pk} and removed == []

    Membership.objects.filter(member=focal_point).update(end=timezone.localdate())
    added, removed = services.sync_invitations(meeting=meeting)
    assert added == [] and [i.member_id for i in removed] == [focal_point.pk]


def test_guest_is_invited_by_email_without_an_account(group, chair):
    meeting = make_meeting(group, chair)
    invitation = services.add_guest(
        meeting=meeting, email=" Prof@University.EXAMPLE ", name="Prof", language="nl"
    )
    assert (invitation.member, invitation.email, invitation.language) == (
        None,
        "prof@university.example",
        "nl",
    )
    assert invitation.source == Source.GUEST


def test_members_address_invites_the_member_personally(group, chair, outsider):
    meeting = make_meeting(group, chair)
    invitation = services.add_guest(meeting=meeting, email=outsider.user.email.upper(), language="fr")
    assert invitation.member == outsider
    assert invitation.source == Source.PERSONAL
    assert invitation.language == outsider.language


@pytest.mark.parametrize("email", ["not-an-address", "", "a@b"])
def test_bad_guest_address_is_refused(group, chair, email):
    meeting = make_meeting(group, chair)
    with pytest.raises(ValidationError) as error:
        services.add_guest(meeting=meeting, email=email)
    assert "email" in error.value.message_dict
    assert meeting.invitations.count() == 0


def test_guest_invited_twice_is_refused(group, chair):
    meeting = make_meeting(group, chair)
    services.add_guest(meeting=meeting, email="guest@example.org")
    with pytest.raises(ValidationError) as error:
        services.add_guest(meeting=meeting, email="GUEST@example.org")
    assert "already invited" in str(error.value)
    assert meeting.invitations.count() == 1


def test_removed_guest_can_be_invited_again(group, chair):
    meeting = make_meeting(group, chair)
    invitation = services.add_guest(meeting=meeting, email="guest@example.org")
    services.remove_invitation(invitation=invitation)
    again = services.add_guest(meeting=meeting, email="guest@example.org")
    assert again.pk == invitation.pk and again.removed_at is None


def test_group_invitation_cannot_be_removed_one_by_one(group, chair, focal_point):
    meeting = services.schedule_meeting(group=group, by=chair, **fields())
    invitation = meeting.invitations.get(member=focal_point)
    with pytest.raises(ValidationError):
        services.remove_invitation(invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.removed_at is None


# --- After circulation: the added get the current version, the removed a cancellation ----------


def messages_to(email: str):
    return OutboundMessage.objects.filter(to_email=email)


def test_invitees_added_after_circulation_get_the_current_version(
    group, chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulated(
        services.schedule_meeting(group=group, by=chair, **fields()),
        chair,
        django_capture_on_commit_callbacks,
    )
    administration = AdministrationFactory()
    newcomer = make_member(None, language="fr", administration=administration)

    with django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(meeting=meeting, by=chair, invited_administrations=[administration])
        services.add_guest(meeting=meeting, email="expert@ngo.example", language="nl", by=chair)

    for address in (newcomer.user.email, "expert@ngo.example"):
        [message] = messages_to(address)
        assert "METHOD:REQUEST" in message.alternatives[0]["content"]
    assert meeting.invitations.get(member=newcomer).sent_sequence == meeting.sequence
    # Those who already had it get nothing new.
    assert messages_to(focal_point.user.email).count() == 1


def test_invitees_removed_after_circulation_get_a_cancellation(
    group, chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulated(
        services.schedule_meeting(group=group, by=chair, **fields()),
        chair,
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        guest = services.add_guest(meeting=meeting, email="guest@example.org", by=chair)
    Membership.objects.filter(member=focal_point).update(end=timezone.localdate())

    with django_capture_on_commit_callbacks(execute=True):
        services.sync_invitations(meeting=meeting, by=chair)
        services.remove_invitation(invitation=guest, by=chair)

    [guest_cancellation] = messages_to("guest@example.org").filter(alternatives__icontains="CANCEL")
    assert "METHOD:CANCEL" in guest_cancellation.alternatives[0]["content"]
    cancellation = messages_to(focal_point.user.email).order_by("-pk").first()
    assert "METHOD:CANCEL" in cancellation.alternatives[0]["content"]
    assert cancellation.alternatives[0]["mimetype"] == "text/calendar; method=CANCEL"


def test_nothing_is_sent_before_the_first_circulation(group, chair, django_capture_on_commit_callbacks):
    meeting = services.schedule_meeting(group=group, by=chair, **fields())
    with django_capture_on_commit_callbacks(execute=True):
        services.add_guest(meeting=meeting, email="guest@example.org")
        services.update_meeting(meeting=meeting, by=chair, invite_whole_group=False)
    assert OutboundMessage.objects.count() == 0


def test_added_invitee_is_queued_with_the_change_and_sent_after_commit(
    group, chair, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.add_guest(meeting=meeting, email="late@example.org")
    # The outbox row is written with the invitation; it goes out once the transaction commits.
    row = OutboundMessage.objects.get(to_email="late@example.org")
    assert row.status == OutboundMessage.Status.QUEUED
    assert mailoutbox == []
    assert len(callbacks) == 1


def test_added_invitee_whose_email_fails_to_render_is_not_added(
    group, chair, monkeypatch, django_capture_on_commit_callbacks
):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)

    def broken(*args, **kwargs):
        raise RuntimeError("a template error")

    monkeypatch.setattr(circulation.emails, "invitation_email", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        services.add_guest(meeting=meeting, email="late@example.org")

    # Nothing half done: no invitation the guest would never hear of.
    assert not meeting.invitations.filter(email="late@example.org").exists()
    assert not OutboundMessage.objects.filter(to_email="late@example.org").exists()


def test_removed_invitee_whose_cancellation_fails_to_render_stays_invited(
    group, chair, focal_point, monkeypatch, django_capture_on_commit_callbacks
):
    meeting = circulated(make_meeting(group, chair), chair, django_capture_on_commit_callbacks)
    count = OutboundMessage.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("a template error")

    monkeypatch.setattr(circulation.emails, "cancellation_email", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(meeting=meeting, by=chair, invite_whole_group=False)

    assert meeting.invitations.get(member=focal_point).removed_at is None
    assert Meeting.objects.get(pk=meeting.pk).invite_whole_group is True
    assert OutboundMessage.objects.count() == count


def test_personal_invitation_of_an_existing_member_is_kept_by_sync(group, chair, outsider):
    meeting = make_meeting(group, chair)
    invite(meeting, [outsider], source=Source.PERSONAL)
    services.sync_invitations(meeting=meeting)
    assert meeting.invitations.get(member=outsider).removed_at is None
