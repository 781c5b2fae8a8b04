"""The audit trail: who changed what and when, shown to managers, in the data download, anonymised."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.models import Commitment
from meetings.models import AgendaItem, Invitation, Meeting
from meetings.page_parts import parts_cache
from members import services
from members.models import Membership
from tests.coordination.factories import make_commitment, make_plan
from tests.factories import make_member
from tests.meetings.factories import BRUSSELS, administration, invite, make_meeting, speaks

pytestmark = pytest.mark.django_db


def edit_location(client, meeting: Meeting, location: str):
    """Post the meeting's edit form as it is, with a new address."""
    form = client.get(reverse("meetings:edit", args=[meeting.pk])).context["form"]
    data = {key: value for key, value in form.initial.items() if value not in (None, False)}
    for name in ("starts_at", "ends_at"):
        data[name] = getattr(meeting, name).astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")
    data["location"] = location
    return client.post(reverse("meetings:edit", args=[meeting.pk]), data)


def test_a_change_by_the_chair_shows_on_the_meeting_page_for_the_secretariat(
    client, group, chair, secretariat
):
    meeting = make_meeting(group, chair)
    client.force_login(chair.user)
    assert edit_location(client, meeting, "Boulevard du Roi Albert II 16").status_code == 302

    speaks(secretariat, "en")
    client.force_login(secretariat.user)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    text = response.content.decode()
    assert '<h2 id="history-heading">History</h2>' in text
    row = next(r for r in response.context["history"] if r.action == "changed")
    assert row.who == chair.user.name
    assert str(row.kind) == "meeting"
    assert [(str(c.label), c.old, c.new) for c in row.changes] == [
        ("address", "Rue de la Loi 16, 1000 Brussels", "Boulevard du Roi Albert II 16")
    ]
    assert "address: Rue de la Loi 16, 1000 Brussels → Boulevard du Roi Albert II 16" in text
    assert chair.user.name in text
    assert f'<time datetime="{row.when.astimezone(BRUSSELS).isoformat()}' in text


