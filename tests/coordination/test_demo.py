import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from coordination.demo import CSR_SLUG, NAP_SLUG
from coordination.models import (
    ActionPlan,
    Commitment,
    CommitmentPart,
    ProgressUpdate,
    ReportingRound,
    RoundSnapshot,
)
from meetings.models import DocumentFile, Meeting, Minutes
from members.demo import DEMO_PASSWORD
from members.models import Administration, Group, Member, Membership, User
from members.outbox import Kind, OutboundMessage

pytestmark = pytest.mark.django_db


def test_demo_platform_loads_a_realistic_network_and_twice_changes_nothing(
    client, django_capture_on_commit_callbacks
):
    # As outside a test: what waits for the commit (approved minutes becoming commitments) runs.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (
        Administration.objects.count(),
        Member.objects.count(),
        Membership.objects.count(),
        Group.objects.count(),
    )
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts == (
        Administration.objects.count(),
        Member.objects.count(),
        Membership.objects.count(),
        Group.objects.count(),
    )
    assert Meeting.objects.count() == 4
    assert Meeting.objects.filter(status=Meeting.Status.HELD).count() == 2
    # The held plenary's minutes are published, with numbered decisions and action items that became
    # commitments; a working group's minutes are out for comments.
    published = Minutes.objects.get(status=Minutes.Status.PUBLISHED)
    assert published.meeting.kind == Meeting.Kind.PLENARY
    assert published.decisions.exclude(number="").count() >= 3 and published.actions.count() >= 2
    assert Commitment.objects.filter(action_item__minutes=published).count() == published.actions.count()
    assert published.meeting.invitations.filter(attendance__isnull=False).count() >= 30
    assert Minutes.objects.filter(status=Minutes.Status.FOR_COMMENTS, meeting__group__slug="nap-bhr").exists()
    assert Minutes.objects.count() == 2  # the second run added none
    # Their emails are the demo's past: nothing is left for the worker to send.
    assert not OutboundMessage.objects.filter(kind=Kind.MINUTES, status=OutboundMessage.Status.QUEUED).exists()
    plenary = Meeting.objects.filter(kind=Meeting.Kind.PLENARY).upcoming().get()
    assert plenary.agenda_items.count() >= 5 and plenary.invitations.count() >= 30
    assert set(DocumentFile.objects.values_list("language", flat=True)) >= {"nl", "fr"}
    assert Member.objects.count() >= 40
    assert set(Administration.objects.values_list("level", flat=True)) == set(Administration.Level.values)
    assert len(set(Member.objects.values_list("user__language", flat=True))) == 4
    # The printed accounts work.
    assert client.login(email="chair@example.org", password="concerto-demo-2026")


def test_demo_platform_refuses_to_load_outside_development():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo")
    assert not Member.objects.exists()


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


