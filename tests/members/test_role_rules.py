"""Who may give which role, on every path: invite one person, import a spreadsheet, accept, change a role.

The rule (members.access.may_grant_role): the chair, vice-chair and secretariat give roles; only
the chair appoints a chair or vice-chair; nobody is invited as a substitute. It is checked by the
services every path calls, and again when an invitation is accepted, against the inviter's role then.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from core.spreadsheets import ImportRejected
from members import invitations, services
from members.access import may_grant_role
from members.models import JoinInvitation, Membership
from tests.factories import UserFactory, make_member

Role = Membership.Role
pytestmark = pytest.mark.django_db

INVITERS = [Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARIAT, Role.MEMBER, Role.OBSERVER]
MANAGERS = {Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARIAT}
LEADERS = {Role.CHAIR, Role.VICE_CHAIR}
EMAIL = "new.person@example.org"


def may_give(inviter: str, role: str) -> bool:
    """The rule, written out independently of the code under test."""
    return inviter in MANAGERS and (role not in LEADERS or inviter == Role.CHAIR)


def may_invite(inviter: str, role: str) -> bool:
    return role != Role.SUBSTITUTE and may_give(inviter, role)


@pytest.fixture
def head(group):
    """The group's chair, who stays: the group always keeps a manager."""
    return make_member(group, Role.CHAIR, language="en")


def csv_upload(role: str) -> SimpleUploadedFile:
    text = f"email,name,language,administration,role\n{EMAIL},New Person,nl,,{role}\n"
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


def is_member(group, role=None) -> bool:
    rows = Membership.objects.current().filter(group=group, member__user__email=EMAIL)
    return rows.filter(role=role).exists() if role else rows.exists()


def test_the_rule_in_members_access(group, head):
    for inviter_role in INVITERS:
        inviter = make_member(group, inviter_role)
        for role in Role:
            assert may_grant_role(inviter, group, role) is may_give(inviter_role, role), (inviter_role, role)
    assert not may_grant_role(None, group, Role.MEMBER)


# --- One invitation, through the service and through the page ----------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("inviter_role", INVITERS)
def test_single_invitation_service(group, head, inviter_role, role):
    inviter = make_member(group, inviter_role)
    if may_invite(inviter_role, role):
        invitation = invitations.invite_to_group(
            by=inviter, group=group, email=EMAIL, name="New Person", language="nl", role=role
        )
        assert invitation.role == role
    else:
        with pytest.raises(ValidationError) as refused:
            invitations.invite_to_group(
                by=inviter, group=group, email=EMAIL, name="New Person", language="nl", role=role
            )
        assert "role" in refused.value.message_dict
        assert not JoinInvitation.objects.exists()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("inviter_role", INVITERS)
def test_single_invitation_form(client, group, head, inviter_role, role):
    inviter = make_member(group, inviter_role)
    client.force_login(inviter.user)
    url = reverse("members:group-invite", args=[group.slug])
    response = client.post(url, {"email": EMAIL, "name": "New Person", "language": "nl", "role": role})
    if inviter_role not in MANAGERS:
        assert response.status_code == 403
    elif may_invite(inviter_role, role):
        assert response.status_code == 302
        assert JoinInvitation.objects.get().role == role
    else:
        assert response.status_code == 200
        assert response.context["form"].errors["role"]
        # The roles it may not give are not even offered.
        offered = {value for value, _label in response.context["form"].fields["role"].choices}
        assert offered == {r.value for r in Role if may_invite(inviter_role, r)}
    if not may_invite(inviter_role, role):
        assert not JoinInvitation.objects.exists()


# --- A spreadsheet import -------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("inviter_role", INVITERS)
def test_import_service(group, head, inviter_role, role):
    inviter = make_member(group, inviter_role)
    if may_invite(inviter_role, role):
        created = invitations.import_invitations(by=inviter, group=group, uploaded_file=csv_upload(role))
        assert [invitation.role for invitation in created] == [role]
    else:
        with pytest.raises(ImportRejected) as refused:
            invitations.import_invitations(by=inviter, group=group, uploaded_file=csv_upload(role))
        assert [(error.row, error.column) for error in refused.value.errors] == [(2, "role")]
        assert not JoinInvitation.objects.exists()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("inviter_role", INVITERS)
def test_import_page(client, group, head, inviter_role, role):
    inviter = make_member(group, inviter_role)
    client.force_login(inviter.user)
    response = client.post(reverse("members:group-import", args=[group.slug]), {"file": csv_upload(role)})
    if inviter_role not in MANAGERS:
        assert response.status_code == 403
    elif may_invite(inviter_role, role):
        assert response.status_code == 302
        assert JoinInvitation.objects.get().role == role
    else:
        assert response.status_code == 200
        assert [(e.row, e.column) for e in response.context["row_errors"]] == [(2, "role")]
        # The page lists only the roles this person may give.
        assert {r.value for r in response.context["invitable_roles"]} == {
            r.value for r in Role if may_invite(inviter_role, r)
        }
        assert not JoinInvitation.objects.exists()


