"""Invitations to join a group: the email, the link (once, until it expires), sign-up or sign-in."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from members import invitations
from members.models import JoinInvitation, Member, Membership, User
from members.outbox import Kind, OutboundMessage
from tests.conftest import PASSWORD
from tests.factories import AdministrationFactory, UserFactory, make_member

Role = Membership.Role
pytestmark = pytest.mark.django_db
NEXT_FOR_NEW_PEOPLE = (
    "You choose a password for your new account, and you are then a member of the group: "
    "you receive its meeting invitations and can read its documents."
)
NEXT_FOR_ACCOUNT_HOLDERS = (
    "Sign in with your usual account and confirm: the group then appears among your groups."
)
LINK = re.compile(r"(http://testserver/members/join/([A-Za-z0-9_-]+)/)")


def invite(by, group, email="new.person@example.org", **fields):
    """Invite through the service; returns (invitation, the path of the link in its email)."""
    fields = {"name": "New Person", "language": "nl", "role": Role.MEMBER, **fields}
    invitation = invitations.invite_to_group(by=by, group=group, email=email, **fields)
    message = OutboundMessage.objects.filter(kind=Kind.JOIN_INVITATION, to_email=email.lower()).latest("pk")
    url = LINK.search(message.body_text).group(1)
    return invitation, url.removeprefix("http://testserver")


def in_language(language: str, text: str) -> str:
    """What a reader of `language` sees for `text` (the text itself until it is translated)."""
    with translation.override(language):
        return translation.gettext(text)


def problem_title(problem: invitations.Problem, language: str) -> str:
    with translation.override(language):
        return str(invitations.PROBLEM_TEXTS[problem][0])


def is_member(email, group, role=None) -> bool:
    rows = Membership.objects.current().filter(group=group, member__user__email=email)
    return rows.filter(role=role).exists() if role else rows.exists()


# --- The whole journey ----------------------------------------------------------------------------


def test_chair_invites_and_the_invitee_signs_up_and_lands_in_the_group(
    client, group, chair, mailoutbox, django_capture_on_commit_callbacks
):
    administration = AdministrationFactory(acronym="FIDO")
    client.force_login(chair.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("members:group-invite", args=[group.slug]),
            {
                "email": "Anna.Peeters@Example.org",
                "name": "Anna Peeters",
                "language": "nl",
                "role": Role.SECRETARIAT,
                "administration": administration.pk,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:group-invitations", args=[group.slug])

    # One email, to the invitee, in their language, with the link and its HTML twin.
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["anna.peeters@example.org"]
    assert email.extra_headers["Content-Language"] == "nl"
    assert group.name_nl in email.subject  # the group's Dutch name, whatever the inviter reads
    assert chair.user.name in email.body
    assert in_language("nl", "Secretariat") in email.body
    html = dict((mimetype, content) for content, mimetype in email.alternatives)["text/html"]
    link, token = LINK.search(email.body).groups()
    assert link in html
    row = OutboundMessage.objects.get(kind=Kind.JOIN_INVITATION)
    assert row.language == "nl" and row.created_by == chair and row.batch.startswith(f"join-{group.pk}-")
    invitation = JoinInvitation.objects.get()
    assert invitation.token_hash != token and token not in invitation.token_hash  # only a hash is kept

    # The invitee opens the link: the page shows the invitation and changes nothing.
    invitee = Client()
    path = link.removeprefix("http://testserver")
    page = invitee.get(path)
    assert page.status_code == 200
    assert page["Content-Language"] == "nl"
    assert group.name_nl in page.text and chair.user.name in page.text
    assert f">{in_language('nl', 'Accept')}</button>" in page.text
    invitation.refresh_from_db()
    assert invitation.accepted_at is None and not User.objects.filter(email=invitation.email).exists()

    # Accept: no account yet, so allauth's sign-up opens with the invitation's address.
    response = invitee.post(path)
    assert response.status_code == 302 and response["Location"] == reverse("account_signup")
    signup = invitee.get(reverse("account_signup"))
    assert signup.status_code == 200
    form = signup.context["form"]
    assert form.fields["email"].disabled
    assert 'value="anna.peeters@example.org"' in signup.text
    assert form["name"].value() == "Anna Peeters"

    response = invitee.post(
        reverse("account_signup"),
        {
            "email": "someone.else@example.org",  # ignored: the invitation's address is used
            "name": "Anna Peeters-Janssens",
            "language": "nl",
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:group-detail", args=[group.slug])
    user = User.objects.get(email="anna.peeters@example.org")
    assert not User.objects.filter(email="someone.else@example.org").exists()
    assert (user.name, user.language) == ("Anna Peeters-Janssens", "nl")
    assert invitee.session["_auth_user_id"] == str(user.pk)  # signed in
    assert EmailAddress.objects.get(user=user).verified  # the link proved the address
    assert user.member.administration == administration
    assert is_member(user.email, group, Role.SECRETARIAT)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user.member
    assert "join_invitation_id" not in invitee.session
    assert invitee.get(response["Location"]).status_code == 200  # the group page

    # The link worked once.
    again = Client().get(path)
    assert again.status_code == 410
    assert problem_title(invitations.Problem.USED, "nl") in again.text


def test_invitation_email_says_what_happens_next_and_until_when(client, group, chair):
    invitation, _path = invite(chair, group, language="fr")
    message = OutboundMessage.objects.get(kind=Kind.JOIN_INVITATION)
    assert message.language == "fr"
    assert group.name_fr in message.subject
    assert message.body_html and "<a href=" in message.body_html
    # A new person sets up an account.
    assert " ".join(in_language("fr", NEXT_FOR_NEW_PEOPLE).split()) in " ".join(message.body_text.split())
    assert str(invitation.expires_at.year) in message.body_text
    assert message.reply_to == chair.user.email


def test_someone_with_an_account_gets_the_invitation_in_their_own_language(group, chair):
    UserFactory(email="known@example.org", language="de")
    invitation, _path = invite(chair, group, email="known@example.org", language="fr")
    message = OutboundMessage.objects.get(kind=Kind.JOIN_INVITATION)
    assert message.language == invitation.language == "de"
    assert group.name_de in message.subject
    assert in_language("de", NEXT_FOR_ACCOUNT_HOLDERS) in " ".join(message.body_text.split())


def test_bad_invite_form_shows_errors_and_sends_nothing(client, group, chair):
    client.force_login(chair.user)
    response = client.post(
        reverse("members:group-invite", args=[group.slug]),
        {"email": "not-an-address", "name": "", "language": "xx", "role": Role.SUBSTITUTE},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"email", "name", "language", "role"}
    assert 'aria-invalid="true"' in response.text
    assert not JoinInvitation.objects.exists() and not OutboundMessage.objects.exists()


def test_chair_cannot_invite_someone_already_in_the_group(client, group, chair, focal_point):
    client.force_login(chair.user)
    response = client.post(
        reverse("members:group-invite", args=[group.slug]),
        {"email": focal_point.user.email.upper(), "name": "X", "language": "en", "role": Role.MEMBER},
    )
    assert response.status_code == 200
    expected = in_language("nl", "This person is already a member of the group.")
    assert response.context["form"].errors["email"] == [expected]
    assert not JoinInvitation.objects.exists() and not OutboundMessage.objects.exists()


def test_a_new_invitation_replaces_the_earlier_one(client, group, chair, secretariat):
    first, first_path = invite(chair, group)
    second, second_path = invite(secretariat, group, email="NEW.person@example.org")
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    page = client.get(first_path)
    assert page.status_code == 410 and problem_title(invitations.Problem.REVOKED, "nl") in page.text
    assert client.get(second_path).status_code == 200


# --- Links that do not work ----------------------------------------------------------------------


def test_expired_link_shows_a_clear_page_in_the_invitees_language_and_creates_nothing(client, group, chair):
    invitation, path = invite(chair, group, language="fr")
    JoinInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert response["Content-Language"] == "fr"
        assert '<html lang="fr">' in response.text
        assert problem_title(invitations.Problem.EXPIRED, "fr") in response.text
    assert not User.objects.filter(email=invitation.email).exists()
    assert "join_invitation_id" not in client.session


def test_tampered_or_made_up_link_answers_404(client, group, chair):
    _invitation, path = invite(chair, group)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "x", "y" * 500):
        response = client.post(reverse("members:join", args=[bad]))
        assert response.status_code == 404
        assert problem_title(invitations.Problem.UNKNOWN, "en") in response.text
    assert not Membership.objects.filter(member__user__email="new.person@example.org").exists()


def test_withdrawn_invitation_link_stops_working(client, group, chair):
    invitation, path = invite(chair, group)
    client.force_login(chair.user)
    response = client.post(reverse("members:invitation-revoke", args=[group.slug, invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    client.logout()
    page = client.get(path)
    assert page.status_code == 410 and problem_title(invitations.Problem.REVOKED, "nl") in page.text
    assert client.post(path).status_code == 410


def test_withdrawing_an_accepted_invitation_is_refused(client, group, chair):
    user = UserFactory(email="new.person@example.org")
    invitation, _path = invite(chair, group)
    invitations.accept_invitation(invitation=invitation, user=user)
    client.force_login(chair.user)
    response = client.post(
        reverse("members:invitation-revoke", args=[group.slug, invitation.pk]), follow=True
    )
    assert in_language("nl", "Only invitations that are still pending can be withdrawn.") in response.text
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and is_member(user.email, group)


def test_link_expiring_between_opening_and_signing_up_shows_the_problem(client, group, chair):
    invitation, path = invite(chair, group)
    client.post(path)
    JoinInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(
        reverse("account_signup"),
        {"name": "N", "language": "en", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
    )
    assert response.status_code == 410 and problem_title(invitations.Problem.EXPIRED, "nl") in response.text
    assert not User.objects.filter(email=invitation.email).exists()
    # And sign-up is closed again for this browser.
    closed = client.get(reverse("account_signup"))
    assert "account/signup_closed.html" in [template.name for template in closed.templates]


def test_link_used_in_another_browser_before_sign_up_completes_is_refused(client, group, chair):
    invitation, path = invite(chair, group)
    client.post(path)  # this browser is on the sign-up form
    other = Client()
    other.post(path)
    other.post(
        reverse("account_signup"),
        {"name": "First", "language": "en", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
    )
    assert is_member(invitation.email, group)
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Second",
            "language": "en",
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )
    assert response.status_code == 410
    assert User.objects.filter(email=invitation.email).count() == 1
    assert User.objects.get(email=invitation.email).name == "First"


# --- Signed in, or with an account already ---------------------------------------------------------


def test_person_with_an_account_signs_in_then_accepts(client, group, chair):
    user = UserFactory(email="new.person@example.org", password=PASSWORD)
    administration = AdministrationFactory()
    _invitation, path = invite(chair, group, role=Role.OBSERVER, administration=administration)

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"
    response = client.post(
        f"{reverse('account_login')}?next={path}", {"login": user.email, "password": PASSWORD}
    )
    assert response["Location"] == path
    assert not is_member(user.email, group)  # signing in alone accepts nothing

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:group-detail", args=[group.slug])
    assert is_member(user.email, group, Role.OBSERVER)
    assert Member.objects.get(user=user).administration == administration
    used = client.get(path)  # used: the page leads its user to the group
    assert used.status_code == 410
    assert reverse("members:group-detail", args=[group.slug]) in used.text


def test_existing_member_keeps_their_administration_and_joins_a_second_group(
    client, group, other_group, outsider
):
    own = outsider.administration
    chair = make_member(group, Role.CHAIR)
    _invitation, path = invite(
        chair, group, email=outsider.user.email, administration=AdministrationFactory()
    )
    client.force_login(outsider.user)
    response = client.post(path)
    assert response.status_code == 302
    outsider.refresh_from_db()
    assert outsider.administration == own
    assert is_member(outsider.user.email, group, Role.MEMBER)
    assert is_member(outsider.user.email, other_group, Role.CHAIR)


def test_link_for_someone_else_while_signed_in_is_refused_with_a_clear_message(
    client, group, chair, focal_point
):
    invitation, path = invite(chair, group)
    client.force_login(focal_point.user)
    page = client.get(path)
    assert page.status_code == 200
    assert "was sent to new.person@example.org" in page.text
    response = client.post(path)
    assert response.status_code == 403
    assert "was sent to new.person@example.org" in response.text
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(member=focal_point, group=group).exclude(role=Role.MEMBER).exists()
    assert "join_invitation_id" not in client.session


def test_sign_up_stays_closed_without_an_invitation(client):
    page = client.get(reverse("account_signup"))
    assert "account/signup_closed.html" in [template.name for template in page.templates]
    client.post(
        reverse("account_signup"),
        {
            "email": "s@example.org",
            "name": "S",
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )
    assert not User.objects.filter(email="s@example.org").exists()


# --- Who may invite ------------------------------------------------------------------------------


PAGES = ["members:group-invite", "members:group-import", "members:group-invitations"]


@pytest.mark.parametrize("persona", ["focal_point", "observer"])
@pytest.mark.parametrize("page", PAGES)
def test_members_without_a_managing_role_cannot_invite(client, group, persona, page, request):
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    assert client.get(reverse(page, args=[group.slug])).status_code == 403
    response = client.post(
        reverse("members:group-invite", args=[group.slug]),
        {"email": "n@example.org", "name": "N", "language": "en", "role": Role.MEMBER},
    )
    assert response.status_code == 403
    assert not JoinInvitation.objects.exists()


@pytest.mark.parametrize("page", PAGES)
def test_outsider_cannot_see_the_invitation_pages(client, group, outsider, page):
    client.force_login(outsider.user)
    assert client.get(reverse(page, args=[group.slug])).status_code == 404


def test_focal_point_cannot_withdraw_an_invitation(client, group, chair, focal_point):
    invitation, _path = invite(chair, group)
    client.force_login(focal_point.user)
    response = client.post(reverse("members:invitation-revoke", args=[group.slug, invitation.pk]))
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize("role", [Role.VICE_CHAIR, Role.SECRETARIAT])
def test_vice_chair_and_secretariat_can_invite(client, group, role):
    member = make_member(group, role)
    client.force_login(member.user)
    response = client.post(
        reverse("members:group-invite", args=[group.slug]),
        {"email": "n@example.org", "name": "N", "language": "en", "role": Role.MEMBER},
    )
    assert response.status_code == 302
    assert JoinInvitation.objects.filter(email="n@example.org", invited_by=member).exists()


# --- The list of invitations ----------------------------------------------------------------------


def test_invitations_page_shows_each_invitation_by_what_became_of_it(client, group, chair):
    invite(chair, group, email="pending@example.org")
    accepted, _p = invite(chair, group, email="accepted@example.org")
    invitations.accept_invitation(invitation=accepted, user=UserFactory(email="accepted@example.org"))
    expired, _p = invite(chair, group, email="expired@example.org")
    JoinInvitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, _p = invite(chair, group, email="revoked@example.org")
    invitations.revoke_invitation(invitation=revoked)

    client.force_login(chair.user)
    response = client.get(reverse("members:group-invitations", args=[group.slug]))
    assert response.status_code == 200
    sections = {
        section["key"]: [row.email for row in section["invitations"]]
        for section in response.context["sections"]
    }
    assert sections == {
        "pending": ["pending@example.org"],
        "accepted": ["accepted@example.org"],
        "expired": ["expired@example.org"],
        "revoked": ["revoked@example.org"],
    }
    # Only pending invitations can be withdrawn.
    assert response.text.count(f">{in_language('nl', 'Withdraw')}<") == 1
    assert response.text.count("<caption>") == 4


@pytest.mark.parametrize("count", [1, 20])
def test_invitations_page_queries_do_not_grow(client, group, chair, count, django_assert_num_queries):
    for number in range(count):
        invite(chair, group, email=f"p{number}@example.org", administration=AdministrationFactory())
    client.force_login(chair.user)
    # session, user, member, roles, group, invitations
    with django_assert_num_queries(6):
        response = client.get(reverse("members:group-invitations", args=[group.slug]))
    pending = next(s for s in response.context["sections"] if s["key"] == "pending")
    assert len(pending["invitations"]) == count


@pytest.mark.parametrize("count", [1, 30])
def test_invite_form_queries_do_not_grow(client, group, chair, count, django_assert_num_queries):
    for _ in range(count):
        AdministrationFactory()
    client.force_login(chair.user)
    # session, user, member, roles, group, administrations for the select
    with django_assert_num_queries(6):
        response = client.get(reverse("members:group-invite", args=[group.slug]))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_join_page_queries_do_not_grow(client, group, chair, count, django_assert_num_queries):
    for number in range(count):
        invite(chair, group, email=f"p{number}@example.org")
    _invitation, path = invite(chair, group)
    # the invitation with its group, administration and inviter
    with django_assert_num_queries(1):
        response = client.get(path)
    assert response.status_code == 200
