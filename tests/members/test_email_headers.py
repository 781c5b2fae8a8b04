"""Subjects with dashes and accents reach every mail client intact (RFC 2047 encoded words)."""

import re
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser

import pytest

from core.mail import EmlFileBackend
from members import services
from members.emails import build_email
from members.outbox import Kind
from tests.factories import make_member

pytestmark = pytest.mark.django_db

SUBJECT = "Plenaire – 12 maart: à l'ordre du jour"
ENCODED_WORD = re.compile(rb"=\?([^?]+)\?([qQbB])\?([^?]*)\?=")


def row_with_subject(member, subject: str):
    return services.queue_message(
        kind=Kind.MEETING_INVITATION,
        to_email=member.user.email,
        subject=subject,
        body_text="Bonjour\n",
        body_html="<p>Bonjour</p>",
        member=member,
        batch="b",
    )


def raw_subject(data: bytes) -> str:
    """The Subject header as it is on the wire, unfolded, before any decoding."""
    lines = data.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Subject:"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "\t"))), len(lines))
    return "".join(lines[start:end]).removeprefix("Subject:")


# Prefixes move the dash along the line, so that it falls at every place the folding may cut.
SUBJECTS = [SUBJECT, *(f"{'Invitation ' * (n // 11)}{'x' * (n % 11)} {SUBJECT}" for n in range(1, 90))]


@pytest.mark.parametrize("serialize", ["smtp", "file"])
def test_subjects_round_trip_through_two_independent_parsers(serialize, tmp_path):
    member = make_member(language="fr")
    for number, subject in enumerate(SUBJECTS):
        email = build_email(row_with_subject(member, subject))
        if serialize == "smtp":  # what Django's SMTP backend puts on the wire
            data = email.message(policy=policy.SMTP).as_bytes()
        else:  # what `make run` writes
            EmlFileBackend(file_path=str(tmp_path / str(number))).send_messages([email])
            [path] = (tmp_path / str(number)).glob("*.eml")
            data = path.read_bytes()

        parsed = BytesParser(policy=policy.default).parsebytes(data)
        assert parsed["Subject"] == subject
        # The legacy decoder reads the raw header on its own.
        assert str(make_header(decode_header(raw_subject(data)))) == subject
        # No empty encoded word (`=?utf-8?q??=`), which some clients show as garbage.
        words = ENCODED_WORD.findall(data.split(b"\r\n\r\n", 1)[0])
        assert words and all(text for _charset, _encoding, text in words), subject
        assert max(len(line) for line in data.split(b"\r\n")) <= 78