def test_demo_chair_and_secretariat_are_ordinary_members_and_a_separate_account_runs_the_admin(client):
    printed = seed()

    for email in ("chair@example.org", "secretariat@example.org"):
        user = User.objects.get(email=email)
        assert not user.is_staff and not user.is_superuser
        assert client.login(email=email, password=DEMO_PASSWORD)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
        client.logout()

    admin = User.objects.get(email="admin@example.org")
    assert admin.is_staff and admin.is_superuser
    assert not Member.objects.filter(user=admin).exists()  # no member profile, so in no group
    assert client.login(email="admin@example.org", password=DEMO_PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200
    # `make run` prints every account, the staff one included.
    for email in ("chair@example.org", "secretariat@example.org", "admin@example.org"):
        assert email in printed
    assert DEMO_PASSWORD in printed


def test_an_older_demo_database_loses_its_staff_chair():
    from members.demo import load_demo_platform

    load_demo_platform()
    User.objects.filter(email="chair@example.org").update(is_staff=True, is_superuser=True)
    load_demo_platform()
    chair = User.objects.get(email="chair@example.org")
    assert not chair.is_staff and not chair.is_superuser


def test_demo_chair_runs_the_platform_through_their_role(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    seed()
    assert client.login(email="chair@example.org", password=DEMO_PASSWORD)
    plenary = Meeting.objects.filter(kind=Meeting.Kind.PLENARY).upcoming().get()
    platform = plenary.group

    assert client.get(reverse("meetings:create", args=[platform.slug])).status_code == 200
    assert client.get(reverse("meetings:agenda", args=[plenary.pk])).status_code == 200
    assert client.get(reverse("members:group-invite", args=[platform.slug])).status_code == 200
    assert client.get(reverse("members:public-page-edit", args=[platform.slug])).status_code == 200
    # The start page shows the chair what needs them: the plenary's agenda is not circulated yet.
    duties = client.get(reverse("home")).text.split('id="duties-heading"')[1].split("</section>")[0]
    assert reverse("meetings:circulate", args=[plenary.pk]) in duties

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:circulate", args=[plenary.pk]))

    assert response.status_code == 302
    plenary.refresh_from_db()
    assert plenary.circulated_at is not None
    assert len(mailoutbox) == plenary.invitations.filter(removed_at__isnull=True).count() > 30
    assert client.get(reverse("meetings:answers", args=[plenary.pk])).status_code == 200


def test_demo_action_plans_with_parts_focal_points_and_three_rounds(client):
    seed()
    counts = (Commitment.objects.count(), CommitmentPart.objects.count(), ProgressUpdate.objects.count())
    seed()  # a second run duplicates nothing
    assert counts == (
        Commitment.objects.count(),
        CommitmentPart.objects.count(),
        ProgressUpdate.objects.count(),
    )

    csr, nap = ActionPlan.objects.get(slug=CSR_SLUG), ActionPlan.objects.get(slug=NAP_SLUG)
    assert csr.owner_group.slug == "mvo-platform" and nap.owner_group.slug == "nap-bhr"
    assert csr.is_public and Commitment.objects.public().filter(edition__plan=csr).count() >= 25
    assert 55 <= Commitment.objects.count() <= 65
    # Several commitments carried by the federal level and each region, each with its own part.
    levels = {
        commitment.pk: {part.administration.level for part in commitment.parts.all()}
        for commitment in Commitment.objects.prefetch_related("parts__administration")
    }
    assert sum(1 for found in levels.values() if {"federal", "regional"} <= found) >= 15
    assert {"community"} <= set().union(*levels.values())
    # Focal points among the demo members, the Flemish and Walloon demo accounts included.
    focal = Member.objects.filter(commitment_parts__isnull=False).distinct()
    assert focal.count() >= 10
    assert focal.filter(user__email="member.flanders@example.org").exists()
    assert focal.filter(user__email="member.wallonia@example.org").exists()
    for part in CommitmentPart.objects.prefetch_related("focal_points").select_related("administration"):
        for point in part.focal_points.all():
            assert point.administration_id == part.administration_id
    # Titles in Dutch, French and English, German for some.
    assert (
        not Commitment.objects.filter(title_nl="").exists()
        and not Commitment.objects.filter(title_fr="").exists()
    )
    assert Commitment.objects.exclude(title_de="").count() >= 10
    # Two closed rounds with frozen snapshots and one open round, per plan.
    for plan in (csr, nap):
        rounds = ReportingRound.objects.filter(edition__plan=plan)
        assert rounds.filter(closed_at__isnull=False).count() == 2 and rounds.open().count() == 1
        parts = CommitmentPart.objects.filter(commitment__edition__plan=plan).count()
        for closed in rounds.filter(closed_at__isnull=False):
            assert closed.snapshots.count() == parts
            assert closed.snapshots.filter(reported=True).exists()
            assert closed.updates.exists()
        assert rounds.open().get().updates.exists()
    # Progress moved over the rounds, and the parts show their last update.
    assert (
        Commitment.objects.filter(status="done").exists()
        and Commitment.objects.filter(status="delayed").exists()
    )
    assert Commitment.objects.overdue().exists()
    for part in CommitmentPart.objects.filter(updates__isnull=False).distinct()[:50]:
        last = part.updates.order_by("-created_at", "-pk").first()
        assert (part.status, part.completion, part.progress) == (last.status, last.completion, last.progress)
    assert RoundSnapshot.objects.filter(no_change=True).exists()
    # The chair reads the new pages on the demo.
    assert client.login(email="chair@example.org", password=DEMO_PASSWORD)
    assert client.get(reverse("tracker:list")).status_code == 200
    assert client.get(reverse("tracker:plan-dashboard", args=[CSR_SLUG])).status_code == 200
    client.logout()
    assert client.get(reverse("public-plans:detail", args=[CSR_SLUG])).status_code == 200
    assert client.get(reverse("public-plans:detail", args=[NAP_SLUG])).status_code == 404
