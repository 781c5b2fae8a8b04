"""Answering invitations (meetings.rsvp): the rules, the answer history, substitutes, link tokens."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import circulation, links, rsvp
from meetings.models import Invitation, Meeting, RsvpAnswer
from members.models import Membership
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import in_days, invite, make_items, make_meeting
from tests.meetings.helpers import circulated

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Channel = RsvpAnswer.Channel
Source = Invitation.Source


@pytest.fixture
def meeting(group, chair):
    return make_meeting(group, chair)


@pytest.fixture
def invitation(meeting, focal_point):
    return invite(meeting, [focal_point])[0]


def unchanged(invitation: Invitation) -> bool:
    """The invitation still has no answer and no answer history."""
    invitation.refresh_from_db()
    return invitation.rsvp == Rsvp.NONE and invitation.rsvp_at is None and not invitation.answers.exists()


def colleague_of(member, group, **fields):
    """Another member of the same administration (in the group unless `group` is None)."""
    return make_member(group, administration=member.administration, **fields)


# --- Answers -----------------------------------------------------------------------------------


def test_invitee_can_change_their_answer_and_the_history_keeps_every_answer(invitation, focal_point):
    rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=focal_point, channel=Channel.WEB)
    rsvp.record_rsvp(
        invitation=invitation, answer=Rsvp.DECLINED, by=focal_point, channel=Channel.WEB, comment=" Ill. "
    )

    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED
    assert invitation.rsvp_comment == "Ill."
    assert invitation.rsvp_at is not None
    history = list(invitation.answers.order_by("created_at", "pk"))
    assert [a.answer for a in history] == [Rsvp.ACCEPTED, Rsvp.DECLINED]
    assert all(a.answered_by == focal_point and a.channel == Channel.WEB for a in history)
    assert history[-1].created_at == invitation.rsvp_at


def test_invitee_can_answer_tentative_and_say_they_join_online(group, chair, focal_point):
    meeting = make_meeting(
        group, chair, format=Meeting.Format.HYBRID, online_url="https://meet.example.org/x"
    )
    invitation = invite(meeting, [focal_point])[0]

    rsvp.record_rsvp(
        invitation=invitation,
        answer=Rsvp.TENTATIVE,
        by=focal_point,
        channel=Channel.WEB,
        attendance_mode="online",
    )

    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.attendance_mode) == (Rsvp.TENTATIVE, "online")
    assert invitation.answers.get().attendance_mode == "online"


def test_declining_a_hybrid_meeting_forgets_how_one_would_have_joined(group, chair, focal_point):
    meeting = make_meeting(
        group, chair, format=Meeting.Format.HYBRID, online_url="https://meet.example.org/x"
    )
    invitation = invite(meeting, [focal_point])[0]
    rsvp.record_rsvp(
        invitation=invitation,
        answer=Rsvp.ACCEPTED,
        by=focal_point,
        channel=Channel.WEB,
        attendance_mode="on_site",
    )

    rsvp.record_rsvp(
        invitation=invitation,
        answer=Rsvp.DECLINED,
        by=focal_point,
        channel=Channel.WEB,
        attendance_mode="on_site",
    )

    invitation.refresh_from_db()
    assert invitation.attendance_mode == ""


def test_joining_online_cannot_be_chosen_for_a_meeting_on_site(invitation, focal_point):
    with pytest.raises(ValidationError) as error:
        rsvp.record_rsvp(
            invitation=invitation,
            answer=Rsvp.ACCEPTED,
            by=focal_point,
            channel=Channel.WEB,
            attendance_mode="online",
        )

    assert "attendance_mode" in error.value.error_dict
    assert unchanged(invitation)


@pytest.mark.parametrize("answer", ["none", "maybe", ""])
def test_unknown_answer_is_refused(invitation, focal_point, answer):
    with pytest.raises(ValidationError):
        rsvp.record_rsvp(invitation=invitation, answer=answer, by=focal_point, channel=Channel.WEB)
    assert unchanged(invitation)


def test_too_long_comment_is_refused(invitation, focal_point):
    with pytest.raises(ValidationError) as error:
        rsvp.record_rsvp(
            invitation=invitation,
            answer=Rsvp.ACCEPTED,
            by=focal_point,
            channel=Channel.WEB,
            comment="x" * 1001,
        )
    assert "comment" in error.value.error_dict
    assert unchanged(invitation)


def test_member_cannot_answer_for_someone_else(meeting, invitation, group):
    other = make_member(group)

    with pytest.raises(PermissionDenied):
        rsvp.record_rsvp(invitation=invitation, answer=Rsvp.DECLINED, by=other, channel=Channel.WEB)
    assert unchanged(invitation)


def test_member_cannot_use_the_chairs_channel_for_themself(invitation, focal_point):
    with pytest.raises(PermissionDenied):
        rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=focal_point, channel=Channel.CHAIR)
    assert unchanged(invitation)


def test_signed_out_answers_need_a_link_or_a_calendar(invitation):
    with pytest.raises(PermissionDenied):
        rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, channel=Channel.WEB)
    assert unchanged(invitation)

    rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, channel=Channel.EMAIL_LINK)
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.ACCEPTED


def test_nobody_answers_for_a_removed_invitee(invitation, chair):
    Invitation.objects.filter(pk=invitation.pk).update(removed_at=timezone.now())

    with pytest.raises(ValidationError, match="no longer invited"):
        rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=chair, channel=Channel.CHAIR)
    assert invitation.answers.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": Meeting.Status.CANCELLED}, "cancelled"),
        ({"status": Meeting.Status.HELD}, "already taken place"),
        ({"starts_at": in_days(-2), "ends_at": in_days(-2) + timedelta(hours=2)}, "already taken place"),
    ],
)
def test_nobody_answers_for_a_cancelled_or_past_meeting(
    meeting, invitation, focal_point, chair, change, message
):
    Meeting.objects.filter(pk=meeting.pk).update(**change)

    for by, channel in ((focal_point, Channel.WEB), (chair, Channel.CHAIR), (None, Channel.EMAIL_LINK)):
        with pytest.raises(ValidationError, match=message):
            rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=by, channel=channel)
    assert unchanged(invitation)


# --- The deadline ------------------------------------------------------------------------------


def past_deadline(meeting: Meeting) -> Meeting:
    Meeting.objects.filter(pk=meeting.pk).update(rsvp_deadline=timezone.now() - timedelta(hours=1))
    meeting.refresh_from_db()
    return meeting


def test_invitee_cannot_change_their_answer_after_the_deadline(meeting, invitation, focal_point):
    rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=focal_point, channel=Channel.WEB)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=5))
    past_deadline(meeting)

    for by, channel in ((focal_point, Channel.WEB), (None, Channel.EMAIL_LINK), (None, Channel.CALENDAR)):
        with pytest.raises(ValidationError, match="contact the chair or the secretariat"):
            rsvp.record_rsvp(invitation=invitation, answer=Rsvp.DECLINED, by=by, channel=channel)

    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.ACCEPTED
    assert invitation.answers.count() == 1


@pytest.mark.parametrize("manager", ["chair", "secretariat"])
def test_chair_and_secretariat_can_change_an_answer_after_the_deadline(
    request, meeting, invitation, focal_point, manager
):
    by = request.getfixturevalue(manager)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=5))
    past_deadline(meeting)

    rsvp.record_rsvp(
        invitation=invitation, answer=Rsvp.DECLINED, by=by, channel=Channel.CHAIR, comment="Phoned"
    )

    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED
    answer = invitation.answers.get()
    assert (answer.channel, answer.answered_by, answer.comment) == (Channel.CHAIR, by, "Phoned")


def test_observer_cannot_answer_for_others_even_before_the_deadline(meeting, invitation, observer):
    with pytest.raises(PermissionDenied):
        rsvp.record_rsvp(invitation=invitation, answer=Rsvp.DECLINED, by=observer, channel=Channel.CHAIR)
    assert unchanged(invitation)


def test_someone_invited_after_the_deadline_may_still_give_a_first_answer(group, chair, focal_point):
    meeting = make_meeting(group, chair, rsvp_deadline=timezone.now() - timedelta(days=1))
    late = invite(meeting, [focal_point], source=Source.SUBSTITUTE)[0]

    rsvp.record_rsvp(invitation=late, answer=Rsvp.ACCEPTED, by=focal_point, channel=Channel.WEB)

    with pytest.raises(ValidationError):
        rsvp.record_rsvp(invitation=late, answer=Rsvp.DECLINED, by=focal_point, channel=Channel.WEB)
    late.refresh_from_db()
    assert late.rsvp == Rsvp.ACCEPTED


# --- Substitutes -------------------------------------------------------------------------------


def test_invitee_sends_a_colleague_who_gets_their_own_invitation_and_answers_for_themself(
    group, chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    make_items(meeting, 1)
    invitation = invite(meeting, [focal_point])[0]
    circulated(meeting)
    colleague = colleague_of(focal_point, None, language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        substitute = rsvp.delegate(
            invitation=invitation, by=focal_point, substitute=colleague, comment="On leave"
        )

    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DELEGATED
    assert invitation.delegated_to == substitute
    assert invitation.rsvp_comment == "On leave"
    assert (substitute.member, substitute.source, substitute.language) == (colleague, Source.SUBSTITUTE, "fr")
    # The substitute got the meeting itself, in their own language, with the current revision.
    email = OutboundMessage.objects.get(to_email=colleague.user.email)
    assert email.language == "fr"
    substitute.refresh_from_db()
    assert substitute.sent_sequence == meeting.sequence

    rsvp.record_rsvp(invitation=substitute, answer=Rsvp.ACCEPTED, by=colleague, channel=Channel.WEB)
    substitute.refresh_from_db()
    invitation.refresh_from_db()
    assert substitute.rsvp == Rsvp.ACCEPTED
    assert invitation.rsvp == Rsvp.DELEGATED


def test_before_circulation_the_substitute_is_invited_but_sent_nothing_yet(
    meeting, invitation, focal_point, django_capture_on_commit_callbacks
):
    colleague = colleague_of(focal_point, None)

    with django_capture_on_commit_callbacks(execute=True):
        substitute = rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    assert substitute.member == colleague
    assert not OutboundMessage.objects.exists()


def test_invitee_sends_a_colleague_without_an_account_as_a_guest(
    group, chair, django_capture_on_commit_callbacks
):
    member = make_member(group, language="nl")
    meeting = make_meeting(group, chair)
    make_items(meeting, 1)
    invitation = invite(meeting, [member])[0]
    circulated(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        substitute = rsvp.delegate(
            invitation=invitation, by=member, email=" New.Colleague@Example.BE ", name="Nieuwe Collega"
        )

    assert substitute.member is None
    assert (substitute.email, substitute.name) == ("new.colleague@example.be", "Nieuwe Collega")
    assert (substitute.source, substitute.language) == (Source.SUBSTITUTE, "nl")
    assert OutboundMessage.objects.filter(to_email="new.colleague@example.be").count() == 1
    invitation.refresh_from_db()
    assert invitation.delegated_to == substitute

    # The guest answers for themself, through their own link.
    rsvp.record_rsvp(invitation=substitute, answer=Rsvp.TENTATIVE, channel=Channel.EMAIL_LINK)
    substitute.refresh_from_db()
    assert substitute.rsvp == Rsvp.TENTATIVE


def test_email_of_a_colleague_on_the_platform_invites_that_member(meeting, invitation, focal_point):
    colleague = colleague_of(focal_point, None)

    substitute = rsvp.delegate(invitation=invitation, by=focal_point, email=colleague.user.email.upper())

    assert substitute.member == colleague
    assert substitute.email == ""


def test_colleague_already_invited_keeps_their_invitation_and_is_sent_nothing_more(
    group, chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    colleague = colleague_of(focal_point, group)
    invitation, theirs = invite(meeting, [focal_point, colleague])
    circulated(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        substitute = rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    assert substitute.pk == theirs.pk
    assert substitute.source == Source.GROUP
    assert meeting.invitations.count() == 2
    assert not OutboundMessage.objects.exists()


def test_removed_substitute_is_invited_again_without_their_old_answer(meeting, invitation, focal_point):
    colleague = colleague_of(focal_point, None)
    (old,) = invite(
        meeting, [colleague], source=Source.PERSONAL, rsvp=Rsvp.DECLINED, removed_at=timezone.now()
    )

    substitute = rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    assert substitute.pk == old.pk
    substitute.refresh_from_db()
    assert (substitute.removed_at, substitute.rsvp, substitute.source) == (None, Rsvp.NONE, Source.SUBSTITUTE)


@pytest.mark.parametrize("who", ["other administration", "inactive", "oneself"])
def test_substitute_must_be_an_active_colleague_of_the_same_administration(
    meeting, invitation, focal_point, group, who
):
    if who == "other administration":
        substitute = make_member(group)
    elif who == "inactive":
        substitute = colleague_of(focal_point, None)
        substitute.deactivated_at = timezone.now()
        substitute.save()
    else:
        substitute = focal_point

    with pytest.raises(ValidationError) as error:
        rsvp.delegate(invitation=invitation, by=focal_point, substitute=substitute)

    assert "substitute" in error.value.error_dict
    assert unchanged(invitation)
    assert meeting.invitations.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "substitute"),
        ({"email": "not-an-address"}, "substitute_email"),
        ({"email": "own address"}, "substitute_email"),
        ({"email": "x@example.org", "language": "xx"}, "language"),
    ],
)
def test_bad_substitute_input_is_refused_and_changes_nothing(meeting, invitation, focal_point, fields, field):
    if fields.get("email") == "own address":
        fields = {"email": focal_point.user.email.upper()}
    with pytest.raises(ValidationError) as error:
        rsvp.delegate(invitation=invitation, by=focal_point, **fields)
    assert field in error.value.error_dict
    assert unchanged(invitation)
    assert meeting.invitations.count() == 1


def test_delegated_is_not_recorded_without_naming_the_substitute(invitation, focal_point):
    with pytest.raises(ValidationError):
        rsvp.record_rsvp(invitation=invitation, answer=Rsvp.DELEGATED, by=focal_point, channel=Channel.WEB)
    assert unchanged(invitation)


def test_attending_after_all_unlinks_the_substitute_who_stays_invited(meeting, invitation, focal_point):
    colleague = colleague_of(focal_point, None)
    substitute = rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=focal_point, channel=Channel.WEB)

    invitation.refresh_from_db()
    assert invitation.delegated_to is None
    assert Invitation.objects.filter(pk=substitute.pk, removed_at__isnull=True).exists()
    assert [a.answer for a in invitation.answers.order_by("pk")] == [Rsvp.DELEGATED, Rsvp.ACCEPTED]


def test_substitute_cannot_send_back_the_one_who_sent_them(meeting, invitation, focal_point):
    colleague = colleague_of(focal_point, None)
    substitute = rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    with pytest.raises(ValidationError):
        rsvp.delegate(invitation=substitute, by=colleague, substitute=focal_point)
    substitute.refresh_from_db()
    assert substitute.rsvp == Rsvp.NONE


def test_chair_can_send_a_substitute_for_an_invitee_after_the_deadline(
    meeting, invitation, focal_point, chair
):
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=5))
    past_deadline(meeting)
    colleague = colleague_of(focal_point, None)

    substitute = rsvp.delegate(invitation=invitation, by=chair, substitute=colleague, channel=Channel.CHAIR)

    invitation.refresh_from_db()
    assert invitation.delegated_to == substitute
    assert invitation.answers.get().answered_by == chair
    # Invited after the deadline, the substitute can still say whether they come.
    rsvp.record_rsvp(invitation=substitute, answer=Rsvp.ACCEPTED, by=colleague, channel=Channel.WEB)


# --- Tokens of the one-click links ---------------------------------------------------------------


def test_token_finds_its_invitation(invitation):
    found, problem = links.invitation_from_token(links.answer_token(invitation))

    assert problem is None
    assert found == invitation


@pytest.mark.parametrize(
    "make_token",
    [
        lambda i: links.answer_token(i)[:-1] + ("A" if links.answer_token(i)[-1] != "A" else "B"),
        lambda i: "garbage",
        lambda i: "",
        lambda i: signing.dumps([i.pk, i.meeting_id], salt="members.join", compress=False),
        lambda i: signing.dumps([i.pk, i.meeting_id + 1000], salt=links.TOKEN_SALT, compress=False),
        lambda i: signing.dumps({"i": i.pk}, salt=links.TOKEN_SALT),
        lambda i: signing.dumps([True, i.meeting_id], salt=links.TOKEN_SALT),
    ],
    ids=["tampered", "garbage", "empty", "other salt", "other meeting", "other shape", "not an id"],
)
def test_tampered_or_foreign_token_is_invalid(invitation, make_token):
    found, problem = links.invitation_from_token(make_token(invitation))

    assert (found, problem) == (None, links.Problem.INVALID)


def test_token_of_one_meeting_does_not_open_an_invitation_of_another(group, chair, focal_point, invitation):
    other = invite(make_meeting(group, chair), [focal_point])[0]
    forged = signing.dumps([other.pk, invitation.meeting_id], salt=links.TOKEN_SALT, compress=False)

    assert links.invitation_from_token(forged) == (None, links.Problem.INVALID)


def test_token_expires_when_the_meeting_ends(meeting, invitation):
    token = links.answer_token(invitation)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(minutes=1)
    )

    found, problem = links.invitation_from_token(token)

    assert (found, problem) == (invitation, links.Problem.EXPIRED)


def test_token_of_a_removed_invitee_or_a_cancelled_meeting_does_not_work(meeting, invitation, focal_point):
    token = links.answer_token(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(removed_at=timezone.now())
    assert links.invitation_from_token(token)[1] == links.Problem.REMOVED

    Invitation.objects.filter(pk=invitation.pk).update(removed_at=None)
    focal_point.deactivated_at = timezone.now()
    focal_point.save()
    assert links.invitation_from_token(token)[1] == links.Problem.REMOVED

    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    assert links.invitation_from_token(token)[1] == links.Problem.CANCELLED


def test_every_invitation_has_its_own_token(meeting, group):
    first, second = invite(meeting, [make_member(group), make_member(group)])

    assert links.answer_token(first) != links.answer_token(second)
    assert links.invitation_from_token(links.answer_token(second))[0] == second


def test_membership_role_does_not_matter_for_ones_own_answer(group, chair):
    substitute_member = make_member(group, Membership.Role.SUBSTITUTE)
    meeting = make_meeting(group, chair)
    invitation = invite(meeting, [substitute_member])[0]

    rsvp.record_rsvp(invitation=invitation, answer=Rsvp.ACCEPTED, by=substitute_member, channel=Channel.WEB)

    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.ACCEPTED


# --- Observers: they say whether they come, but send nobody ----------------------------------------


@pytest.fixture
def observer_invitation(meeting, observer):
    """The observer, invited with the whole group."""
    return invite(meeting, [observer], source=Source.GROUP)[0]


def test_observer_can_accept_and_decline(observer_invitation, observer):
    rsvp.record_rsvp(invitation=observer_invitation, answer=Rsvp.ACCEPTED, by=observer, channel=Channel.WEB)
    rsvp.record_rsvp(invitation=observer_invitation, answer=Rsvp.DECLINED, by=observer, channel=Channel.WEB)

    observer_invitation.refresh_from_db()
    assert observer_invitation.rsvp == Rsvp.DECLINED


@pytest.mark.parametrize("how", ["colleague", "outside address", "from the link", "by the chair"])
def test_observer_cannot_send_a_substitute(meeting, observer_invitation, observer, chair, how):
    colleague = colleague_of(observer, None)
    if how == "colleague":
        call = {"by": observer, "substitute": colleague}
    elif how == "outside address":
        call = {"by": observer, "email": "friend@elsewhere.example", "name": "A Friend"}
    elif how == "from the link":
        call = {"by": None, "email": colleague.user.email, "channel": Channel.EMAIL_LINK}
    else:
        call = {"by": chair, "substitute": colleague, "channel": Channel.CHAIR}

    with pytest.raises(ValidationError) as error:
        rsvp.delegate(invitation=observer_invitation, **call)

    assert "cannot send someone in their place" in error.value.message_dict["answer"][0]
    assert unchanged(observer_invitation)
    assert meeting.invitations.count() == 1  # no guest invitation for the outside address


def test_observer_invited_personally_keeps_the_rules_of_a_personal_invitation(meeting, observer):
    (invitation,) = invite(meeting, [observer], source=Source.PERSONAL)

    substitute = rsvp.delegate(invitation=invitation, by=observer, substitute=colleague_of(observer, None))

    invitation.refresh_from_db()
    assert invitation.delegated_to == substitute


def test_member_of_an_invited_administration_outside_the_group_may_send_a_substitute(meeting):
    outside = make_member(None)
    (invitation,) = invite(meeting, [outside], source=Source.ADMINISTRATION)

    substitute = rsvp.delegate(invitation=invitation, by=outside, substitute=colleague_of(outside, None))

    assert substitute.member.administration == outside.administration


def test_observers_invitation_email_offers_no_substitute_link(group, chair, focal_point, observer):
    meeting = make_meeting(group, chair)  # the whole group is invited
    make_items(meeting, 1)

    circulation.circulate_agenda(meeting=meeting, by=chair)

    to_observer = OutboundMessage.objects.get(to_email=observer.user.email)
    to_member = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert "?a=delegated" not in to_observer.body_text and "?a=delegated" not in to_observer.body_html
    assert "?a=accepted" in to_observer.body_text and "?a=declined" in to_observer.body_text
    assert "?a=delegated" in to_member.body_text


# --- The substitute's invitation is queued with the answer -----------------------------------------


def test_substitutes_invitation_is_queued_with_the_answer(
    group, chair, focal_point, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    make_items(meeting, 1)
    (invitation,) = invite(meeting, [focal_point])
    circulated(meeting)
    colleague = colleague_of(focal_point, None)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    # In the answer's transaction: the row exists before commit; only delivery waits for it.
    row = OutboundMessage.objects.get(to_email=colleague.user.email)
    assert row.status == OutboundMessage.Status.QUEUED
    assert mailoutbox == [] and len(callbacks) == 1


def test_substitute_whose_invitation_fails_to_render_is_not_sent_and_the_answer_is_not_saved(
    group, chair, focal_point, monkeypatch, django_capture_on_commit_callbacks
):
    meeting = make_meeting(group, chair)
    make_items(meeting, 1)
    (invitation,) = invite(meeting, [focal_point])
    circulated(meeting)
    colleague = colleague_of(focal_point, None)

    def broken(*args, **kwargs):
        raise RuntimeError("a template error")

    monkeypatch.setattr(circulation.emails, "invitation_email", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    # Not "delegated" to someone who was never told.
    assert unchanged(invitation)
    assert not meeting.invitations.filter(member=colleague).exists()
    assert not OutboundMessage.objects.exists()
