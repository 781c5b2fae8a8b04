"""Circulating the agenda: one email per invitee, in their language, with the calendar invitation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from meetings import circulation, sending
from meetings.models import Document, DocumentFile, Invitation, Meeting
from members.models import Membership
from members.outbox import Kind, OutboundMessage
from members.services import deactivate_member
from tests.factories import make_member
from tests.meetings.helpers import brussels, circulated, invite, make_meeting, next_winter_day, parse_calendar

pytestmark = pytest.mark.django_db
Status = Meeting.Status
Source = Invitation.Source


def calendar_of(row: OutboundMessage):
    """The row's calendar part, checked to be the same file as its .ics attachment."""
    (part,) = row.alternatives
    (attachment,) = row.attachments
    assert part["content"] == attachment["content"]
    ical, _vcal = parse_calendar(part["content"])
    (event,) = ical.walk("VEVENT")
    return part["mimetype"], attachment, ical, event


def hand_picked(group, chair, members, **fields):
    """A meeting whose invitees are exactly `members`, chosen one by one (not the whole group):
    circulating it, which first syncs the group's invitations, invites nobody else."""
    meeting = make_meeting(group, chair, invite_whole_group=False, **fields)
    invite(meeting, members, source=Source.PERSONAL)
    return meeting


@pytest.fixture
def meeting(group, chair, focal_point, observer):
    """Three agenda items; invitees reading Dutch (chair), English, German, and a French guest."""
    meeting = hand_picked(group, chair, [chair, focal_point, observer], items=3)
    Invitation.objects.create(meeting=meeting, email="guest@example.net", name="Ann Guest", language="fr")
    return meeting


