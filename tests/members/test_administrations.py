from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import Administration, Member, Membership, User, new_feed_token
from tests.factories import AdministrationFactory, GroupFactory, MembershipFactory, make_member

pytestmark = pytest.mark.django_db

Role = Membership.Role
LIST_URL = reverse("members:administration-list")


def detail_url(administration: Administration) -> str:
    return reverse("members:administration-detail", args=[administration.pk])


@pytest.fixture
def fps(db):
    return AdministrationFactory(acronym="FPS-E", name_en="FPS Economy", name_fr="SPF Économie")


@pytest.fixture
def signed_in(client, focal_point):
    client.force_login(focal_point.user)
    return focal_point


# --- Who may see them -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "detail"])
def test_anonymous_visitor_cannot_see_administrations(client, fps, name):
    url = LIST_URL if name == "list" else detail_url(fps)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["list", "detail"])
def test_deactivated_member_cannot_see_administrations(client, focal_point, fps, name):
    focal_point.deactivated_at = timezone.now()
    focal_point.save()
    client.force_login(focal_point.user)
    url = LIST_URL if name == "list" else detail_url(fps)
    assert client.get(url).status_code == 403


def test_unknown_administration_is_not_found(client, signed_in):
    assert client.get(reverse("members:administration-detail", args=[999999])).status_code == 404


# --- The list --------------------------------------------------------------------------------


def test_member_sees_administrations_by_level_and_government_with_member_counts(client, signed_in, group):
    walloon = AdministrationFactory(
        acronym="SPW", name_fr="Service public de Wallonie", name_en="", name_nl="",
        level=Administration.Level.REGIONAL, entity=Administration.Entity.WALLOON,
    )  # fmt: skip
    flemish = AdministrationFactory(
        acronym="DKBUZA", level=Administration.Level.REGIONAL, entity=Administration.Entity.FLEMISH
    )
    ngo = AdministrationFactory(acronym="NGO-X", level=Administration.Level.STAKEHOLDER, entity="")
    AdministrationFactory(acronym="GONE", is_active=False)
    for _ in range(2):
        make_member(group, administration=walloon)
    leaver = make_member(group, administration=walloon)
    services.deactivate_member(member=leaver)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    sections = response.context["sections"]
    assert [s["level"] for s in sections] == ["Federal", "Regional", "Stakeholder"]
    regional = sections[1]["entities"]
    # Entities follow the order of the choices: Flemish before Walloon.
    assert [e["entity"] for e in regional] == ["Flemish Government", "Walloon Government"]
    assert [a.acronym for a in regional[1]["administrations"]] == ["SPW"]
    assert regional[1]["administrations"][0].member_count == 2  # the deactivated one is not counted
    assert [a.acronym for a in sections[2]["entities"][0]["administrations"]] == ["NGO-X"]
    html = response.text
    assert "<caption>Walloon Government</caption>" in html
    assert f'<a href="{detail_url(walloon)}">SPW</a>' in html
    assert "Service public de Wallonie" in html
    assert f'<a href="{detail_url(flemish)}">DKBUZA</a>' in html
    assert f'<a href="{detail_url(ngo)}">' in html
    assert "GONE" not in html  # inactive administrations are not listed


def test_sub_administrations_name_their_parent(client, signed_in, fps):
    AdministrationFactory(acronym="FPS-E-DG", parent=fps)
    response = client.get(LIST_URL)
    assert '<abbr title="FPS Economy">FPS-E</abbr>' in response.text


# --- One administration --------------------------------------------------------------------------


def test_member_sees_current_members_of_an_administration_with_their_roles(client, signed_in, group, fps):
    amelie = make_member(group, Role.CHAIR, administration=fps, job_title="Head of unit")
    elsewhere = make_member(group, Role.MEMBER)
    leaver = make_member(group, Role.MEMBER, administration=fps)
    services.deactivate_member(member=leaver)

    response = client.get(detail_url(fps))

    assert response.status_code == 200
    assert response.context["administration"] == fps
    members = [row.record for row in response.context["members_table"].paginated_rows]
    assert members == [amelie]
    assert "<h1>FPS Economy" in response.text
    assert f"{group.name}: Chair" in response.text
    assert "Head of unit" in response.text
    assert elsewhere.user.name not in response.text.split('id="history-heading"')[0]


def test_administration_page_lists_its_sub_administrations(client, signed_in, fps):
    child = AdministrationFactory(acronym="FPS-E-DG-ENERGY", name_en="DG Energy", parent=fps)
    make_member(administration=child)
    AdministrationFactory(acronym="UNRELATED")

    response = client.get(detail_url(fps))

    assert response.context["children"] == [child]
    assert f'<a href="{detail_url(child)}">FPS-E-DG-ENERGY</a> – DG Energy' in response.text
    assert "(1 member)" in response.text
    assert "UNRELATED" not in response.text
    child_page = client.get(detail_url(child))
    assert f'<a href="{detail_url(fps)}">FPS Economy</a>' in child_page.text


