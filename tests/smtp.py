"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the tests that follow email to the wire."""

import email
import email.policy
import socket
from collections import Counter

import pytest
from aiosmtpd.controller import Controller


class RecordingHandler:
    """An SMTP server that keeps what it accepts, and refuses some recipients at RCPT TO."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.rcpt_attempts: Counter = Counter()
        self.busy_once: set[str] = set()  # 451: try again later, the first time only
        self.unknown: set[str] = set()  # 550: no such mailbox, every time
        self.sessions = 0  # SMTP sessions (one per connection) that said hello

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        address = address.lower()
        self.rcpt_attempts[address] += 1
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        if address in self.busy_once:
            self.busy_once.discard(address)
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def parsed(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        return [
            (rcpt, email.message_from_bytes(raw, policy=email.policy.default)) for rcpt, raw in self.received
        ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(handler, settings):
    """Run `handler` as an SMTP server on a free port of 127.0.0.1 and point MAILERS at it, for a
    fixture to yield from: `yield from serving(handler, settings)`."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, and MAILERS pointing Django's SMTP backend at it."""
    yield from serving(RecordingHandler(), settings)


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def described(message) -> dict:
    """What a reader sees of a message: its headers (but the date, only said to be there) and
    every part, decoded."""
    headers = {
        name: str(message[name])
        for name in ("Subject", "From", "To", "Reply-To", "Message-ID", "Auto-Submitted", "Content-Language")
    }
    parts = []
    for part in message.walk():
        content = None if part.is_multipart() else part.get_content()
        if isinstance(content, str):
            content = content.replace("\r\n", "\n")
        params = {key: value for key, value in part.get_params() or [] if key != "boundary"}
        parts.append((part.get_content_type(), params, part.get_content_disposition(), part.get_filename(), content))
    return {"headers": headers, "parts": parts, "date": message["Date"].datetime is not None}