def test_an_ordinary_member_does_not_see_the_history(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invite(meeting, [focal_point])
    meeting.location = "Elsewhere"
    meeting.save()
    client.force_login(focal_point.user)

    response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    assert response.status_code == 200
    assert "history" not in response.context
    assert 'id="history"' not in response.content.decode()


def test_answers_and_agenda_changes_are_in_the_meeting_history(
    client, group, chair, secretariat, focal_point
):
    meeting = make_meeting(group, chair)
    invitation = Invitation.objects.create(meeting=meeting, member=focal_point)
    invitation.rsvp = Invitation.Rsvp.ACCEPTED
    invitation._history_user = focal_point.user  # as the answer page records it
    invitation.save()
    item = AgendaItem.objects.create(meeting=meeting, position=1, title_en="Budget")
    item.duration_minutes = 45
    item.save()
    speaks(secretariat, "en")
    client.force_login(secretariat.user)

    history = client.get(reverse("meetings:detail", args=[meeting.pk])).context["history"]

    answer = next(r for r in history if str(r.kind) == "invitation" and r.action == "changed")
    assert answer.who == focal_point.user.name
    assert answer.subject == focal_point.user.name
    assert [(str(c.label), str(c.old), str(c.new)) for c in answer.changes] == [
        ("answer", "No answer yet", "Accepted")
    ]
    duration = next(r for r in history if str(r.kind) == "agenda item" and r.action == "changed")
    assert duration.subject == "Budget"
    assert [(c.old, c.new) for c in duration.changes] == [(15, 45)]


def make_changes(meeting: Meeting, count: int, members) -> None:
    """`count` saves of the meeting, its items and its invitations, each by one of `members`."""
    # One by one, not bulk_create: each object gets its first history row.
    items = [AgendaItem.objects.create(meeting=meeting, position=n, title_en=f"Item {n}") for n in range(3)]
    invitations = [Invitation.objects.create(meeting=meeting, member=m) for m in members[:3]]
    for number in range(count):
        target = [meeting, items[number % 3], invitations[number % 3]][number % 3]
        if isinstance(target, Meeting):
            target.location = f"Room {number}"
        elif isinstance(target, AgendaItem):
            target.duration_minutes = 10 + number
        else:
            target.rsvp = [Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DECLINED][number % 2]
            target.rsvp_comment = f"Answer {number}"
        target._history_user = members[number % len(members)].user
        target.save()


@pytest.mark.parametrize("changes", [3, 40])
def test_meeting_page_queries_do_not_grow_with_the_history(
    client, group, chair, django_assert_max_num_queries, changes
):
    meeting = make_meeting(group, chair)
    members = [make_member(group) for _ in range(4)]
    make_changes(meeting, changes, members)
    client.force_login(chair.user)

    with django_assert_max_num_queries(33):
        response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    assert len(response.context["history"]) == min(changes + 7, 50)  # and the 7 creations


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_meeting_page_history_costs_the_same_with_3_and_40_changes(client, group, chair):
    small, large = make_meeting(group, chair), make_meeting(group, chair)
    members = [make_member(group) for _ in range(4)]
    make_changes(small, 3, members)
    make_changes(large, 40, members)
    client.force_login(chair.user)
    count_queries(client, reverse("meetings:detail", args=[small.pk]))  # warm the session
    parts_cache.clear()

    # Rendered from the database (the history is read in the same queries for 3 as for 40 changes)
    cold = [count_queries(client, reverse("meetings:detail", args=[m.pk])) for m in (small, large)]
    # and kept: the history is not read again.
    warm = [count_queries(client, reverse("meetings:detail", args=[m.pk])) for m in (small, large)]

    assert cold[0] == cold[1] and warm[0] == warm[1] < cold[0]
    parts_cache.clear()
    assert len(client.get(reverse("meetings:detail", args=[large.pk])).context["history"]) == 47


def test_the_meeting_history_shows_the_latest_50_changes(client, group, chair):
    meeting = make_meeting(group, chair)
    for number in range(60):
        meeting.location = f"Room {number}"
        meeting.save()
    client.force_login(chair.user)

    history = client.get(reverse("meetings:detail", args=[meeting.pk])).context["history"]

    assert len(history) == 50
    assert history[0].changes[0].new == "Room 59"
    assert history[-1].changes[0].new == "Room 10"


# --- Group page: memberships and roles ----------------------------------------------------------


def test_a_role_change_shows_on_the_group_page_for_managers_only(
    client, group, chair, secretariat, focal_point, observer
):
    membership = Membership.objects.get(member=focal_point, group=group)
    client.force_login(chair.user)
    data = {"role": Membership.Role.SECRETARIAT}
    response = client.post(reverse("members:membership-change", args=[group.slug, membership.pk]), data)
    assert response.status_code == 302

    speaks(secretariat, "en")
    client.force_login(secretariat.user)
    page = client.get(reverse("members:group-detail", args=[group.slug]))

    history = page.context["history"]
    created = next(r for r in history if r.action == "created" and r.who == chair.user.name)
    assert created.subject == focal_point.user.name
    assert ("role", "Secretariat") in [(str(c.label), str(c.new)) for c in created.changes]
    ended = next(r for r in history if r.action == "changed")
    assert [str(c.label) for c in ended.changes] == ["end"]
    assert "History" in page.content.decode()

    client.force_login(observer.user)
    assert "history" not in client.get(reverse("members:group-detail", args=[group.slug])).context


@pytest.mark.parametrize("changes", [3, 40])
def test_group_page_queries_do_not_grow_with_the_history(
    client, group, chair, django_assert_max_num_queries, changes
):
    members = [make_member(group) for _ in range(3)]
    for number in range(changes):
        membership = Membership.objects.get(member=members[number % 3], group=group, end__isnull=True)
        membership.role = [Membership.Role.OBSERVER, Membership.Role.MEMBER][number // 3 % 2]
        membership._history_user = chair.user
        membership.save()
    client.force_login(chair.user)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("members:group-detail", args=[group.slug]))

    assert len(response.context["history"]) == changes + 4  # and the four memberships created


# --- Commitment page ------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [3, 40])
def test_commitment_page_shows_its_history_to_managers(
    client, group, chair, focal_point, django_assert_max_num_queries, changes
):
    _plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=administration())
    for number in range(changes):
        commitment.due_date = None if number % 2 else commitment.created_at.date()
        commitment._history_user = chair.user
        commitment.save()
    speaks(chair, "en")
    client.force_login(chair.user)
    url = reverse("coordination:commitment-detail", args=[commitment.pk])

    with django_assert_max_num_queries(30):
        response = client.get(url)

    history = response.context["history"]
    assert history[0].who == chair.user.name
    assert str(history[0].changes[0].label) == "due date"
    assert isinstance(Commitment.history.first().instance, Commitment)
    client.force_login(focal_point.user)
    assert "history" not in client.get(url).context


