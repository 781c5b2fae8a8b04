"""A substitute's invitation says whom they stand in for and for which administration, in the
substitute's language, and (for someone with an account) leads to the meeting page and documents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings import circulation, rsvp
from meetings.models import Invitation
from members.outbox import OutboundMessage
from tests.factories import make_member
from tests.meetings.factories import bulk_members, make_document, make_items
from tests.meetings.helpers import invite, make_meeting

pytestmark = pytest.mark.django_db
Source = Invitation.Source


@pytest.fixture
def meeting(group, chair, focal_point, secretariat):
    """Circulated, with a document; the focal point (English) is invited personally."""
    meeting = make_meeting(group, chair, items=1, invite_whole_group=False)
    make_document(meeting, title="Draft action plan")
    invite(meeting, [focal_point], source=Source.PERSONAL)
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    OutboundMessage.objects.all().delete()
    return meeting


def test_substitute_colleague_is_told_whom_they_replace_in_their_language(
    client, meeting, focal_point, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = make_member(language="fr", administration=focal_point.administration)
    invitation = meeting.invitations.get(member=focal_point)

    with django_capture_on_commit_callbacks(execute=True):
        rsvp.delegate(invitation=invitation, by=focal_point, substitute=colleague)

    row = OutboundMessage.objects.get()
    assert row.to_email == colleague.user.email and row.language == "fr"
    name = focal_point.user.name
    administration = focal_point.administration.name_fr  # the administration's French name
    assert f"Invitation en remplacement de {name}\N{NO-BREAK SPACE}: Plénière sur le plan d'action RSE" in row.subject
    body = " ".join(row.body_text.split())
    assert f"{name} vous envoie à sa place à la réunion « Plénière sur le plan d'action RSE »" in body
    assert f"pour représenter {administration}." in body
    page = f"http://testserver{reverse('meetings:detail', args=[meeting.pk])}"
    assert f"l'ordre du jour et les documents sur la page de la réunion\N{NO-BREAK SPACE}: {page}" in row.body_text
    assert f'href="{page}"' in row.body_html and "pour représenter" in row.body_html
    assert "Draft action plan" in row.body_text
    assert "/meetings/answer/" in row.body_text  # their own answer links
    (message,) = mailoutbox
    assert message.extra_headers["Content-Language"] == "fr"

    # The link leads somewhere: the substitute sees the meeting and may download its documents.
    client.force_login(colleague.user)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200 and "Draft action plan" in response.text


def test_substitute_without_an_account_is_told_whom_they_replace_without_members_links(
    meeting, focal_point, django_capture_on_commit_callbacks
):
    invitation = meeting.invitations.get(member=focal_point)

    with django_capture_on_commit_callbacks(execute=True):
        rsvp.delegate(
            invitation=invitation,
            by=focal_point,
            email="stand-in@example.net",
            name="Stand In",
            language="nl",
        )

    row = OutboundMessage.objects.get(to_email="stand-in@example.net")
    assert row.language == "nl"
    assert "Plenaire over het MVO-actieplan" in row.subject and focal_point.user.name in row.subject
    administration = focal_point.administration.name_nl
    assert f"{focal_point.user.name} stuurt u in zijn of haar plaats naar" in row.body_text
    assert f"om {administration} te vertegenwoordigen." in row.body_text
    assert f"/meetings/{meeting.pk}/" not in row.body_text  # no members' page for a guest
    assert "/meetings/answer/" in row.body_text


def test_substitute_named_before_circulation_is_told_when_the_agenda_goes_out(
    group, chair, focal_point, secretariat
):
    meeting = make_meeting(group, chair, invite_whole_group=False)
    make_items(meeting, 1)
    invite(meeting, [focal_point], source=Source.PERSONAL)
    colleague = make_member(language="en", administration=focal_point.administration)
    rsvp.delegate(
        invitation=meeting.invitations.get(member=focal_point), by=focal_point, substitute=colleague
    )
    assert not OutboundMessage.objects.exists()

    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    row = OutboundMessage.objects.get(to_email=colleague.user.email)
    assert f"{focal_point.user.name} sends you to" in row.body_text
    assert focal_point.administration.name_en in row.body_text


def meeting_with_substitutes(group, chair, count: int):
    """A meeting where `count` invitees each sent a colleague (rows made with the ORM)."""
    meeting = make_meeting(group, chair, invite_whole_group=False)
    make_items(meeting, 2)
    senders = bulk_members(count)
    colleagues = bulk_members(count, administration=senders[0].administration)
    sent = invite(meeting, senders, source=Source.PERSONAL, rsvp=Invitation.Rsvp.DELEGATED)
    stand_ins = invite(meeting, colleagues, source=Source.SUBSTITUTE)
    for sender, stand_in in zip(sent, stand_ins, strict=True):
        sender.delegated_to = stand_in
    Invitation.objects.bulk_update(sent, ["delegated_to"])
    return meeting, senders


@pytest.mark.parametrize("extra", [3, 12])
def test_naming_whom_substitutes_replace_costs_no_query_per_substitute(group, chair, secretariat, extra):
    small, _senders = meeting_with_substitutes(group, chair, 2)
    large, senders = meeting_with_substitutes(group, chair, 2 + extra)

    with CaptureQueriesContext(connection) as for_small:
        circulation.circulate_agenda(meeting=small, by=secretariat)
    with CaptureQueriesContext(connection) as for_large:
        circulation.circulate_agenda(meeting=large, by=secretariat)

    assert len(for_large) == len(for_small)  # outbox rows are written in bulk: nothing per recipient
    stand_in_rows = OutboundMessage.objects.filter(subject__contains="in place of")
    assert stand_in_rows.count() == 2 + 2 + extra
    assert any(f"{senders[-1].user.name} sends you to" in row.body_text for row in stand_in_rows)
