import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from members import services
from members.models import Membership
from tests.factories import make_member

Role = Membership.Role
pytestmark = pytest.mark.django_db


def test_chair_changes_a_role_and_history_keeps_the_old_one(client, group, chair):
    member = make_member(group, Role.MEMBER)
    membership = member.memberships.get()
    client.force_login(chair.user)
    response = client.post(
        reverse("members:membership-change", args=[group.slug, membership.pk]), {"role": Role.VICE_CHAIR}
    )
    assert response.status_code == 302
    rows = list(member.memberships.order_by("pk"))
    assert [r.role for r in rows] == [Role.MEMBER, Role.VICE_CHAIR]
    assert rows[0].end == timezone.localdate() and rows[1].end is None
    client.get(reverse("members:group-detail", args=[group.slug]))  # shows, and so clears, the message
    history = client.get(reverse("members:group-history", args=[group.slug]))
    assert history.text.count(member.user.name) == 2


def test_substitute_must_stand_in_for_someone_of_the_same_administration(group, chair):
    member = make_member(group, Role.MEMBER)
    colleague = make_member(group, Role.MEMBER, administration=member.administration)
    stranger = make_member(group, Role.MEMBER)
    with pytest.raises(ValidationError):
        services.change_role(membership=colleague.memberships.get(), role=Role.SUBSTITUTE, by=chair)
    with pytest.raises(ValidationError):
        services.change_role(
            membership=colleague.memberships.get(), role=Role.SUBSTITUTE, substitute_for=stranger, by=chair
        )
    services.change_role(
        membership=colleague.memberships.get(), role=Role.SUBSTITUTE, substitute_for=member, by=chair
    )
    current = Membership.objects.current().get(member=colleague, group=group)
    assert current.role == Role.SUBSTITUTE and current.substitute_for == member


def test_bad_role_change_shows_an_error_and_changes_nothing(client, group, chair):
    member = make_member(group, Role.MEMBER)
    membership = member.memberships.get()
    client.force_login(chair.user)
    response = client.post(
        reverse("members:membership-change", args=[group.slug, membership.pk]), {"role": Role.SUBSTITUTE}
    )
    assert response.status_code == 200
    with translation.override(chair.language):  # the page speaks the chair's language
        assert translation.gettext("A substitute stands in for a named member.") in response.text
    assert member.memberships.count() == 1
    response = client.post(
        reverse("members:membership-change", args=[group.slug, membership.pk]), {"role": "king"}
    )
    assert response.status_code == 200 and "errorlist" in response.text
    assert member.memberships.count() == 1


def test_ending_a_membership_removes_the_member_from_the_group_page(client, group, chair):
    member = make_member(group, Role.MEMBER)
    client.force_login(chair.user)
    client.post(reverse("members:membership-end", args=[group.slug, member.memberships.get().pk]))
    client.get(reverse("members:group-detail", args=[group.slug]))  # shows, and so clears, the message
    page = client.get(reverse("members:group-detail", args=[group.slug]))
    # Gone from the members; the group's history still says who left and when.
    assert member not in [membership.member for membership in page.context["memberships"]]
    assert Membership.objects.filter(member=member, end__isnull=False).count() == 1


def test_future_and_past_memberships_are_not_current(group):
    member = make_member(group, Role.MEMBER)
    today = timezone.localdate()
    Membership.objects.filter(member=member).update(start=today + datetime.timedelta(days=3))
    assert not Membership.objects.current().filter(member=member).exists()
    assert Membership.objects.current(on=today + datetime.timedelta(days=3)).filter(member=member).exists()


def test_group_list_shows_only_my_groups_with_my_role(client, group, other_group, observer):
    client.force_login(observer.user)
    page = client.get(reverse("members:group-list"))
    assert group.name in page.text and other_group.name not in page.text
    with translation.override(observer.language):
        assert str(Role.OBSERVER.label) in page.text


@pytest.mark.parametrize("count", [5, 60])
def test_group_page_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    for _ in range(count):
        make_member(group, Role.MEMBER)
    client.force_login(chair.user)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("members:group-detail", args=[group.slug]))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 60])
def test_group_history_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    for _ in range(count):
        make_member(group, Role.MEMBER)
    client.force_login(chair.user)
    with django_assert_max_num_queries(8):
        client.get(reverse("members:group-history", args=[group.slug]))
