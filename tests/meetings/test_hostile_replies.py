"""Hostile calendar mail stops nothing: every value is checked before it reaches the database, a
message that cannot be processed is logged as refused and set aside, and the next one is read."""

import base64
import json
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from meetings import inbound, itip
from meetings.management.commands import fetch_calendar_replies
from meetings.models import CalendarReply, Invitation, Meeting
from tests.meetings.factories import invite, make_meeting
from tests.meetings.test_itip import FakeMailbox, organizer_of, raw, reply_email, reply_ics

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Outcome = CalendarReply.Outcome
SECRET = "hook:test-webhook-secret"  # tests/environment.py
HUGE = "1000000000000000000000000000000"
FUZZ = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def meeting(group, chair, focal_point):
    """Circulated at revision 2 to the focal point."""
    meeting = make_meeting(group, chair, sequence=2, circulated_at=timezone.now())
    invite(meeting, [focal_point], sent_sequence=2)
    return meeting


@pytest.fixture
def invitation(meeting, focal_point):
    return meeting.invitations.get(member=focal_point)


def hostile_ics(meeting: Meeting, attendee: str, sequence: str = HUGE) -> bytes:
    return reply_ics(meeting, attendee, "DECLINED").replace(b"SEQUENCE:2", f"SEQUENCE:{sequence}".encode())


def hostile_email(meeting: Meeting, attendee: str, sequence: str = HUGE) -> EmailMessage:
    message = EmailMessage()
    message["From"] = attendee
    message["To"] = organizer_of(meeting, attendee)
    message["Subject"] = "Declined"
    message.set_content(hostile_ics(meeting, attendee, sequence).decode(), subtype="calendar")
    return message


def postmark_inbound(client, raw_email: str):
    payload = {"FromFull": {"Email": "x@example.org", "Name": ""}, "RawEmail": raw_email, "Headers": []}
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}
    url = reverse("anymail:postmark_inbound_webhook")
    return client.post(url, data=json.dumps(payload), content_type="application/json", **auth)


@pytest.mark.parametrize("sequence", [HUGE, str(2**31), str(2**63), "-1", "-" + HUGE, "9" * 5000])
def test_out_of_range_sequence_is_refused_logged_and_changes_nothing(
    meeting, invitation, focal_point, sequence
):
    email = focal_point.user.email

    log = itip.process_calendar_reply(
        sender=email,
        recipients=[organizer_of(meeting, email)],
        ics_bytes=hostile_ics(meeting, email, sequence),
    )

    log.refresh_from_db()
    assert log.outcome == Outcome.REFUSED
    assert "SEQUENCE" in log.reason
    assert log.sequence is None
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.NONE


def test_overlong_values_are_cut_to_their_columns(meeting, focal_point):
    email = focal_point.user.email
    ics = reply_ics(meeting, email, "X" * 500, uid="meeting-1@" + "a" * 600)

    log = itip.process_calendar_reply(
        sender="s" * 400 + "@example.org", recipients=["x" * 9000], ics_bytes=ics
    )

    log.refresh_from_db()
    assert log.outcome == Outcome.REFUSED
    assert len(log.uid) <= 255 and len(log.sender) <= 254 and len(log.partstat) <= 20


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_hostile_reply_through_the_inbound_webhook_is_refused_not_a_server_error(
    settings, meeting, invitation, focal_point
):
    settings.EMAIL_PROVIDER = "postmark"
    client = Client(raise_request_exception=False)

    response = postmark_inbound(client, hostile_email(meeting, focal_point.user.email).as_string())

    assert response.status_code == 200
    assert CalendarReply.objects.get().outcome == Outcome.REFUSED
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.NONE


@pytest.fixture
def mailbox(monkeypatch, settings):
    FakeMailbox.instances = []
    monkeypatch.setattr("imaplib.IMAP4_SSL", FakeMailbox)
    settings.CALENDAR_REPLIES_IMAP_URL = "imaps://agenda%40example.org:secret@mail.example.org/INBOX"
    return FakeMailbox


def test_hostile_message_in_the_mailbox_is_set_aside_and_the_next_one_is_recorded(
    mailbox, meeting, invitation, focal_point
):
    email = focal_point.user.email
    mailbox.pending = {
        b"1": raw(hostile_email(meeting, email), return_path=email),
        b"2": raw(reply_email(meeting, email, "ACCEPTED"), return_path=email),
    }

    call_command("fetch_calendar_replies")

    (box,) = mailbox.instances
    assert box.seen == [b"1", b"2"]  # neither is left unseen to block the next rounds
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.ACCEPTED
    assert sorted(CalendarReply.objects.values_list("outcome", flat=True)) == [
        Outcome.RECORDED,
        Outcome.REFUSED,
    ]


class FlaggingMailbox(FakeMailbox):
    def uid(self, command, *args):
        if command == "STORE":
            self.flags = {**getattr(self, "flags", {}), args[0]: args[2]}
        return super().uid(command, *args)