def test_secretariat_circulates_one_email_per_invitee_in_their_language(
    meeting, chair, focal_point, observer, secretariat, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = circulation.circulate_agenda(meeting=meeting, by=secretariat)

    assert queued == 4
    rows = {row.to_email: row for row in OutboundMessage.objects.all()}
    assert {email: row.language for email, row in rows.items()} == {
        chair.user.email: "nl",
        focal_point.user.email: "en",
        observer.user.email: "de",
        "guest@example.net": "fr",
    }
    for row in rows.values():
        assert row.kind == Kind.MEETING_INVITATION
        assert row.created_by == secretariat
        assert row.batch == f"meeting-{meeting.pk}-r0"
        assert row.reply_to == chair.user.email
        assert row.body_text and row.body_html
        mimetype, attachment, ical, event = calendar_of(row)
        assert mimetype == "text/calendar; method=REQUEST"
        assert attachment["filename"] == "invite.ics" and attachment["mimetype"] == "application/ics"
        assert ical["METHOD"] == "REQUEST"
        assert str(event["UID"]) == meeting.uid and event["SEQUENCE"] == 0
        assert str(event["ATTENDEE"]) == f"mailto:{row.to_email}"
    # The texts are the recipient's: the meeting's title in their language (German falls back).
    assert "Plenaire over het MVO-actieplan" in rows[chair.user.email].subject
    assert "Plénière sur le plan d'action RSE" in rows["guest@example.net"].subject
    assert "Plenary on the CSR action plan" in rows[observer.user.email].subject
    assert "1. 10:00 Punt 1 in het Nederlands" in rows[chair.user.email].body_text
    # Delivered: one message per recipient, never a shared To: list.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(rows)
    assert all(len(m.to) == 1 for m in mailoutbox)
    for message in mailoutbox:
        types = [mimetype for _content, mimetype in message.alternatives]
        assert types == ["text/html", "text/calendar; method=REQUEST"]
        assert message.extra_headers["Content-Language"] == rows[message.to[0]].language
        assert [a.filename for a in message.attachments] == ["invite.ics"]


def test_circulation_schedules_the_meeting_and_records_what_each_invitee_has(meeting, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    meeting.refresh_from_db()
    assert meeting.status == Status.SCHEDULED
    assert meeting.circulated_at is not None
    assert set(meeting.invitations.values_list("sent_sequence", flat=True)) == {0}


def test_email_shows_times_in_the_recipients_time_zone(group, chair, secretariat):
    traveller = make_member(group, language="en", timezone="America/New_York")
    meeting = hand_picked(group, chair, [traveller], items=2, starts_at=brussels(2027, 1, 19, 10))

    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    text = OutboundMessage.objects.get().body_text
    assert "04:00–06:00 (America/New_York)" in text  # 10:00 in Brussels, in winter
    assert "2. 04:15 Item 2 in English" in text  # the running clock, in their zone too


def test_guest_without_an_account_gets_no_link_to_the_members_pages(meeting, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    row = OutboundMessage.objects.get(to_email="guest@example.net")
    assert row.member is None
    page = f"/meetings/{meeting.pk}/"  # the members' meeting page; the guest answers by the signed links
    assert page not in row.body_text and page not in row.body_html
    assert "/meetings/answer/" in row.body_text
    assert "Point 1 en français" in row.body_text  # but the whole agenda


def test_members_get_a_link_to_answer_on_the_meeting_page(meeting, focal_point, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert f"http://testserver/meetings/{meeting.pk}/" in row.body_text
    assert f'href="http://testserver/meetings/{meeting.pk}/"' in row.body_html


def test_preview_shows_the_email_in_each_language_and_the_recipient_count(meeting, secretariat):
    preview = circulation.circulation_preview(meeting=meeting)

    assert preview["recipients"] == 4
    assert preview["update"] is False
    by_language = {entry["language"]: entry for entry in preview["languages"]}
    assert set(by_language) == {"nl", "en", "de", "fr"}
    assert "Plenaire over het MVO-actieplan" in by_language["nl"]["subject"]
    assert "Punt 1 in het Nederlands" in by_language["nl"]["text"]
    assert "Point 1 en français" in by_language["fr"]["html"]
    assert all(entry["count"] == 1 for entry in preview["languages"])
    assert not OutboundMessage.objects.exists()  # a preview sends nothing


def test_cancelled_meeting_cannot_be_circulated(meeting, secretariat):
    Meeting.objects.filter(pk=meeting.pk).update(status=Status.CANCELLED)

    with pytest.raises(ValidationError, match="cancelled"):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)
    assert not OutboundMessage.objects.exists()


def test_meeting_without_agenda_cannot_be_circulated(group, chair, focal_point, secretariat):
    meeting = make_meeting(group, chair, members=[focal_point], items=0)

    with pytest.raises(ValidationError, match="agenda item"):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.circulated_at) == (Status.DRAFT, None)
    assert not OutboundMessage.objects.exists()


def test_meeting_without_invitees_cannot_be_circulated(group, chair, secretariat):
    meeting = make_meeting(group, chair, items=2, invite_whole_group=False)

    with pytest.raises(ValidationError, match="Nobody is invited"):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)
    assert Meeting.objects.get(pk=meeting.pk).status == Status.DRAFT


def test_past_meeting_cannot_be_circulated(group, chair, focal_point, secretariat):
    start = timezone.now() - timedelta(days=2)
    meeting = make_meeting(group, chair, members=[focal_point], items=1, starts_at=start)

    with pytest.raises(ValidationError, match="already taken place"):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)
    assert not OutboundMessage.objects.exists()


def test_removed_and_deactivated_invitees_get_nothing(meeting, focal_point, observer, secretariat):
    meeting.invitations.filter(member=focal_point).update(removed_at=timezone.now())
    deactivate_member(member=observer)

    queued = circulation.circulate_agenda(meeting=meeting, by=secretariat)

    assert queued == 2
    recipients = set(OutboundMessage.objects.values_list("to_email", flat=True))
    assert focal_point.user.email not in recipients and observer.user.email not in recipients


