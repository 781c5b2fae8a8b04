"""Approved minutes' action items become commitments: meetings.signals.minutes_approved, received by
coordination (receivers.py, connected in apps.py), which calls services.commitments_from_minutes."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from coordination import services
from coordination.models import Commitment
from meetings import minutes as minutes_service
from meetings.models import ActionItem, Minutes
from meetings.signals import minutes_approved
from members.models import Membership
from tests.factories import AdministrationFactory, make_member
from tests.meetings.factories import speaks
from tests.meetings.minutes_factories import held_meeting, make_minutes

pytestmark = pytest.mark.django_db
TRACKER = "/commitments/tracker/"


@pytest.fixture
def ministry():
    return AdministrationFactory(acronym="FPSE")


@pytest.fixture
def minutes(group, chair, ministry):
    """Approved minutes of a held meeting: three items, one action each, owned by `ministry`."""
    meeting = held_meeting(group, chair)
    return make_minutes(meeting, status=Minutes.Status.APPROVED, chair=chair, owner_administration=ministry)


def _approve(minutes: Minutes, by=None) -> None:
    minutes_approved.send(sender=Minutes, minutes=minutes, by=by)


def test_sending_the_signal_makes_one_commitment_per_action_item(minutes, chair, group, ministry):
    _approve(minutes, by=chair)

    actions = list(minutes.actions.order_by("item__position", "position"))
    commitments = list(
        Commitment.objects.filter(action_item__minutes=minutes).order_by("action_item__item__position")
    )
    assert len(commitments) == len(actions) == 3
    commitment, action = commitments[0], actions[0]
    assert commitment.action_item == action
    assert commitment.edition is None  # outside any plan
    assert commitment.owner_group == group
    assert commitment.source == Commitment.Source.MEETING_DECISION
    assert commitment.title_en == action.text_en
    assert commitment.title_fr == action.text_fr
    assert commitment.title_nl == commitment.title_de == ""
    assert commitment.description_en == ""  # the title holds the whole text
    assert commitment.lead_administration == ministry
    assert list(commitment.parts.values_list("administration", flat=True)) == [ministry.pk]
    assert commitment.due_date == action.due_date
    assert commitment.is_public is False
    assert commitment.created_by == chair


def test_source_reference_names_the_meeting_and_its_date(minutes):
    _approve(minutes)
    meeting = minutes.meeting
    commitment = Commitment.objects.filter(action_item__minutes=minutes).first()
    day = date_format(timezone.localtime(meeting.starts_at).date(), "DATE_FORMAT")
    assert meeting.title_en in commitment.source_reference  # the minutes are written in English
    assert day in commitment.source_reference


def test_sending_twice_makes_nothing_more(minutes, chair):
    _approve(minutes, by=chair)
    first = set(Commitment.objects.values_list("pk", flat=True))
    _approve(minutes, by=chair)
    assert set(Commitment.objects.values_list("pk", flat=True)) == first
    assert services.commitments_from_minutes(minutes=minutes, by=chair) == []


def test_an_action_added_later_gets_its_commitment_and_only_it(minutes, chair, ministry):
    _approve(minutes, by=chair)
    first = minutes.actions.first()
    later = ActionItem.objects.create(
        item=first.item, minutes=minutes, position=9, text_en="Report back.", owner_administration=ministry
    )
    made = services.commitments_from_minutes(minutes=minutes, by=chair)
    assert [c.action_item_id for c in made] == [later.pk]
    assert Commitment.objects.count() == 4


def test_the_action_item_stays_open(minutes):
    _approve(minutes)
    assert set(minutes.actions.values_list("status", flat=True)) == {ActionItem.Status.OPEN}


def test_the_owner_of_the_administration_reports_on_it(minutes, ministry, other_group):
    owner = make_member(other_group, Membership.Role.MEMBER, administration=ministry)
    minutes.actions.update(owner=owner)
    _approve(minutes)
    commitment = Commitment.objects.filter(action_item__minutes=minutes).first()
    assert list(commitment.parts.get().focal_points.all()) == [owner]


def test_an_owner_from_another_administration_is_not_a_focal_point(minutes, focal_point):
    minutes.actions.update(owner=focal_point)  # focal_point's administration is not the owner one
    _approve(minutes)
    commitment = Commitment.objects.filter(action_item__minutes=minutes).first()
    assert not commitment.parts.get().focal_points.exists()


def test_the_commitment_shows_in_the_tracker_of_the_administrations_focal_point(
    client, minutes, ministry, other_group
):
    # Not in the meeting's group: sees the commitment as the focal point of its part.
    owner = make_member(other_group, Membership.Role.MEMBER, administration=ministry)
    minutes.actions.update(owner=owner)
    _approve(minutes)
    speaks(owner, "en")
    client.force_login(owner.user)
    response = client.get(TRACKER)
    assert response.status_code == 200
    assert "3 commitments found" in response.text
    assert "Send the figures for item 1." in response.text


def test_nobody_outside_sees_the_commitment(client, minutes, outsider):
    _approve(minutes)
    speaks(outsider, "en")
    client.force_login(outsider.user)
    assert "0 commitments found" in client.get(TRACKER).text


def test_a_long_action_is_cut_on_a_word_and_kept_whole_in_the_description(minutes):
    text = "Prepare " + "the detailed figures " * 40 + "before summer."
    action = minutes.actions.first()
    action.text_en = text
    action.save(update_fields=["text_en"])
    _approve(minutes)
    commitment = Commitment.objects.get(action_item=action)
    assert len(commitment.title_en) <= 500
    assert commitment.title_en.endswith("…")
    assert text.startswith(commitment.title_en[:-1])
    assert commitment.title_en[:-1].rstrip().split()[-1] in {"the", "detailed", "figures"}  # whole words
    assert commitment.description_en == text
    assert commitment.title_fr == action.text_fr  # short enough: as it is


def test_draft_minutes_make_no_commitment(group, chair, ministry):
    draft = make_minutes(held_meeting(group, chair), chair=chair, owner_administration=ministry)
    with pytest.raises(ValidationError):
        services.commitments_from_minutes(minutes=draft, by=chair)
    assert not Commitment.objects.exists()


def test_minutes_without_actions_make_nothing(group, chair):
    meeting = held_meeting(group, chair)
    empty = make_minutes(meeting, status=Minutes.Status.PUBLISHED, chair=chair, actions_per_item=0)
    _approve(empty)
    assert not Commitment.objects.exists()


def test_approving_the_minutes_makes_the_commitments_after_the_commit(
    group, chair, ministry, django_capture_on_commit_callbacks
):
    draft = make_minutes(held_meeting(group, chair), chair=chair, owner_administration=ministry)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        minutes_service.approve(minutes=draft, by=chair)
    assert not Commitment.objects.exists()  # nothing before the approval commits
    for callback in callbacks:
        callback()
    assert Commitment.objects.filter(action_item__minutes=draft, created_by=chair).count() == 3


def test_the_commitment_page_opens_for_the_focal_point(client, minutes, ministry, other_group):
    owner = make_member(other_group, Membership.Role.MEMBER, administration=ministry)
    minutes.actions.update(owner=owner)
    _approve(minutes)
    commitment = Commitment.objects.filter(action_item__minutes=minutes).first()
    speaks(owner, "en")
    client.force_login(owner.user)
    response = client.get(reverse("coordination:commitment-detail", args=[commitment.pk]))
    assert response.status_code == 200
    assert commitment.source_reference in response.text
