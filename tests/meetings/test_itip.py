"""Calendar answers (iTIP REPLY): matched, recorded or refused and logged; webhook and mailbox entry points."""

import base64
import json
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from meetings import calendar, inbound, itip, links
from meetings.models import CalendarReply, Invitation, Meeting, RsvpAnswer
from tests.meetings.factories import invite, make_meeting

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Outcome = CalendarReply.Outcome
SECRET = "hook:test-webhook-secret"  # tests/environment.py
GUEST = "guest@example.net"
PLAIN_ORGANIZER = "agenda@testserver"  # settings.CALENDAR_ORGANIZER_EMAIL in the tests


def reply_ics(
    meeting: Meeting | None = None,
    attendee: str | list[str] = "",
    partstat: str = "ACCEPTED",
    *,
    uid: str = "",
    sequence: int | None = None,
    method: str = "REPLY",
    comment: str = "",
) -> bytes:
    """An iTIP REPLY as a calendar client writes it."""
    calendar = Calendar()
    calendar.add("PRODID", "-//Test Calendar//EN")
    calendar.add("VERSION", "2.0")
    calendar.add("METHOD", method)
    event = Event()
    event.add("UID", uid or meeting.uid)
    event.add("SEQUENCE", meeting.sequence if sequence is None else sequence)
    event.add("DTSTAMP", timezone.now())
    for address in [attendee] if isinstance(attendee, str) else attendee:
        value = vCalAddress(f"mailto:{address}")
        value.params["PARTSTAT"] = partstat
        event.add("ATTENDEE", value)
    if comment:
        event.add("COMMENT", comment)
    calendar.add_component(event)
    return calendar.to_ical()


@pytest.fixture(autouse=True)
def _postmark(settings):
    """Only the configured provider's webhooks are mounted: these tests speak Postmark's."""
    settings.EMAIL_PROVIDER = "postmark"


@pytest.fixture
def meeting(group, chair, focal_point):
    """Circulated at revision 2 to the focal point and a guest."""
    meeting = make_meeting(
        group,
        chair,
        format=Meeting.Format.HYBRID,
        online_url="https://meet.example.org/x",
        sequence=2,
        circulated_at=timezone.now(),
    )
    invite(meeting, [focal_point], sent_sequence=2)
    Invitation.objects.create(meeting=meeting, email=GUEST, name="Guest", sent_sequence=2)
    return meeting


@pytest.fixture
def invitation(meeting, focal_point):
    return meeting.invitations.get(member=focal_point)


def organizer_of(meeting: Meeting, attendee: str) -> str:
    """The ORGANIZER address of the invitation of `attendee` (member or guest): where their calendar answers."""
    invitation = meeting.invitations.filter(
        Q(member__user__email__iexact=attendee) | Q(member__isnull=True, email__iexact=attendee)
    ).first()
    return links.organizer_address(invitation) if invitation else PLAIN_ORGANIZER


def send_reply(meeting: Meeting, sender: str, ics: bytes, *, to: str | None = None) -> CalendarReply:
    """What the calendar of `sender` does: send `ics` to the ORGANIZER of their invitation (or `to`)."""
    recipients = [to if to is not None else organizer_of(meeting, sender)]
    return itip.process_calendar_reply(sender=sender, recipients=recipients, ics_bytes=ics)


def assert_nothing_changed(meeting: Meeting) -> None:
    assert not RsvpAnswer.objects.exists()
    assert set(meeting.invitations.values_list("rsvp", flat=True)) == {Rsvp.NONE}


# --- Recorded ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("partstat", "answer"),
    [("ACCEPTED", Rsvp.ACCEPTED), ("TENTATIVE", Rsvp.TENTATIVE), ("DECLINED", Rsvp.DECLINED)],
)
def test_calendar_answer_is_recorded(meeting, invitation, focal_point, partstat, answer):
    email = focal_point.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email, partstat, comment="Via Outlook"))

    assert (log.outcome, log.reason) == (Outcome.RECORDED, "")
    assert (log.uid, log.sequence, log.attendee, log.partstat) == (meeting.uid, 2, email, partstat)
    assert log.invitation == invitation
    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.rsvp_comment) == (answer, "Via Outlook")
    recorded = invitation.answers.get()
    assert (recorded.channel, recorded.answered_by) == (RsvpAnswer.Channel.CALENDAR, focal_point)


