import pytest
from django.core.management import call_command

from meetings.models import DocumentFile, Meeting
from members.models import Administration, Group, Member, Membership

pytestmark = pytest.mark.django_db


def test_demo_platform_loads_a_realistic_network_and_twice_changes_nothing(client):
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
    assert Meeting.objects.count() == 3
    assert Meeting.objects.filter(status=Meeting.Status.HELD).count() == 1
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