def test_message_that_breaks_processing_is_flagged_seen_and_logged(
    monkeypatch, settings, meeting, focal_point
):
    FakeMailbox.instances = []
    monkeypatch.setattr("imaplib.IMAP4_SSL", FlaggingMailbox)
    settings.CALENDAR_REPLIES_IMAP_URL = "imaps://agenda%40example.org:secret@mail.example.org/INBOX"
    email = focal_point.user.email
    FakeMailbox.pending = {  # FakeMailbox reads its own class attributes
        b"1": b"broken",
        b"2": raw(reply_email(meeting, email), return_path=email),
    }
    real = inbound.process_raw_message

    def process(data):
        if data == b"broken":
            raise RecursionError("what no check foresaw")
        return real(data)

    monkeypatch.setattr(inbound, "process_raw_message", process)

    call_command("fetch_calendar_replies")

    (box,) = FakeMailbox.instances
    assert box.seen == [b"1", b"2"]
    assert "\\Flagged" in box.flags[b"1"] and "\\Flagged" not in box.flags[b"2"]
    reasons = set(CalendarReply.objects.values_list("outcome", "reason"))
    assert (Outcome.REFUSED, itip.UNPROCESSABLE) in reasons
    assert meeting.invitations.get().rsvp == Rsvp.ACCEPTED


def test_the_loop_goes_on_after_a_round_that_failed(monkeypatch, settings):
    settings.CALENDAR_REPLIES_IMAP_URL = "imaps://agenda%40example.org:secret@mail.example.org/INBOX"
    rounds = []

    def fetch_once(config):
        rounds.append(config)
        if len(rounds) == 1:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        raise KeyboardInterrupt  # how the loop is stopped

    monkeypatch.setattr(fetch_calendar_replies, "fetch_once", fetch_once)
    monkeypatch.setattr("time.sleep", lambda seconds: None)

    call_command("fetch_calendar_replies", loop=1)

    assert len(rounds) == 2


# --- Property-based: arbitrary bytes and arbitrary iCalendar -------------------------------------------

PROPERTY_NAMES = ["METHOD", "UID", "SEQUENCE", "ATTENDEE", "COMMENT", "DTSTAMP", "X-FOO", "ORGANIZER"]
values = st.one_of(
    st.text(max_size=60),
    st.integers().map(str),
    st.sampled_from([HUGE, "-" + HUGE, "REPLY", "mailto:a@b", "1e999", "NaN", "\x00", "9" * 5000]),
)
params = st.dictionaries(
    st.sampled_from(["PARTSTAT", "CN", "X-Y"]), st.text(max_size=20) | st.just("ACCEPTED"), max_size=2
)


@st.composite
def icalendars(draw, meeting: Meeting, attendee: str) -> bytes:
    """A VCALENDAR with a VEVENT whose properties are drawn, around the meeting's own UID and attendee."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"METHOD:{draw(st.sampled_from(['REPLY', 'REQUEST', '']))}"]
    lines += ["BEGIN:VEVENT", f"UID:{draw(st.sampled_from([meeting.uid, 'x']) | st.text(max_size=40))}"]
    lines.append(
        f"ATTENDEE;PARTSTAT={draw(st.sampled_from(['ACCEPTED', 'DECLINED', 'X']))}:mailto:{attendee}"
    )
    for name, value, extra in draw(
        st.lists(st.tuples(st.sampled_from(PROPERTY_NAMES), values, params), max_size=6)
    ):
        rendered = "".join(f";{key}={val}" for key, val in extra.items())
        lines.append(f"{name}{rendered}:{value}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    text = "\r\n".join(lines) + "\r\n"
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else text.encode("utf-8", "replace")


def test_arbitrary_icalendar_is_recorded_or_refused_never_an_error(meeting, focal_point):
    email = focal_point.user.email
    recipients = [organizer_of(meeting, email)]

    @FUZZ
    @given(ics=icalendars(meeting, email))
    def check(ics):
        log = itip.process_calendar_reply(sender=email, recipients=recipients, ics_bytes=ics)
        assert log.pk is not None
        assert log.sequence is None or 0 <= log.sequence < 2**31

    check()


def test_arbitrary_bytes_as_a_calendar_or_a_message_never_raise(meeting, focal_point):
    email = focal_point.user.email

    @FUZZ
    @given(data=st.binary(max_size=600))
    def check(data):
        log = itip.process_calendar_reply(sender=email, recipients=[], ics_bytes=data)
        assert log.outcome == Outcome.REFUSED
        for reply in inbound.process_raw_message(data):
            assert reply.outcome == Outcome.REFUSED

    check()


def test_arbitrary_calendar_parts_in_mailbox_messages_never_raise(meeting, focal_point):
    email = focal_point.user.email

    @FUZZ
    @given(
        ics=icalendars(meeting, email),
        headers=st.dictionaries(
            st.sampled_from(["To", "Cc", "Return-Path"]), st.text(max_size=80), max_size=3
        ),
    )
    def check(ics, headers):
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in headers.items()
            if "\n" not in value and "\r" not in value
        )
        data = (
            f"From: {email}\r\n{head}Content-Type: text/calendar; method=REPLY\r\n\r\n".encode(
                "utf-8", "replace"
            )
            + ics
        )
        inbound.process_raw_message(data)

    check()


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_arbitrary_inbound_webhook_bodies_never_give_a_server_error(settings, meeting, focal_point):
    settings.EMAIL_PROVIDER = "postmark"
    client = Client(raise_request_exception=False)
    email = focal_point.user.email

    @FUZZ
    @given(ics=icalendars(meeting, email), junk=st.text(max_size=200))
    def check(ics, junk):
        message = (
            f"From: {email}\r\nTo: {organizer_of(meeting, email)}\r\nContent-Type: text/calendar\r\n\r\n"
        )
        for body in (message + ics.decode("utf-8", "replace"), junk):
            assert postmark_inbound(client, body).status_code < 500

    check()