def test_representation_history_shows_current_and_ended_memberships_newest_first(
    client, signed_in, group, other_group, fps
):
    other_group.is_public = True  # a group the reader may know of: its page is published
    other_group.save()
    today = timezone.localdate()
    amelie = make_member(administration=fps)
    old = MembershipFactory(
        member=amelie, group=other_group, role=Role.CHAIR, start=date(2020, 1, 6), end=date(2023, 6, 30)
    )
    current = MembershipFactory(
        member=amelie, group=group, role=Role.SECRETARIAT, start=today - timedelta(days=10)
    )
    leaver = make_member(group, Role.MEMBER, administration=fps)
    services.deactivate_member(member=leaver)
    services.anonymise_member(member=leaver)
    somebody_else = make_member(group, Role.CHAIR)  # another administration

    response = client.get(detail_url(fps))

    rows = [row.record for row in response.context["history_table"].paginated_rows]
    leaver_membership = leaver.memberships.get()
    assert rows == [leaver_membership, current, old]  # by start: today, ten days ago, 2020
    assert all(row.member != somebody_else for row in rows)
    history = response.text.split('id="history-heading"')[1]
    assert "6 January 2020" in history
    assert "30 June 2023" in history
    assert "ongoing" in history
    assert "Secretariat" in history
    assert f"Former member {leaver.pk}" in history  # anonymised, but the history adds up
    assert 'aria-sort="descending"' in history


def test_representation_history_names_who_a_substitute_stands_in_for(client, signed_in, group, fps):
    titular = make_member(group, Role.MEMBER, administration=fps)
    substitute = make_member(administration=fps)
    services.add_membership(member=substitute, group=group, role=Role.SUBSTITUTE, substitute_for=titular)
    response = client.get(detail_url(fps))
    assert f"Substitute (stands in for {titular.user.name})" in response.text


def test_both_tables_sort_and_page_on_their_own(client, signed_in, group, fps):
    _bulk(60, group=group, administration=fps)
    response = client.get(detail_url(fps), {"members-page": 2, "history-sort": "member"})
    assert response.context["members_table"].page.number == 2
    assert response.context["history_table"].page.number == 1
    names = [row.record.member.user.name for row in response.context["history_table"].paginated_rows]
    assert names == sorted(names)
    assert 'aria-label="Pages of current members"' in response.text
    assert 'aria-label="Pages of the representation history"' in response.text


def test_directory_links_to_the_administration_page(client, signed_in, fps):
    make_member(administration=fps)
    response = client.get(reverse("members:directory"))
    assert f'<a href="{detail_url(fps)}"><abbr title="FPS Economy">FPS-E</abbr></a>' in response.text
    assert client.get(detail_url(fps)).status_code == 200


def test_administration_names_follow_the_readers_language(client, fps):
    reader = make_member(language="fr", administration=fps)
    client.force_login(reader.user)
    response = client.get(detail_url(fps))
    assert '<html lang="fr">' in response.text
    assert "<h1>SPF Économie" in response.text


# --- Query budget ---------------------------------------------------------------------------------


def _bulk(count: int, *, group, administration) -> None:
    users = User.objects.bulk_create(
        User(email=f"bulk{i}@example.org", name=f"Bulk Person {i:04d}") for i in range(count)
    )
    members = Member.objects.bulk_create(
        Member(user=u, administration=administration, feed_token=new_feed_token()) for u in users
    )
    ended = timezone.localdate() - timedelta(days=1)
    other = GroupFactory()
    Membership.objects.bulk_create(
        [Membership(member=m, group=group, role=Role.MEMBER) for m in members]
        + [
            Membership(member=m, group=other, role=Role.CHAIR, start=date(2020, 1, 1), end=ended)
            for m in members
        ]
    )
    Membership.objects.bulk_create(
        Membership(member=m, group=other, role=Role.SUBSTITUTE, substitute_for=members[0])
        for m in members[1:]
    )
    for i in range(count // 50 + 1):
        AdministrationFactory(parent=administration, acronym=f"SUB-{count}-{i}")


@pytest.mark.parametrize("count", [10, 500])
def test_administration_page_queries_do_not_grow(
    client, signed_in, group, fps, django_assert_num_queries, count
):
    _bulk(count, group=group, administration=fps)
    # session, user, request.member, the administration, its children, members: count, page,
    # prefetched memberships; history: count, page
    with django_assert_num_queries(11):  # includes the reader's own groups
        response = client.get(detail_url(fps))
    assert response.context["members_table"].paginator.count == count


@pytest.mark.parametrize("count", [10, 500])
def test_administration_list_queries_do_not_grow(client, signed_in, group, django_assert_num_queries, count):
    levels = list(Administration.Level)
    entities = list(Administration.Entity)
    for i in range(count // 10):
        parent = AdministrationFactory(level=levels[i % 4], entity=entities[i % 6])
        _bulk_members_of(parent, 10, prefix=f"a{i}")
    # session, user, request.member, administrations with their parents and counts
    with django_assert_num_queries(4):
        response = client.get(LIST_URL)
    assert response.status_code == 200


def _bulk_members_of(administration, count, *, prefix):
    child = AdministrationFactory(
        parent=administration, level=administration.level, entity=administration.entity
    )
    users = User.objects.bulk_create(
        User(email=f"{prefix}-{i}@example.org", name=f"{prefix} {i}") for i in range(count)
    )
    Member.objects.bulk_create(
        Member(user=u, administration=child if i % 2 else administration, feed_token=new_feed_token())
        for i, u in enumerate(users)
    )