def test_addresses_are_matched_whatever_their_case_and_a_guest_can_answer(meeting):
    # Some mail systems upper-case or lower-case addresses: the organizer address survives both.
    ics = reply_ics(meeting, GUEST.upper(), "TENTATIVE").replace(b"mailto:", b"MAILTO:")

    log = send_reply(meeting, f"Guest <{GUEST.title()}>", ics, to=organizer_of(meeting, GUEST).upper())

    assert log.outcome == Outcome.RECORDED
    guest = meeting.invitations.get(email=GUEST)
    assert guest.rsvp == Rsvp.TENTATIVE
    assert guest.answers.get().answered_by is None


def test_answer_to_a_newer_revision_than_the_invitee_was_sent_is_accepted(meeting, invitation, focal_point):
    # The meeting moved on to revision 3 (an update on its way): an answer to it is current.
    Meeting.objects.filter(pk=meeting.pk).update(sequence=3)
    email = focal_point.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email, "DECLINED", sequence=3))

    assert log.outcome == Outcome.RECORDED
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED


@pytest.mark.parametrize("sequence", [3, 99])
def test_answer_to_a_revision_that_was_never_sent_is_refused(meeting, focal_point, sequence):
    email = focal_point.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email, "DECLINED", sequence=sequence))

    assert log.outcome == Outcome.REFUSED
    assert log.reason == f"SEQUENCE {sequence} was never sent: the meeting is at 2"
    assert_nothing_changed(meeting)


def test_calendar_answer_keeps_how_the_invitee_said_they_join(meeting, invitation, focal_point):
    Invitation.objects.filter(pk=invitation.pk).update(rsvp=Rsvp.ACCEPTED, attendance_mode="online")
    email = focal_point.user.email

    send_reply(meeting, email, reply_ics(meeting, email, "TENTATIVE"))

    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.attendance_mode) == (Rsvp.TENTATIVE, "online")


# --- Refused, logged, nothing changed --------------------------------------------------------------------


def refusal_cases():
    def case(name, build, reason):
        return pytest.param(build, reason, id=name)

    return [
        case(
            "wrong UID",
            lambda m, a: reply_ics(m, a, uid=f"meeting-{m.pk + 999}@testserver"),
            "unknown meeting",
        ),
        case("other domain", lambda m, a: reply_ics(m, a, uid=f"meeting-{m.pk}@evil.example"), "unknown UID"),
        case(
            "foreign UID", lambda m, a: reply_ics(m, a, uid="040000008200E00074C5B7101A82E008"), "unknown UID"
        ),
        case(
            "unknown attendee", lambda m, a: reply_ics(m, "nobody@example.org"), "sender is not the attendee"
        ),
        case("outdated", lambda m, a: reply_ics(m, a, sequence=1), "outdated SEQUENCE 1"),
        case("REQUEST", lambda m, a: reply_ics(m, a, method="REQUEST"), "not a REPLY (METHOD:REQUEST)"),
        case("two attendees", lambda m, a: reply_ics(m, [a, GUEST]), "one ATTENDEE (found 2)"),
        case("no attendee", lambda m, a: reply_ics(m, []), "one ATTENDEE (found 0)"),
        case("delegated", lambda m, a: reply_ics(m, a, "DELEGATED"), "delegation through a calendar"),
        case(
            "needs action", lambda m, a: reply_ics(m, a, "NEEDS-ACTION"), "unsupported PARTSTAT NEEDS-ACTION"
        ),
        case("broken", lambda m, a: b"BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n", "malformed iCalendar"),
        case("garbage", lambda m, a: b"\x00\xff\xfe garbage", "malformed iCalendar"),
        case("empty", lambda m, a: b"", "empty calendar"),
        case(
            "no event",
            lambda m, a: b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n",
            "one VEVENT (found 0)",
        ),
        case(
            "bad sequence",
            lambda m, a: reply_ics(m, a).replace(b"SEQUENCE:2", b"SEQUENCE:two"),
            "malformed SEQUENCE",
        ),
        case("huge", lambda m, a: b"X" * (itip.MAX_ICS_BYTES + 1), "too large"),
    ]