# --- The member's data download and anonymising -------------------------------------------------


def test_the_data_download_includes_the_history_about_the_member(group, chair, focal_point):
    membership = Membership.objects.get(member=focal_point, group=group)
    membership._history_user = chair.user
    services.change_role(membership=membership, role=Membership.Role.OBSERVER, by=chair)

    history = services.export_member_data(member=focal_point)["history"]

    whats = {entry["what"] for entry in history}
    assert whats == {"membership"}
    created = [entry for entry in history if entry["action"] == "created"]
    assert {"field": "role", "from": None, "to": "Observer"} in created[-1]["changes"]
    ended = next(entry for entry in history if entry["action"] == "changed")
    assert ended["changes"][0]["field"] == "end"
    assert all(isinstance(entry["when"], str) for entry in history)


def test_anonymising_removes_the_member_from_the_history(client, group, chair, secretariat, focal_point):
    meeting = make_meeting(group, chair)
    [invitation] = invite(meeting, [focal_point], name="Jane Doe")
    invitation.rsvp = Invitation.Rsvp.ACCEPTED
    invitation.rsvp_comment = "Jane will bring the figures"
    invitation._history_user = focal_point.user
    invitation.save()
    name = focal_point.user.name
    services.deactivate_member(member=focal_point)

    services.anonymise_member(member=focal_point)

    rows = Invitation.history.filter(id=invitation.pk)
    assert {(row.name, row.rsvp_comment) for row in rows} == {("", "")}
    assert all(row.email.endswith("@invalid.invalid") or row.email == "" for row in rows)
    speaks(secretariat, "en")
    client.force_login(secretariat.user)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    text = response.content.decode()
    assert name not in text and "Jane" not in text
    # Newest first: deactivating withdrew the invitation (an automatic change), after the answer.
    withdrawn, answer = [r for r in response.context["history"] if r.action == "changed"]
    assert answer.who == f"Former member {focal_point.pk}"
    assert (withdrawn.who, [str(c.label) for c in withdrawn.changes]) == ("", ["removed at"])


# --- Never editable ------------------------------------------------------------------------------


def test_history_rows_cannot_be_changed_through_the_admin(client, group, chair):
    meeting = make_meeting(group, chair)
    record = Meeting.history.get(id=meeting.pk)
    staff = make_member(group)
    staff.user.is_staff = staff.user.is_superuser = True
    staff.user.save()
    client.force_login(staff.user)

    history_models = [Meeting.history.model, Invitation.history.model, Membership.history.model]
    assert not any(admin.site.is_registered(model) for model in history_models)
    change = f"/admin/meetings/historicalmeeting/{record.pk}/change/"
    assert client.get(change).status_code == 404
    assert client.post(change, {"location": "Changed"}).status_code == 404
    assert client.post("/admin/meetings/historicalmeeting/add/", {"location": "x"}).status_code == 404
    record.refresh_from_db()
    assert record.location == "Rue de la Loi 16, 1000 Brussels"
