"""The role × action matrix, checked through real pages: who may do what in a group."""

import pytest
from django.urls import reverse

from members.access import Action, can
from members.models import Membership
from tests.factories import make_member

Role = Membership.Role
pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.CHAIR: set(Action),
    Role.VICE_CHAIR: set(Action),
    Role.SECRETARIAT: set(Action),
    Role.MEMBER: {Action.VIEW, Action.ANSWER},
    Role.SUBSTITUTE: {Action.VIEW, Action.ANSWER},
    Role.OBSERVER: {Action.VIEW},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_allows_exactly_its_actions(group, other_group, role, action):
    member = make_member(group, role)
    assert can(member, action, group) is (action in EXPECTED[role])
    # Nothing at all in a group they do not belong to.
    assert can(member, action, other_group) is False


def test_ended_membership_gives_no_rights(group):
    from members import services

    member = make_member(group, Role.MEMBER)
    chair = make_member(group, Role.CHAIR)
    services.end_membership(membership=member.memberships.get(), by=chair)
    member = type(member).objects.get(pk=member.pk)
    assert not can(member, Action.VIEW, group)


def test_deactivated_member_has_no_rights(group):
    from members import services

    member = make_member(group, Role.CHAIR)
    services.deactivate_member(member=member)
    assert not can(member, Action.VIEW, group)


# (url name, kwargs builder, method, action needed)
PAGES = [
    ("members:group-detail", "GET", Action.VIEW),
    ("members:group-history", "GET", Action.VIEW),
    ("members:public-page-edit", "GET", Action.EDIT_PUBLIC_PAGE),
    ("members:public-link-add", "POST", Action.EDIT_PUBLIC_PAGE),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("name", "method", "action"), PAGES)
def test_group_pages_follow_the_matrix(client, group, role, name, method, action):
    member = make_member(group, role)
    client.force_login(member.user)
    url = reverse(name, args=[group.slug])
    response = client.get(url) if method == "GET" else client.post(url, {"link-url": ""})
    if action in EXPECTED[role]:
        assert response.status_code in {200, 400}
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "action"), PAGES)
def test_member_of_another_group_gets_404_not_403(client, group, outsider, name, method, action):
    client.force_login(outsider.user)
    url = reverse(name, args=[group.slug])
    response = client.get(url) if method == "GET" else client.post(url, {})
    assert response.status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_only_managers_change_roles_and_end_memberships(client, group, role):
    actor = make_member(group, role)
    target = make_member(group, Role.MEMBER)
    membership = target.memberships.get()
    client.force_login(actor.user)
    change = client.post(
        reverse("members:membership-change", args=[group.slug, membership.pk]), {"role": Role.OBSERVER}
    )
    current = Membership.objects.get(member=target, group=group, end__isnull=True)
    end = client.post(reverse("members:membership-end", args=[group.slug, current.pk]))
    membership.refresh_from_db()
    if Action.MANAGE_MEMBERS in EXPECTED[role]:
        assert change.status_code == 302 and end.status_code == 302
        assert not Membership.objects.current().filter(member=target, group=group).exists()
    else:
        assert change.status_code == 403 and end.status_code == 403
        assert membership.end is None and membership.role == Role.MEMBER


def test_outsider_cannot_touch_a_membership_of_another_group(client, group, outsider):
    target = make_member(group, Role.MEMBER)
    client.force_login(outsider.user)
    url = reverse("members:membership-end", args=[group.slug, target.memberships.get().pk])
    assert client.post(url).status_code == 404
    assert target.memberships.get().end is None


def test_a_membership_id_from_another_group_is_404(client, group, other_group, chair):
    stranger = make_member(other_group, Role.MEMBER)
    client.force_login(chair.user)
    url = reverse("members:membership-end", args=[group.slug, stranger.memberships.get().pk])
    assert client.post(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, group):
    response = client.get(reverse("members:group-detail", args=[group.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_signed_in_user_without_member_record_gets_403(client, group, user):
    client.force_login(user)
    assert client.get(reverse("members:group-list")).status_code == 403


def test_secretariat_cannot_remove_or_demote_the_chair(client, group, chair, secretariat):
    membership = chair.memberships.get()
    client.force_login(secretariat.user)
    assert client.post(reverse("members:membership-end", args=[group.slug, membership.pk])).status_code == 403
    change = client.post(
        reverse("members:membership-change", args=[group.slug, membership.pk]), {"role": Role.MEMBER}
    )
    assert change.status_code == 403
    assert Membership.objects.current().get(member=chair, group=group).role == Role.CHAIR


def test_only_the_chair_appoints_a_vice_chair(client, group, chair, secretariat):
    target = make_member(group, Role.MEMBER)
    url = reverse("members:membership-change", args=[group.slug, target.memberships.get().pk])
    client.force_login(secretariat.user)
    refused = client.post(url, {"role": Role.VICE_CHAIR})
    assert refused.status_code == 200 and "errorlist" in refused.text
    assert Membership.objects.current().get(member=target, group=group).role == Role.MEMBER
    client.force_login(chair.user)
    assert client.post(url, {"role": Role.VICE_CHAIR}).status_code == 302
    assert Membership.objects.current().get(member=target, group=group).role == Role.VICE_CHAIR


def test_the_last_manager_cannot_leave_the_group_without_one(client, group, chair):
    from django.utils import translation

    membership = chair.memberships.get()
    client.force_login(chair.user)
    response = client.post(reverse("members:membership-end", args=[group.slug, membership.pk]))
    assert response.status_code == 200
    with translation.override(chair.language):
        expected = translation.gettext(
            "This is the group's last chair, vice-chair or secretariat: appoint another one first."
        )
    assert expected.replace("'", "&#x27;") in response.text
    membership.refresh_from_db()
    assert membership.end is None
    # With a secretariat in place, the chair may step down.
    make_member(group, Role.SECRETARIAT)
    assert client.post(reverse("members:membership-end", args=[group.slug, membership.pk])).status_code == 302