def test_rolled_back_circulation_sends_nothing(
    meeting, secretariat, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        circulation.circulate_agenda(meeting=meeting, by=secretariat)
        raise RuntimeError("the page failed after the service")

    assert not OutboundMessage.objects.exists()
    assert mailoutbox == []
    assert Meeting.objects.get(pk=meeting.pk).circulated_at is None


def test_recirculation_sends_the_next_sequence_only_to_those_with_an_older_version(
    meeting, group, chair, focal_point, secretariat
):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    newcomer = make_member(group, language="fr")
    invite(meeting, [newcomer], source=Source.PERSONAL)
    # What update_meeting does after circulation: a new time is one more revision.
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=meeting.starts_at + timedelta(days=1),
        ends_at=meeting.ends_at + timedelta(days=1),
        sequence=1,
    )
    OutboundMessage.objects.all().delete()

    queued = circulation.circulate_agenda(meeting=meeting, by=secretariat)

    assert queued == 5
    rows = {row.to_email: row for row in OutboundMessage.objects.all()}
    for row in rows.values():
        _mimetype, _attachment, ical, event = calendar_of(row)
        assert ical["METHOD"] == "REQUEST"
        assert str(event["UID"]) == meeting.uid
        assert event["SEQUENCE"] == 1
        assert row.batch == f"meeting-{meeting.pk}-r1"
    update = rows[focal_point.user.email]
    assert update.language == "en"
    assert update.subject.startswith("Updated:")
    assert "the date or time (it was" in update.body_text
    # The newcomer never had a version: for them it is an invitation, not an update.
    newcomer_row = rows[newcomer.user.email]
    with translation.override(newcomer_row.language):
        invitation_prefix = translation.gettext("Invitation: %(title)s – %(day)s").split("%(title)s")[0]
    assert newcomer_row.subject.startswith(invitation_prefix)
    assert set(meeting.invitations.values_list("sent_sequence", flat=True)) == {1}

    # Nothing changed since: circulating again sends nothing.
    assert circulation.circulate_agenda(meeting=meeting, by=secretariat) == 0
    assert OutboundMessage.objects.count() == 5


