"""The minutes, step by step through the services: who may do what at each step, and bad input."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import minutes as service
from meetings.models import ActionItem, Attendance, Decision, Meeting, Minutes, MinutesComment, MinutesVersion
from meetings.signals import minutes_approved
from members.outbox import Kind, OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import in_days, make_items, make_meeting
from tests.meetings.minutes_factories import attended, held_meeting

pytestmark = pytest.mark.django_db


def _start(group, secretariat, items: int = 2) -> Minutes:
    meeting = held_meeting(group, secretariat)
    make_items(meeting, items)
    return service.start_minutes(meeting=meeting, by=secretariat, language="en")


def _decide(minutes: Minutes, item, by, *texts: str, actions=()):
    return service.save_item(
        item=item,
        by=by,
        summary={"en": f"Summary of {item.title_en}"},
        decisions=[service.DecisionText(text={"en": text}) for text in texts],
        actions=list(actions),
    )


def _deadline(days: int = 7):
    return timezone.now() + timedelta(days=days)


# --- Starting ------------------------------------------------------------------------------------


def test_start_makes_one_item_per_agenda_item_in_every_language(group, chair, secretariat):
    minutes = _start(group, secretariat, items=3)
    items = list(minutes.items.order_by("position"))
    assert [(i.title_en, i.title_fr, i.agenda_item_id is not None) for i in items] == [
        ("Item 1", "Point 1", True),
        ("Item 2", "Point 2", True),
        ("Item 3", "Point 3", True),
    ]
    assert minutes.chair == chair  # the group's chair, not the organiser
    assert minutes.version == 1 and minutes.versions.count() == 1


def test_start_falls_back_to_the_organiser_without_a_chair(group, secretariat):
    minutes = _start(group, secretariat)
    assert minutes.chair == secretariat


def test_start_is_refused_for_a_future_meeting_or_twice(group, secretariat):
    future = make_meeting(group, secretariat, starts_at=in_days(5))
    with pytest.raises(ValidationError):
        service.start_minutes(meeting=future, by=secretariat)
    minutes = _start(group, secretariat)
    with pytest.raises(ValidationError):
        service.start_minutes(meeting=minutes.meeting, by=secretariat)
    assert Minutes.objects.count() == 1


def test_start_is_refused_for_a_cancelled_meeting(group, secretariat):
    meeting = make_meeting(group, secretariat, starts_at=in_days(-3), status=Meeting.Status.CANCELLED)
    with pytest.raises(ValidationError):
        service.start_minutes(meeting=meeting, by=secretariat)


@pytest.mark.parametrize("persona", ["focal_point", "observer", "outsider"])
def test_only_managers_start_minutes(request, group, secretariat, persona):
    meeting = held_meeting(group, secretariat)
    with pytest.raises(PermissionDenied):
        service.start_minutes(meeting=meeting, by=request.getfixturevalue(persona))


# --- Writing, numbering, versions ------------------------------------------------------------


def test_decisions_are_numbered_by_year_meeting_and_order(group, chair, secretariat):
    year = timezone.localtime(in_days(-3)).year
    # An earlier meeting of the same year, and a cancelled one that does not count.
    earlier = in_days(-3) - timedelta(days=1)
    if earlier.year == year:
        make_meeting(group, secretariat, starts_at=earlier, status=Meeting.Status.HELD)
        make_meeting(group, secretariat, starts_at=earlier, status=Meeting.Status.CANCELLED)
    minutes = _start(group, secretariat)
    ordinal = service.meeting_ordinal(minutes.meeting)
    first, second = minutes.items.order_by("position")
    _decide(minutes, second, secretariat, "B1")
    _decide(minutes, first, secretariat, "A1", "A2")
    numbers = list(Decision.objects.filter(minutes=minutes).values_list("text_en", "number"))
    assert numbers == [
        ("A1", f"{year}/{ordinal:02d}-1"),
        ("A2", f"{year}/{ordinal:02d}-2"),
        ("B1", f"{year}/{ordinal:02d}-3"),
    ]
    assert ordinal == (2 if earlier.year == year else 1)


def test_every_save_keeps_a_version(group, secretariat):
    minutes = _start(group, secretariat)
    item = minutes.items.first()
    _decide(minutes, item, secretariat, "Agreed")
    minutes.refresh_from_db()
    assert minutes.version == 2
    version = MinutesVersion.objects.get(minutes=minutes, number=2)
    assert version.saved_by == secretariat
    saved = version.content["items"][0]
    assert saved["summary"]["en"] == "Summary of Item 1"
    assert saved["decisions"][0]["text"]["en"] == "Agreed"


def test_decisions_and_actions_can_be_edited_and_removed(group, secretariat):
    minutes = _start(group, secretariat)
    item = minutes.items.first()
    owner = secretariat.administration
    _decide(
        minutes,
        item,
        secretariat,
        "One",
        "Two",
        actions=[service.ActionText(text={"en": "Do"}, owner_administration=owner)],
    )
    one = Decision.objects.get(text_en="One")
    action = ActionItem.objects.get()
    service.save_item(
        item=item,
        by=secretariat,
        summary={"en": "x"},
        decisions=[service.DecisionText(text={"en": "One, amended"}, pk=one.pk)],
        actions=[
            service.ActionText(
                text={"en": "Done"}, owner_administration=owner, status=ActionItem.Status.DONE, pk=action.pk
            )
        ],
    )
    assert list(Decision.objects.values_list("pk", "text_en")) == [(one.pk, "One, amended")]
    assert list(ActionItem.objects.values_list("pk", "text_en", "status")) == [(action.pk, "Done", "done")]


def test_any_other_business_can_be_added_and_removed_but_agenda_items_stay(group, secretariat):
    minutes = _start(group, secretariat)
    added = service.add_item(minutes=minutes, by=secretariat, title={"en": "Any other business"})
    assert added.is_added and added.position == 3
    agenda_item = minutes.items.order_by("position").first()
    with pytest.raises(ValidationError):
        service.remove_item(item=agenda_item, by=secretariat)
    service.remove_item(item=added, by=secretariat)
    assert minutes.items.count() == 2


def test_an_item_needs_a_title(group, secretariat):
    minutes = _start(group, secretariat)
    with pytest.raises(ValidationError):
        service.add_item(minutes=minutes, by=secretariat, title={"en": "  "})
    assert minutes.items.count() == 2


def test_the_chair_can_edit_and_a_focal_point_cannot(group, chair, secretariat, focal_point):
    minutes = _start(group, secretariat)
    item = minutes.items.first()
    _decide(minutes, item, chair, "By the chair")
    with pytest.raises(PermissionDenied):
        _decide(minutes, item, focal_point, "By a member")
    assert list(Decision.objects.values_list("text_en", flat=True)) == ["By the chair"]


def test_approved_minutes_cannot_be_edited(group, chair, secretariat):
    minutes = _start(group, secretariat)
    item = minutes.items.first()
    _decide(minutes, item, secretariat, "Before")
    service.approve(minutes=minutes, by=chair)
    with pytest.raises(ValidationError):
        _decide(minutes, item, secretariat, "After")
    with pytest.raises(ValidationError):
        service.add_item(minutes=minutes, by=secretariat, title={"en": "Late"})
    assert list(Decision.objects.values_list("text_en", flat=True)) == ["Before"]


# --- Comments ------------------------------------------------------------------------------------


def _out_for_comments(group, secretariat, audience=Minutes.Audience.ATTENDEES, days=7) -> Minutes:
    minutes = _start(group, secretariat)
    service.send_for_comments(minutes=minutes, by=secretariat, audience=audience, deadline=_deadline(days))
    minutes.refresh_from_db()
    return minutes


def test_send_for_comments_needs_a_future_deadline(group, secretariat):
    minutes = _start(group, secretariat)
    with pytest.raises(ValidationError):
        service.send_for_comments(
            minutes=minutes, by=secretariat, audience=Minutes.Audience.GROUP, deadline=_deadline(-1)
        )
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.DRAFT


def test_an_attendee_comments_and_the_secretariat_settles(group, secretariat, focal_point):
    meeting = held_meeting(group, secretariat)
    make_items(meeting, 2)
    attended(meeting, focal_point)
    minutes = service.start_minutes(meeting=meeting, by=secretariat)
    service.send_for_comments(
        minutes=minutes, by=secretariat, audience=Minutes.Audience.ATTENDEES, deadline=_deadline()
    )
    item = minutes.items.first()
    comment = service.add_comment(minutes=minutes, by=focal_point, text="Add our figures.", item=item)
    settled = service.settle_comment(comment=comment, by=secretariat, accept=True, reply="Added.")
    assert (settled.status, settled.resolution, settled.resolved_by) == ("accepted", "Added.", secretariat)
    with pytest.raises(ValidationError):  # settled once
        service.settle_comment(comment=comment, by=secretariat, accept=False, reply="No.")


def test_settling_needs_a_word_and_a_manager(group, secretariat, focal_point):
    minutes = _out_for_comments(group, secretariat, audience=Minutes.Audience.GROUP)
    comment = service.add_comment(minutes=minutes, by=focal_point, text="Hm.")
    with pytest.raises(ValidationError):
        service.settle_comment(comment=comment, by=secretariat, accept=False, reply=" ")
    with pytest.raises(PermissionDenied):
        service.settle_comment(comment=comment, by=focal_point, accept=True, reply="Mine")
    assert MinutesComment.objects.get().status == MinutesComment.Status.OPEN


def test_someone_who_did_not_attend_cannot_comment_on_minutes_for_attendees(group, secretariat, focal_point):
    minutes = _out_for_comments(group, secretariat)
    with pytest.raises(ValidationError):
        service.add_comment(minutes=minutes, by=focal_point, text="Me too")


def test_an_observer_cannot_comment_and_an_outsider_neither(group, secretariat, observer, outsider):
    minutes = _out_for_comments(group, secretariat, audience=Minutes.Audience.GROUP)
    for member in (observer, outsider):
        with pytest.raises(ValidationError):
            service.add_comment(minutes=minutes, by=member, text="Hello")
    assert not MinutesComment.objects.exists()


def test_a_comment_after_the_deadline_is_refused(group, secretariat, focal_point):
    minutes = _out_for_comments(group, secretariat, audience=Minutes.Audience.GROUP)
    Minutes.objects.filter(pk=minutes.pk).update(comment_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="deadline"):
        service.add_comment(minutes=minutes, by=focal_point, text="Too late")
    assert not MinutesComment.objects.exists()


def test_a_draft_takes_no_comments(group, secretariat, focal_point):
    minutes = _start(group, secretariat)
    with pytest.raises(ValidationError):
        service.add_comment(minutes=minutes, by=focal_point, text="Early")


def test_the_comment_audience_of_attendees_counts_representatives(group, secretariat, focal_point):
    meeting = held_meeting(group, secretariat)
    absent = make_member(group)
    invitation = attended(meeting, absent, Attendance.Status.EXCUSED)
    Attendance.objects.filter(invitation=invitation).update(represented_by=focal_point)
    minutes = service.start_minutes(meeting=meeting, by=secretariat)
    assert service.comment_audience(minutes, Minutes.Audience.ATTENDEES) == [focal_point]


# --- Approval ------------------------------------------------------------------------------------


def test_the_chair_approves_once_and_the_signal_follows_the_commit(
    group, chair, secretariat, django_capture_on_commit_callbacks
):
    minutes = _start(group, secretariat)
    received = []

    def receiver(sender, minutes, by, **kwargs):
        received.append((minutes.pk, by))

    minutes_approved.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            service.approve(minutes=minutes, by=chair)
        assert received == [(minutes.pk, chair)]
        with pytest.raises(ValidationError, match="already approved"):
            service.approve(minutes=minutes, by=chair)
    finally:
        minutes_approved.disconnect(receiver)
    minutes.refresh_from_db()
    assert (minutes.status, minutes.approved_by) == (Minutes.Status.APPROVED, chair)
    assert minutes.approved_at is not None


def test_the_secretariat_cannot_approve_in_the_chairs_name(group, chair, secretariat):
    minutes = _start(group, secretariat)
    with pytest.raises(PermissionDenied):
        service.approve(minutes=minutes, by=secretariat)


def test_approval_at_a_later_meeting_links_the_two(group, chair, secretariat):
    minutes = _start(group, secretariat)
    later = make_meeting(group, secretariat, starts_at=in_days(10))
    earlier = make_meeting(group, secretariat, starts_at=in_days(-20))
    with pytest.raises(ValidationError):
        service.approve_at_meeting(minutes=minutes, by=secretariat, meeting=earlier)
    service.approve_at_meeting(minutes=minutes, by=secretariat, meeting=later)
    minutes.refresh_from_db()
    assert minutes.approved_at_meeting == later
    assert list(later.minutes_approved_here.all()) == [minutes]


def test_approval_at_a_meeting_of_another_group_is_refused(group, other_group, secretariat, chair):
    minutes = _start(group, secretariat)
    elsewhere = make_meeting(other_group, None, starts_at=in_days(10))
    with pytest.raises(ValidationError):
        service.approve_at_meeting(minutes=minutes, by=secretariat, meeting=elsewhere)
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.DRAFT


def test_numbers_are_frozen_at_approval(group, chair, secretariat):
    minutes = _start(group, secretariat)
    _decide(minutes, minutes.items.first(), secretariat, "Kept")
    number = Decision.objects.get().number
    service.approve(minutes=minutes, by=chair)
    make_meeting(group, secretariat, starts_at=minutes.meeting.starts_at - timedelta(hours=3), status="held")
    assert Decision.objects.get().number == number


# --- Publication and emails -------------------------------------------------------------------


def test_publish_needs_approval_and_happens_once(group, chair, secretariat):
    minutes = _start(group, secretariat)
    with pytest.raises(ValidationError):
        service.publish(minutes=minutes, by=secretariat)
    service.approve(minutes=minutes, by=chair)
    service.publish(minutes=minutes, by=secretariat)
    with pytest.raises(ValidationError):
        service.publish(minutes=minutes, by=secretariat)
    minutes.refresh_from_db()
    assert (minutes.status, minutes.published_by) == (Minutes.Status.PUBLISHED, secretariat)


def test_a_focal_point_cannot_publish(group, chair, secretariat, focal_point):
    minutes = _start(group, secretariat)
    service.approve(minutes=minutes, by=chair)
    with pytest.raises(PermissionDenied):
        service.publish(minutes=minutes, by=focal_point)


def test_emails_for_comments_reach_the_audience_only_in_their_language_without_the_text(
    group, chair, secretariat, focal_point, observer, outsider
):
    meeting = held_meeting(group, secretariat)
    make_items(meeting, 1)
    attended(meeting, focal_point)
    attended(meeting, observer)
    minutes = service.start_minutes(meeting=meeting, by=secretariat)
    secret = "Confidential budget figure 4711"
    service.save_item(
        item=minutes.items.first(), by=secretariat, summary={"en": secret}, decisions=[], actions=[]
    )
    count = service.send_for_comments(
        minutes=minutes, by=secretariat, audience=Minutes.Audience.ATTENDEES, deadline=_deadline()
    )
    messages = list(OutboundMessage.objects.filter(kind=Kind.MINUTES))
    assert count == 2
    assert sorted((m.to_email, m.language) for m in messages) == sorted(
        [(focal_point.user.email, "en"), (observer.user.email, "de")]
    )
    for message in messages:
        assert secret not in message.body_text and secret not in message.body_html
        assert f"/meetings/{meeting.pk}/minutes/" in message.body_text
    german = next(m for m in messages if m.language == "de")
    english = next(m for m in messages if m.language == "en")
    assert german.subject != english.subject  # each in its own language (the catalogue may lag: not equal)


def test_emails_on_publication_reach_the_group_and_the_invitees_once(
    group, chair, secretariat, focal_point, observer, outsider
):
    meeting = held_meeting(group, secretariat)
    attended(meeting, focal_point)
    guest_member = make_member(None, language="fr")
    attended(meeting, guest_member)
    minutes = service.start_minutes(meeting=meeting, by=secretariat)
    service.approve(minutes=minutes, by=chair)
    count = service.publish(minutes=minutes, by=secretariat)
    to = sorted(OutboundMessage.objects.filter(kind=Kind.MINUTES).values_list("to_email", flat=True))
    expected = sorted(m.user.email for m in (chair, secretariat, focal_point, observer, guest_member))
    assert count == 5 and to == expected
    assert outsider.user.email not in to
    languages = dict(OutboundMessage.objects.values_list("to_email", "language"))
    assert languages[chair.user.email] == "nl" and languages[guest_member.user.email] == "fr"
