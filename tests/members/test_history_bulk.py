"""Writes of many rows at once (invitations following the group, answers to confirm, renumbering,
minutes items, commitment roll-ups) are in the history too, by whoever made them; the minutes page
shows the minutes' history to managers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coordination import services as coordination
from coordination.models import Commitment
from meetings import minutes as minutes_service
from meetings import services
from meetings.models import AgendaItem, Decision, Invitation, MinutesItem
from members import services as member_services
from members.models import Membership
from tests.coordination.factories import make_commitment, make_plan
from tests.factories import make_member
from tests.meetings.factories import administration, make_document, make_items, make_meeting, speaks
from tests.meetings.helpers import circulated
from tests.meetings.minutes_factories import held_meeting

pytestmark = pytest.mark.django_db


def meeting_history(client, reader, meeting) -> list:
    client.force_login(reader.user)
    return client.get(reverse("meetings:detail", args=[meeting.pk])).context["history"]


def labels(row) -> list[str]:
    return [str(change.label) for change in row.changes]


# --- Invitations following the group ------------------------------------------------------------


def test_invitations_made_and_withdrawn_by_a_sync_show_who_made_them(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, invite_whole_group=True)
    services.sync_invitations(meeting=meeting, by=chair)
    membership = Membership.objects.get(member=focal_point, group=group)
    member_services.end_membership(membership=membership, by=chair)
    speaks(chair, "en")

    history = meeting_history(client, chair, meeting)

    created = [row for row in history if str(row.kind) == "invitation" and row.action == "created"]
    assert len(created) == Membership.objects.filter(group=group).count()
    assert {row.who for row in created} == {chair.user.name}
    assert focal_point.user.name in {row.subject for row in created}
    assert created[0].reason == "The invitations follow the group and the invited administrations."
    withdrawn = next(
        row for row in history if row.action == "changed" and row.subject == focal_point.user.name
    )
    assert labels(withdrawn) == ["removed at"]


def test_a_restored_invitation_shows_its_answer_going_back(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, invite_whole_group=True)
    services.sync_invitations(meeting=meeting, by=chair)
    invitation = meeting.invitations.get(member=focal_point)
    invitation.rsvp = Invitation.Rsvp.DECLINED
    invitation.save()
    meeting.invite_whole_group = False
    meeting.save()
    services.sync_invitations(meeting=meeting, by=chair)
    meeting.invite_whole_group = True
    meeting.save()

    services.sync_invitations(meeting=meeting, by=chair)

    speaks(chair, "en")
    history = meeting_history(client, chair, meeting)
    restored = next(row for row in history if row.subject == focal_point.user.name)  # the newest
    assert restored.subject == focal_point.user.name and restored.who == chair.user.name
    assert [(str(c.label), str(c.old), str(c.new)) for c in restored.changes if str(c.label) == "answer"] == [
        ("answer", "Declined", "No answer yet")
    ]


@pytest.mark.parametrize("members", [3, 30])
def test_meeting_page_stays_within_its_budget_after_a_large_sync(
    client, group, chair, django_assert_max_num_queries, members
):
    for _ in range(members):
        make_member(group)
    meeting = make_meeting(group, chair, invite_whole_group=True)
    services.sync_invitations(meeting=meeting, by=chair)
    client.force_login(chair.user)

    with django_assert_max_num_queries(33):
        response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    invitations = [row for row in response.context["history"] if str(row.kind) == "uitnodiging"]
    assert len(invitations) == members + 1  # and the chair's own


# --- Answers to confirm after a move ------------------------------------------------------------


def test_answers_asked_to_be_confirmed_after_a_move_are_in_the_history(
    client, group, chair, secretariat, focal_point, observer
):
    meeting = circulated(make_meeting(group, chair, starts_at=timezone.now() + timedelta(days=20)))
    accepted = Invitation.objects.create(meeting=meeting, member=focal_point, rsvp=Invitation.Rsvp.ACCEPTED)
    Invitation.objects.create(meeting=meeting, member=observer)  # no answer: nothing to confirm

    services.update_meeting(
        meeting=meeting,
        by=secretariat,
        starts_at=meeting.starts_at + timedelta(hours=2),
        ends_at=meeting.ends_at + timedelta(hours=2),
    )

    speaks(chair, "en")
    history = meeting_history(client, chair, meeting)
    to_confirm = [row for row in history if row.action == "changed" and "answer to confirm" in labels(row)]
    assert len(to_confirm) == 1
    [row] = to_confirm
    assert (row.who, row.subject, row.reason) == (
        secretariat.user.name,
        focal_point.user.name,
        "The meeting's date or time changed.",
    )
    assert [(str(c.old), str(c.new)) for c in row.changes] == [("no", "yes")]
    accepted.refresh_from_db()
    assert accepted.history.count() == 2


# --- Agenda order ------------------------------------------------------------------------------


def test_moving_an_agenda_item_shows_both_new_positions_and_who_moved_it(client, group, chair):
    meeting = make_meeting(group, chair)
    for n in (1, 2, 3):
        AgendaItem.objects.create(meeting=meeting, position=n, title_en=f"Item {n}")
    third = meeting.agenda_items.get(position=3)
    client.force_login(chair.user)

    response = client.post(
        reverse("meetings:agenda-item-move", args=[meeting.pk, third.pk]), {"direction": "up"}
    )

    assert response.status_code == 302
    speaks(chair, "en")
    moved = [row for row in meeting_history(client, chair, meeting) if labels(row) == ["position"]]
    assert sorted((row.subject, row.changes[0].old, row.changes[0].new, row.reason) for row in moved) == [
        ("Item 2", 2, 3, "The agenda was renumbered."),
        ("Item 3", 3, 2, ""),
    ]
    assert {row.who for row in moved} == {chair.user.name}


def test_removing_an_agenda_item_renumbers_the_rest_and_keeps_its_documents(client, group, chair):
    meeting = make_meeting(group, chair)
    first, _second = (
        AgendaItem.objects.create(meeting=meeting, position=n, title_en=f"Item {n}") for n in (1, 2)
    )
    document = make_document(meeting, item=first)

    services.remove_agenda_item(item=first, by=chair)

    speaks(chair, "en")
    history = meeting_history(client, chair, meeting)
    renumbered = next(row for row in history if row.subject == "Item 2" and row.action == "changed")
    assert (renumbered.who, [(c.old, c.new) for c in renumbered.changes]) == (chair.user.name, [(2, 1)])
    detached = document.history.order_by("-history_id").first()
    assert (detached.agenda_item_id, detached.history_user_id) == (None, chair.user.pk)
    assert detached.history_change_reason == "Its agenda item was removed."


# --- Minutes ------------------------------------------------------------------------------------


def started_minutes(group, secretariat, items: int = 2):
    meeting = held_meeting(group, secretariat)
    make_items(meeting, items)
    return minutes_service.start_minutes(meeting=meeting, by=secretariat, language="en")


def minutes_url(minutes) -> str:
    return reverse("minutes:detail", args=[minutes.meeting_id])


def test_the_minutes_page_shows_their_history_to_the_chair_in_dutch(client, group, chair, secretariat):
    minutes = started_minutes(group, secretariat)
    item = minutes.items.first()
    minutes_service.save_item(
        item=item,
        by=secretariat,
        summary={"en": "Agreed after a short debate."},
        decisions=[minutes_service.DecisionText(text={"en": "The budget is approved."})],
        actions=[],
    )
    client.force_login(chair.user)  # reads Dutch

    response = client.get(minutes_url(minutes))

    text = response.content.decode()
    assert '<h2 id="history-heading">Geschiedenis</h2>' in text
    assert "Wie wat wanneer wijzigde, meest recente eerst" in text
    assert "samenvatting van de bespreking (Engels): — → Agreed after a short debate." in text
    history = response.context["history"]
    kinds = {str(row.kind) for row in history}
    assert {"verslag", "punt van het verslag", "beslissing"} <= kinds
    items = [row for row in history if str(row.kind) == "punt van het verslag" and row.action == "aangemaakt"]
    assert len(items) == 2 and {row.who for row in items} == {secretariat.user.name}
    decision = next(row for row in history if str(row.kind) == "beslissing")
    assert decision.who == secretariat.user.name and "The budget is approved." in decision.subject


def test_a_member_who_reads_the_minutes_does_not_see_their_history(
    client, group, chair, secretariat, focal_point
):
    minutes = started_minutes(group, secretariat)
    minutes_service.approve(minutes=minutes, by=chair)
    minutes_service.publish(minutes=minutes, by=secretariat)
    client.force_login(focal_point.user)

    response = client.get(minutes_url(minutes))

    assert response.status_code == 200
    assert "history" not in response.context
    assert 'id="history"' not in response.content.decode()


def test_removing_a_minutes_item_renumbers_the_items_and_decisions_below_in_the_history(
    client, group, chair, secretariat
):
    minutes = started_minutes(group, secretariat, items=1)
    added = [
        minutes_service.add_item(minutes=minutes, by=secretariat, title={"en": f"Other business {n}"})
        for n in (1, 2)
    ]
    for item in added:
        minutes_service.save_item(
            item=item,
            by=secretariat,
            summary={},
            decisions=[minutes_service.DecisionText(text={"en": f"Decided under {item.title_en}."})],
            actions=[],
        )
    numbers = dict(Decision.objects.values_list("item_id", "number"))

    minutes_service.remove_item(item=added[0], by=chair)

    speaks(chair, "en")
    client.force_login(chair.user)
    history = client.get(minutes_url(minutes)).context["history"]
    moved_up = next(row for row in history if row.subject == "Other business 2" and row.action == "changed")
    assert (moved_up.who, [(c.old, c.new) for c in moved_up.changes]) == (chair.user.name, [(3, 2)])
    assert moved_up.reason == "An item above it was removed."
    renumbered = next(row for row in history if str(row.kind) == "decision" and row.action == "changed")
    assert renumbered.who == chair.user.name
    assert [(c.old, c.new) for c in renumbered.changes] == [
        (numbers[added[1].pk], Decision.objects.get(item=added[1]).number)
    ]
    assert renumbered.reason == "The decisions were renumbered."
    from_agenda = MinutesItem.history.get(history_type="+", history_change_reason="Taken from the agenda.")
    assert from_agenda.history_user == secretariat.user


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("items", [3, 40])
def test_minutes_page_history_stays_within_its_budget(
    client, group, chair, secretariat, django_assert_max_num_queries, items
):
    minutes = started_minutes(group, secretariat, items=items)
    for item in minutes.items.all():
        minutes_service.save_item(
            item=item,
            by=secretariat,
            summary={"en": "Summary"},
            decisions=[minutes_service.DecisionText(text={"en": "Agreed"})],
            actions=[
                minutes_service.ActionText(text={"en": "Do"}, owner_administration=secretariat.administration)
            ],
        )
    client.force_login(chair.user)

    with django_assert_max_num_queries(18):
        response = client.get(minutes_url(minutes))

    history = response.context["history"]
    made = [row for row in history if str(row.kind) == "punt van het verslag" and row.action == "aangemaakt"]
    assert len(history) == 50 if items == 40 else len(made) == items


def test_minutes_page_costs_the_same_with_3_and_40_items(client, group, chair, secretariat):
    small, large = started_minutes(group, secretariat, items=3), started_minutes(group, secretariat, items=40)
    client.force_login(chair.user)
    count_queries(client, minutes_url(small))  # warm the session and caches

    assert count_queries(client, minutes_url(small)) == count_queries(client, minutes_url(large))


# --- Commitments --------------------------------------------------------------------------------


def test_a_progress_report_changing_the_roll_up_shows_on_the_commitment_page(
    client, group, chair, secretariat
):
    _plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=administration())
    part = commitment.parts.get()

    coordination.record_progress(
        part=part, by=secretariat, text="Started.", status="in_progress", completion="limited", progress=20
    )

    speaks(chair, "en")
    client.force_login(chair.user)
    history = client.get(reverse("coordination:commitment-detail", args=[commitment.pk])).context["history"]
    rolled = next(row for row in history if str(row.kind) == "commitment" and row.action == "changed")
    assert rolled.who == secretariat.user.name
    assert rolled.reason == "Rolled up from its parts."
    assert [(str(c.label), str(c.new)) for c in rolled.changes] == [
        ("status", "In progress"),
        ("completion", "Limited"),
        ("progress (%)", "20"),
    ]


def test_a_commitment_follows_its_plan_to_another_owner_group_in_the_history(
    client, group, other_group, chair
):
    plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=administration())
    Membership.objects.create(member=chair, group=other_group, role=Membership.Role.CHAIR)

    coordination.update_plan(plan=plan, by=chair, owner_group=other_group)

    assert Commitment.objects.get(pk=commitment.pk).owner_group == other_group
    speaks(chair, "en")
    client.force_login(chair.user)
    history = client.get(reverse("coordination:commitment-detail", args=[commitment.pk])).context["history"]
    moved = history[0]
    assert (moved.who, moved.reason) == (chair.user.name, "The plan changed owner group.")
    assert [(str(c.label), c.old, c.new) for c in moved.changes] == [
        ("owner group", group.name, other_group.name)
    ]


# --- The member's data download -----------------------------------------------------------------


def test_invitations_made_by_a_sync_are_in_the_members_data_download(group, chair, focal_point):
    meeting = make_meeting(group, chair, invite_whole_group=True)
    services.sync_invitations(meeting=meeting, by=chair)

    history = member_services.export_member_data(member=focal_point)["history"]

    made = [entry for entry in history if entry["what"] == "invitation"]
    assert [(entry["action"], entry["by"]) for entry in made] == [("created", chair.user.name)]