def test_recirculating_an_edited_agenda_raises_the_sequence_itself(meeting, focal_point, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    meeting.agenda_items.filter(position=2).update(title_en="A renamed second item")
    OutboundMessage.objects.all().delete()

    queued = circulation.circulate_agenda(meeting=meeting, by=secretariat, note="Item 2 was renamed.")

    assert queued == 4
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert calendar_of(row)[3]["SEQUENCE"] == 1
    assert "the agenda" in row.body_text
    assert "Item 2 was renamed." in row.body_text
    assert "A renamed second item" in row.body_html


def test_preview_of_an_update_counts_only_those_with_an_older_version(meeting, group, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    invite(meeting, [make_member(group, language="nl")])

    preview = circulation.circulation_preview(meeting=meeting)

    assert preview["update"] is True
    assert preview["recipients"] == 1
    assert [entry["language"] for entry in preview["languages"]] == ["nl"]


def test_invitee_added_after_circulation_gets_the_current_version(meeting, group, secretariat):
    circulated(meeting, sequence=2)
    newcomer = make_member(group, language="nl")
    (invitation,) = invite(meeting, [newcomer])

    sent = sending.send_to_new_invitees(meeting=meeting, invitations=[invitation], by=secretariat)

    assert sent == 1
    row = OutboundMessage.objects.get()
    assert (row.to_email, row.language, row.created_by) == (newcomer.user.email, "nl", secretariat)
    _mimetype, _attachment, ical, event = calendar_of(row)
    assert ical["METHOD"] == "REQUEST"
    assert (str(event["UID"]), event["SEQUENCE"]) == (meeting.uid, 2)
    invitation.refresh_from_db()
    assert invitation.sent_sequence == 2
    # Told once: a second call (a retried hook) sends nothing.
    assert sending.send_to_new_invitees(meeting=meeting, invitations=[invitation], by=secretariat) == 0


def test_invitee_added_before_circulation_waits_for_it(meeting, group, secretariat):
    (invitation,) = invite(meeting, [make_member(group)])

    assert sending.send_to_new_invitees(meeting=meeting, invitations=[invitation], by=secretariat) == 0
    assert not OutboundMessage.objects.exists()


def test_removed_invitee_gets_a_cancel_for_the_same_event(meeting, focal_point, secretariat):
    circulated(meeting, sequence=1)
    invitation = meeting.invitations.get(member=focal_point)
    invitation.removed_at = timezone.now()
    invitation.save()

    sent = sending.send_cancellations(meeting=meeting, invitations=[invitation], by=secretariat)

    assert sent == 1
    row = OutboundMessage.objects.get()
    assert row.to_email == focal_point.user.email
    assert row.batch == f"meeting-{meeting.pk}-r1-removed"
    mimetype, attachment, ical, event = calendar_of(row)
    assert mimetype == "text/calendar; method=CANCEL"
    assert attachment["filename"] == "cancel.ics"
    assert ical["METHOD"] == "CANCEL"
    assert (str(event["UID"]), event["SEQUENCE"]) == (meeting.uid, 1)
    assert "no longer on the list of invitees" in row.body_text
    invitation.refresh_from_db()
    assert invitation.sent_sequence is None  # invited again later, they get a fresh invitation
    assert sending.send_cancellations(meeting=meeting, invitations=[invitation], by=secretariat) == 0


def test_cancelling_sends_a_cancel_to_everyone_who_was_sent_the_meeting(
    meeting, group, chair, focal_point, secretariat, mailoutbox, django_capture_on_commit_callbacks
):
    circulated(meeting, sequence=3)
    not_yet_told = make_member(group)
    invite(meeting, [not_yet_told])

    with django_capture_on_commit_callbacks(execute=True):
        sent = circulation.cancel_meeting(
            meeting=meeting, by=chair, cancellation_note_en="The room is not available."
        )

    assert sent == 4
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == (Status.CANCELLED, 4)
    rows = list(OutboundMessage.objects.all())
    assert not_yet_told.user.email not in {row.to_email for row in rows}
    for row in rows:
        assert row.batch == f"meeting-{meeting.pk}-cancelled"
        assert row.created_by == chair
        _mimetype, _attachment, ical, event = calendar_of(row)
        assert ical["METHOD"] == "CANCEL"
        assert event["STATUS"] == "CANCELLED"
        assert (str(event["UID"]), event["SEQUENCE"]) == (meeting.uid, 4)
        assert "The room is not available." in row.body_text
    assert len(mailoutbox) == 4
    assert all("text/calendar; method=CANCEL" in [t for _c, t in m.alternatives] for m in mailoutbox)

    with pytest.raises(ValidationError, match="already cancelled"):
        circulation.cancel_meeting(meeting=meeting, by=chair)
    assert OutboundMessage.objects.count() == 4


def test_cancelling_a_draft_tells_nobody(group, chair, focal_point):
    meeting = make_meeting(group, chair, members=[focal_point], items=1, starts_at=next_winter_day())

    assert circulation.cancel_meeting(meeting=meeting, by=chair) == 0
    assert Meeting.objects.get(pk=meeting.pk).status == Status.CANCELLED
    assert not OutboundMessage.objects.exists()


def add_document(meeting, title: str, item=None) -> Document:
    document = Document.objects.create(meeting=meeting, agenda_item=item, title=title)
    DocumentFile.objects.create(
        document=document,
        file=ContentFile(b"%PDF-1.4", name="paper.pdf"),
        original_name="paper.pdf",
        content_type="application/pdf",
        size=8,
    )
    return document


def test_agenda_email_lists_the_documents_and_links_to_the_meeting_page(meeting, focal_point, secretariat):
    add_document(meeting, "Draft action plan", item=meeting.agenda_items.get(position=1))
    add_document(meeting, "Minutes of the last meeting")

    circulation.circulate_agenda(meeting=meeting, by=secretariat)

    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    for body in (row.body_text, row.body_html):
        assert "Draft action plan" in body
        assert "Minutes of the last meeting" in body
    assert (
        f"Read the documents on the meeting page: http://testserver/meetings/{meeting.pk}/" in row.body_text
    )


def test_a_new_document_after_circulation_is_an_update(meeting, focal_point, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    add_document(meeting, "Late contribution", item=meeting.agenda_items.get(position=3))
    OutboundMessage.objects.all().delete()

    assert circulation.circulate_agenda(meeting=meeting, by=secretariat) == 4

    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert "the documents" in row.body_text
    assert "Late contribution" in row.body_text


@pytest.mark.parametrize("extra", [5, 25])
def test_circulation_costs_no_query_per_recipient(group, chair, secretariat, extra):
    """No query per email: templates and calendars read what was loaded; the outbox rows are
    written in bulk."""
    small = make_meeting(group, chair, invitees=2, items=3, languages=("nl", "fr"), invite_whole_group=False)
    large = make_meeting(
        group, chair, invitees=2 + extra, items=3, languages=("nl", "fr"), invite_whole_group=False
    )
    for meeting in (small, large):
        meeting.invitations.update(source=Source.PERSONAL)
        add_document(meeting, "Paper", item=meeting.agenda_items.first())

    with CaptureQueriesContext(connection) as for_small:
        small_count = circulation.circulate_agenda(meeting=small, by=secretariat)
    with CaptureQueriesContext(connection) as for_large:
        large_count = circulation.circulate_agenda(meeting=large, by=secretariat)

    assert large_count == small_count + extra
    for meeting, count in ((small, small_count), (large, large_count)):
        assert OutboundMessage.objects.filter(batch=f"meeting-{meeting.pk}-r0").count() == count
    assert len(for_large) == len(for_small)


# --- The description is part of what invitees were told --------------------------------------------


def test_changed_description_is_circulated_as_an_update_saying_so(meeting, focal_point, secretariat):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    # What update_meeting does after circulation: a new description is one more revision.
    Meeting.objects.filter(pk=meeting.pk).update(
        description_en="Please read the draft plan before the meeting.", sequence=1
    )
    OutboundMessage.objects.all().delete()

    preview = circulation.circulation_preview(meeting=meeting)
    queued = circulation.circulate_agenda(meeting=meeting, by=secretariat)

    assert "description" in preview["changes"]
    assert queued == 4
    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert row.subject.startswith("Updated:")
    assert "– the description" in row.body_text
    assert "<li>the description</li>" in row.body_html
    assert "Please read the draft plan before the meeting." in calendar_of(row)[3]["DESCRIPTION"]


def test_version_circulated_before_descriptions_were_tracked_shows_no_description_change(
    meeting, secretariat
):
    circulation.circulate_agenda(meeting=meeting, by=secretariat)
    meeting.refresh_from_db()
    older = {key: value for key, value in meeting.circulated_version.items() if key != "description"}
    Meeting.objects.filter(pk=meeting.pk).update(circulated_version=older)
    meeting.refresh_from_db()

    assert sending.changes_since_circulation(sending.with_email_data(meeting)) == {}


# --- Newcomers of the group are invited when the agenda is (re-)circulated --------------------------


@pytest.fixture
def whole_group(group, chair, focal_point):
    """A meeting of the whole group (chair and focal point so far), its agenda circulated."""
    meeting = make_meeting(group, chair, items=2, members=[chair, focal_point])
    circulation.circulate_agenda(meeting=meeting, by=chair)
    OutboundMessage.objects.all().delete()
    return meeting


def test_member_who_joined_after_circulation_is_invited_when_it_is_circulated_again(
    whole_group, group, chair, focal_point
):
    newcomer = make_member(group, language="fr")

    preview = circulation.circulation_preview(meeting=whole_group)
    queued = circulation.circulate_agenda(meeting=whole_group, by=chair)

    assert (preview["recipients"], preview["newcomers"]) == (1, 1)
    assert queued == 1
    invitation = whole_group.invitations.get(member=newcomer)
    assert (invitation.source, invitation.sent_sequence) == (Source.GROUP, 0)
    row = OutboundMessage.objects.get()
    assert (row.to_email, row.language) == (newcomer.user.email, "fr")
    assert calendar_of(row)[2]["METHOD"] == "REQUEST"
    # The others already have this version: nothing more for them.
    assert circulation.circulate_agenda(meeting=whole_group, by=chair) == 0


def test_newcomer_gets_one_invitation_when_the_update_goes_out(whole_group, group, chair, focal_point):
    newcomer = make_member(group)
    whole_group.agenda_items.filter(position=1).update(title_en="A renamed first item")

    queued = circulation.circulate_agenda(meeting=whole_group, by=chair)

    assert queued == 3  # the update to chair and focal point, the invitation to the newcomer
    assert OutboundMessage.objects.filter(to_email=newcomer.user.email).count() == 1
    assert set(whole_group.invitations.values_list("sent_sequence", flat=True)) == {1}


def test_member_who_left_is_sent_a_cancellation_when_it_is_circulated_again(whole_group, focal_point, chair):
    Membership.objects.filter(member=focal_point).update(end=timezone.localdate())

    circulation.circulate_agenda(meeting=whole_group, by=chair)

    assert whole_group.invitations.get(member=focal_point).removed_at is not None
    row = OutboundMessage.objects.get(to_email=focal_point.user.email)
    assert calendar_of(row)[2]["METHOD"] == "CANCEL"