@pytest.mark.parametrize(("build", "reason"), refusal_cases())
def test_bad_calendar_reply_is_refused_logged_and_changes_nothing(meeting, focal_point, build, reason):
    email = focal_point.user.email

    log = send_reply(meeting, email, build(meeting, email))

    assert log.outcome == Outcome.REFUSED
    assert reason in log.reason
    assert CalendarReply.objects.get() == log
    assert_nothing_changed(meeting)


def test_unknown_attendee_writing_from_their_own_address_is_refused(meeting):
    stranger = "stranger@example.org"

    log = send_reply(meeting, stranger, reply_ics(meeting, stranger))

    assert (log.outcome, log.reason) == (Outcome.REFUSED, "the attendee is not invited to this meeting")
    assert_nothing_changed(meeting)


def test_reply_sent_by_someone_else_than_the_attendee_is_refused(meeting, focal_point):
    email = focal_point.user.email
    # Even sent to the focal point's own organizer address.
    log = send_reply(
        meeting,
        "attacker@example.org",
        reply_ics(meeting, email, "DECLINED"),
        to=organizer_of(meeting, email),
    )

    assert (log.outcome, log.reason) == (Outcome.REFUSED, "the sender is not the attendee")
    assert log.sender == "attacker@example.org"
    assert_nothing_changed(meeting)


def tampered(address: str) -> str:
    """The address with the last character of its MAC changed."""
    local, domain = address.split("@")
    return f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"


def forged_recipients():
    """Where a forger who knows the victim's address and the meeting's UID could send the reply."""
    return [
        pytest.param(lambda meeting, victim: PLAIN_ORGANIZER, id="the plain organizer address"),
        pytest.param(lambda meeting, victim: organizer_of(meeting, GUEST), id="another invitation's address"),
        pytest.param(lambda meeting, victim: tampered(organizer_of(meeting, victim)), id="a tampered MAC"),
        pytest.param(
            # The MAC of another invitation under this invitation's number.
            lambda meeting, victim: (
                organizer_of(meeting, victim).split(".")[0] + "." + organizer_of(meeting, GUEST).split(".")[1]
            ),
            id="another invitation's MAC",
        ),
        pytest.param(lambda meeting, victim: "", id="no recipient"),
    ]


@pytest.mark.parametrize("recipient", forged_recipients())
def test_forged_reply_in_the_victims_name_is_refused_logged_and_changes_nothing(
    meeting, invitation, focal_point, caplog, recipient
):
    victim = focal_point.user.email
    # Everything a forger can write: the victim as sender and attendee, the right UID and SEQUENCE.
    ics = reply_ics(meeting, victim, "DECLINED")

    log = send_reply(meeting, victim, ics, to=recipient(meeting, victim))

    assert (log.outcome, log.reason) == (
        Outcome.REFUSED,
        "not addressed to this invitation's organizer address",
    )
    assert log.invitation == invitation  # the audit log says whose answer was targeted
    assert CalendarReply.objects.get() == log
    assert "not addressed to this invitation's organizer address" in caplog.text
    assert_nothing_changed(meeting)


def test_reply_to_the_address_of_the_invitees_other_meeting_is_refused(group, chair, meeting, focal_point):
    other = make_meeting(group, chair, sequence=2, circulated_at=timezone.now())
    invite(other, [focal_point], sent_sequence=2)
    email = focal_point.user.email

    # The focal point's secret address for the other meeting does not answer this one.
    log = send_reply(meeting, email, reply_ics(meeting, email, "DECLINED"), to=organizer_of(other, email))

    assert (log.outcome, log.reason) == (Outcome.REFUSED, itip.NOT_ADDRESSED)
    assert_nothing_changed(meeting)
    assert_nothing_changed(other)


def test_reply_to_the_organizer_address_of_the_invitation_file_is_recorded(meeting, invitation, focal_point):
    # End to end: the address the invitee's calendar answers is the ORGANIZER of the file it received.
    invitation.meeting = calendar.with_calendar_data(Meeting.objects.filter(pk=meeting.pk)).get()
    sent = Calendar.from_ical(calendar.invitation_ics(invitation))
    organizer = str(sent.walk("VEVENT")[0]["ORGANIZER"]).removeprefix("mailto:")
    email = focal_point.user.email

    log = itip.process_calendar_reply(
        sender=email,
        recipients=[PLAIN_ORGANIZER, f"Concerto <{organizer}>"],
        ics_bytes=reply_ics(meeting, email, "DECLINED"),
    )

    assert log.outcome == Outcome.RECORDED
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED


def test_organizer_address_is_plus_addressed_lower_case_and_verified(meeting, invitation, settings):
    address = links.organizer_address(invitation)

    local, domain = address.split("@")
    assert domain == "testserver"
    assert local.startswith(f"agenda+{invitation.pk}.")
    assert len(local.split(".")[-1]) == 20 and len(local) <= 64
    assert address == address.lower()
    assert links.invitation_id_from_organizer_address(f"mailto:{address.upper()}") == invitation.pk
    assert links.invitation_id_from_organizer_address(tampered(address)) is None
    assert links.invitation_id_from_organizer_address(address.replace("@testserver", "@evil.example")) is None
    # After a key rotation, files sent under the old key keep working while it is a fallback.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" * 5, [settings.SECRET_KEY]
    assert links.invitation_id_from_organizer_address(address) == invitation.pk
    assert links.organizer_address(invitation) != address
    settings.SECRET_KEY_FALLBACKS = []
    assert links.invitation_id_from_organizer_address(address) is None


def test_reply_for_a_cancelled_meeting_is_refused(meeting, focal_point):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    email = focal_point.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email))

    assert (log.outcome, log.reason) == (Outcome.REFUSED, "the meeting is cancelled")
    assert_nothing_changed(meeting)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"removed_at": timezone.now()}, "not invited"),
        ({"sent_sequence": None}, "no invitation was sent"),
    ],
)
def test_reply_from_a_removed_or_never_sent_invitee_is_refused(
    meeting, invitation, focal_point, change, reason
):
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    email = focal_point.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email))

    assert log.outcome == Outcome.REFUSED
    assert reason in log.reason
    assert_nothing_changed(meeting)


def test_calendar_answer_after_the_deadline_is_refused(meeting, invitation, focal_point):
    Meeting.objects.filter(pk=meeting.pk).update(rsvp_deadline=timezone.now() - timedelta(hours=1))
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=3))
    email = focal_point.user.email

    log = send_reply(meeting, email, reply_ics(meeting, email, "DECLINED"))

    assert log.outcome == Outcome.REFUSED
    assert "Answers were due by" in log.reason
    assert log.invitation == invitation
    assert_nothing_changed(meeting)


# --- Entry points: the inbound webhook and the mailbox ---------------------------------------------------


def reply_email(
    meeting: Meeting,
    sender: str,
    partstat: str = "ACCEPTED",
    *,
    attachment: bool = True,
    to: str | None = None,
) -> EmailMessage:
    """The email Outlook sends: a text part, the REPLY as text/calendar, and the same file attached.

    It goes to the ORGANIZER of the sender's invitation, unless `to` says otherwise.
    """
    ics = reply_ics(meeting, sender, partstat)
    message = EmailMessage()
    message["From"] = f"Some One <{sender}>"
    message["To"] = f"Concerto <{organizer_of(meeting, sender) if to is None else to}>"
    message["Subject"] = "Accepted: Plenary on the CSR action plan"
    message.set_content("I will be there.")
    message.add_alternative(ics.decode(), subtype="calendar", params={"method": "REPLY"})
    if attachment:
        message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return message


def postmark_inbound(
    client, message: EmailMessage, *, secret: str = SECRET, return_path: str = "", envelope_to: str = ""
):
    payload = {
        "FromFull": {"Email": message["From"], "Name": ""},
        "ToFull": [{"Email": links.email_address(message["To"]), "Name": ""}],
        "OriginalRecipient": envelope_to or links.email_address(message["To"]),
        "Subject": message["Subject"],
        "Headers": [{"Name": "Return-Path", "Value": f"<{return_path}>"}] if return_path else [],
        "RawEmail": message.as_string(),
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
    }
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()} if secret else {}
    url = reverse("anymail:postmark_inbound_webhook")
    return client.post(url, data=json.dumps(payload), content_type="application/json", **auth)