# --- Acceptance, after the inviter's role changed ---------------------------------------------------


def _invitation_from_a_chair_who_then_became(group, head, inviter_role: str, role: str) -> JoinInvitation:
    """An invitation sent by a chair (allowed then), whose role is `inviter_role` by the time it is used."""
    inviter = make_member(group, Role.CHAIR)
    if role == Role.SUBSTITUTE:
        # No path sends one; an old row, or one made in the admin site, must still give nothing.
        _token, token_hash = services.new_invitation_token()
        invitation = JoinInvitation.objects.create(
            email=EMAIL,
            name="New Person",
            group=group,
            role=role,
            token_hash=token_hash,
            invited_by=inviter,
            expires_at=timezone.now() + services.INVITATION_LIFETIME,
        )
    else:
        invitation = invitations.invite_to_group(
            by=inviter, group=group, email=EMAIL, name="New Person", language="nl", role=role
        )
    if inviter_role != Role.CHAIR:
        services.change_role(membership=inviter.memberships.get(), role=inviter_role, by=head)
    return invitation


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("inviter_role", INVITERS)
def test_acceptance_checks_the_inviters_role_now(group, head, inviter_role, role):
    invitation = _invitation_from_a_chair_who_then_became(group, head, inviter_role, role)
    user = UserFactory(email=EMAIL)
    if may_invite(inviter_role, role):
        membership = invitations.accept_invitation(invitation=invitation, user=user)
        assert membership.role == role
    else:
        with pytest.raises(ValidationError):
            invitations.accept_invitation(invitation=invitation, user=user)
        assert not is_member(group)
        invitation.refresh_from_db()
        assert invitation.accepted_at is None


def test_the_link_says_why_it_no_longer_works(client, group, head):
    """The secretariat's invitation to be chair, sent before the rule held: the link explains, gives nothing."""
    invitation = _invitation_from_a_chair_who_then_became(group, head, Role.SECRETARIAT, Role.CHAIR)
    token, token_hash = services.new_invitation_token()
    JoinInvitation.objects.filter(pk=invitation.pk).update(token_hash=token_hash)
    user = UserFactory(email=EMAIL, language="en")
    client.force_login(user)
    url = reverse("members:join", args=[token])

    shown = client.get(url)
    assert shown.status_code == 410
    assert shown.context["problem"] == invitations.Problem.NOT_ALLOWED
    # In the invitation's language, as every page behind a join link.
    with translation.override(invitation.language):
        title, explanation = (str(text) for text in invitations.PROBLEM_TEXTS[invitations.Problem.NOT_ALLOWED])
    assert title in shown.content.decode() and explanation.split(":")[0][:40] in shown.content.decode()

    posted = client.post(url)
    assert posted.status_code == 410
    assert posted.context["problem"] == invitations.Problem.NOT_ALLOWED
    assert not is_member(group)


def test_an_invitation_from_someone_who_left_gives_nothing(group, head):
    inviter = make_member(group, Role.SECRETARIAT)
    invitation = invitations.invite_to_group(
        by=inviter, group=group, email=EMAIL, name="New Person", language="nl", role=Role.MEMBER
    )
    services.end_membership(membership=inviter.memberships.get(), by=head)
    with pytest.raises(ValidationError) as refused:
        invitations.accept_invitation(invitation=invitation, user=UserFactory(email=EMAIL))
    assert refused.value.code == invitations.Problem.NOT_ALLOWED
    assert not is_member(group)


# --- Changing a role --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("actor_role", INVITERS)
def test_change_role_service(group, head, actor_role, role):
    actor = make_member(group, actor_role)
    colleague = make_member(group, Role.MEMBER, administration=head.administration)
    stands_in_for = head if role == Role.SUBSTITUTE else None
    membership = colleague.memberships.get()
    if may_give(actor_role, role):
        changed = services.change_role(membership=membership, role=role, by=actor, substitute_for=stands_in_for)
        assert changed.role == role
    else:
        with pytest.raises(ValidationError):
            services.change_role(membership=membership, role=role, by=actor, substitute_for=stands_in_for)
        assert Membership.objects.current().get(member=colleague).role == Role.MEMBER


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("actor_role", INVITERS)
def test_end_membership_service(group, head, actor_role, role):
    """Removing someone follows the same rule as appointing them."""
    actor = make_member(group, actor_role)
    colleague = make_member(group, role, administration=head.administration)
    membership = colleague.memberships.get()
    if may_give(actor_role, role):
        services.end_membership(membership=membership, by=actor)
        assert not Membership.objects.current().filter(member=colleague).exists()
    else:
        with pytest.raises(ValidationError):
            services.end_membership(membership=membership, by=actor)
        assert Membership.objects.current().filter(member=colleague).exists()