def test_calendar_answer_arrives_through_the_providers_inbound_webhook(
    client, meeting, invitation, focal_point
):
    email = focal_point.user.email

    response = postmark_inbound(client, reply_email(meeting, email, "TENTATIVE"), return_path=email)

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.TENTATIVE
    # The same REPLY as calendar part and as attachment is one answer, not two.
    assert invitation.answers.count() == 1
    assert CalendarReply.objects.get().outcome == Outcome.RECORDED


def test_inbound_webhook_without_raw_email_reads_the_attachment(client, meeting, invitation, focal_point):
    email = focal_point.user.email
    payload = {
        "FromFull": {"Email": email, "Name": "Focal Point"},
        "ToFull": [{"Email": organizer_of(meeting, email), "Name": ""}],
        "Subject": "Declined",
        "TextBody": "Sorry.",
        "Headers": [],
        "Attachments": [
            {
                "Name": "invite.ics",
                "ContentType": "text/calendar",
                "Content": base64.b64encode(reply_ics(meeting, email, "DECLINED")).decode(),
                "ContentLength": 300,
            }
        ],
    }
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}

    response = client.post(
        reverse("anymail:postmark_inbound_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
        **auth,
    )

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED


@pytest.mark.parametrize("secret", ["hook:wrong-password", "someone:test-webhook-secret", ""])
def test_forged_inbound_webhook_is_refused_and_changes_nothing(client, meeting, focal_point, secret):
    email = focal_point.user.email

    response = postmark_inbound(client, reply_email(meeting, email), secret=secret, return_path=email)

    assert response.status_code in (400, 403)
    assert_nothing_changed(meeting)
    assert not CalendarReply.objects.exists()


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_without_a_configured_secret_inbound_mail_is_ignored(client, meeting, focal_point, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}
    email = focal_point.user.email

    postmark_inbound(client, reply_email(meeting, email), secret="", return_path=email)

    assert_nothing_changed(meeting)
    assert not CalendarReply.objects.exists()


def test_forged_envelope_sender_is_refused(client, meeting, focal_point):
    # The From header names the invitee, but the provider saw another envelope sender.
    response = postmark_inbound(
        client, reply_email(meeting, focal_point.user.email), return_path="bounce@attacker.example"
    )

    assert response.status_code == 200
    assert CalendarReply.objects.get().reason == "the sender is not the attendee"
    assert_nothing_changed(meeting)


def test_forged_reply_through_the_webhook_is_refused(client, meeting, focal_point):
    victim = focal_point.user.email
    # The victim's From and envelope sender, sent where a forger can send: the plain address.
    message = reply_email(meeting, victim, "DECLINED", to=PLAIN_ORGANIZER)

    response = postmark_inbound(client, message, return_path=victim)

    assert response.status_code == 200
    assert [(r.outcome, r.reason) for r in CalendarReply.objects.all()] == [
        (Outcome.REFUSED, itip.NOT_ADDRESSED)
    ]
    assert_nothing_changed(meeting)


def test_webhook_reads_whom_it_was_for_from_the_providers_envelope_recipient(
    client, meeting, invitation, focal_point
):
    email = focal_point.user.email
    # A client that answered to the plain address in To, but the provider delivered it to the secret one.
    message = reply_email(meeting, email, "TENTATIVE", to=PLAIN_ORGANIZER)

    response = postmark_inbound(client, message, return_path=email, envelope_to=organizer_of(meeting, email))

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.TENTATIVE


def raw(message: EmailMessage, return_path: str = "", delivered_to: str = "") -> bytes:
    """The message as a mailbox holds it, with the headers the receiving server adds."""
    data = message.as_bytes()
    if delivered_to:
        data = f"Delivered-To: {delivered_to}\r\n".encode() + data
    return (f"Return-Path: <{return_path}>\r\n".encode() + data) if return_path else data


def test_mailbox_message_is_recorded_with_the_same_function_the_command_uses(
    meeting, invitation, focal_point
):
    email = focal_point.user.email

    logs = inbound.process_raw_message(raw(reply_email(meeting, email, "DECLINED"), return_path=email))

    assert [log.outcome for log in logs] == [Outcome.RECORDED]
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED


def test_mailbox_message_delivered_to_the_invitations_address_is_recorded(meeting, invitation, focal_point):
    email = focal_point.user.email
    message = reply_email(meeting, email, "TENTATIVE", to=PLAIN_ORGANIZER)

    logs = inbound.process_raw_message(
        raw(message, return_path=email, delivered_to=organizer_of(meeting, email))
    )

    assert [log.outcome for log in logs] == [Outcome.RECORDED]
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.TENTATIVE


@pytest.mark.parametrize("recipient", forged_recipients())
def test_forged_mailbox_message_is_refused(meeting, focal_point, recipient):
    victim = focal_point.user.email
    message = reply_email(meeting, victim, "DECLINED", to=recipient(meeting, victim) or PLAIN_ORGANIZER)

    logs = inbound.process_raw_message(raw(message, return_path=victim))

    assert [(log.outcome, log.reason) for log in logs] == [(Outcome.REFUSED, itip.NOT_ADDRESSED)]
    assert_nothing_changed(meeting)


def test_mailbox_message_without_a_calendar_is_left_alone(meeting, focal_point):
    message = EmailMessage()
    message["From"] = focal_point.user.email
    message["Subject"] = "Question about the agenda"
    message.set_content("Can we add an item?")

    assert inbound.process_raw_message(raw(message)) == []
    assert not CalendarReply.objects.exists()
    assert_nothing_changed(meeting)


def test_mailbox_message_with_a_broken_calendar_is_refused_and_logged(meeting, focal_point):
    message = EmailMessage()
    message["From"] = focal_point.user.email
    message.set_content("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\n", subtype="calendar")

    (log,) = inbound.process_raw_message(raw(message))

    assert log.outcome == Outcome.REFUSED
    assert_nothing_changed(meeting)


class FakeMailbox:
    """Just enough of imaplib.IMAP4_SSL for fetch_calendar_replies: unseen messages by UID."""

    instances: list["FakeMailbox"] = []

    def __init__(self, host, port, **kwargs):
        self.host, self.port = host, port
        self.messages: dict[bytes, bytes] = dict(FakeMailbox.pending)
        self.seen: list[bytes] = []
        self.logged_in = None
        FakeMailbox.instances.append(self)

    def login(self, user, password):
        self.logged_in = (user, password)
        return "OK", [b"Logged in"]

    def select(self, mailbox):
        self.mailbox = mailbox
        return "OK", [b"2"]

    def uid(self, command, *args):
        if command == "SEARCH":
            return "OK", [b" ".join(uid for uid in self.messages if uid not in self.seen)]
        if command == "FETCH":
            return "OK", [(args[0] + b" (UID " + args[0] + b" BODY[] {1}", self.messages[args[0]]), b")"]
        if command == "STORE":
            self.seen.append(args[0])
            return "OK", []
        raise AssertionError(command)

    def logout(self):
        return "BYE", []


def test_fetch_command_processes_unseen_messages_and_marks_them_seen(
    monkeypatch, settings, meeting, invitation, focal_point
):
    email = focal_point.user.email
    FakeMailbox.instances = []
    FakeMailbox.pending = {
        b"7": raw(reply_email(meeting, email, "ACCEPTED"), return_path=email),
        b"8": raw(
            reply_email(meeting, "attacker@example.org", "DECLINED"), return_path="attacker@example.org"
        ),
    }
    monkeypatch.setattr("imaplib.IMAP4_SSL", FakeMailbox)
    settings.CALENDAR_REPLIES_IMAP_URL = (
        "imaps://agenda%40example.org:p%40ss@mail.example.org/Calendar%20replies"
    )

    call_command("fetch_calendar_replies")

    (mailbox,) = FakeMailbox.instances
    assert (mailbox.host, mailbox.port) == ("mail.example.org", 993)
    assert mailbox.logged_in == ("agenda@example.org", "p@ss")
    assert mailbox.mailbox == '"Calendar replies"'
    assert mailbox.seen == [b"7", b"8"]
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.ACCEPTED
    assert sorted(CalendarReply.objects.values_list("outcome", flat=True)) == [
        Outcome.RECORDED,
        Outcome.REFUSED,
    ]


@pytest.mark.parametrize(
    "url",
    ["", "https://mail.example.org/", "imaps://mail.example.org/INBOX", "imaps://user:pw@host:port/INBOX"],
)
def test_fetch_command_explains_a_missing_or_bad_imap_url(settings, url):
    settings.CALENDAR_REPLIES_IMAP_URL = url

    with pytest.raises(CommandError):
        call_command("fetch_calendar_replies")
