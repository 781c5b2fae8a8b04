"""Read calendar answers (iTIP REPLY) from a mailbox, for providers that do not forward inbound mail.

IMAP_URL (settings.CALENDAR_REPLIES_IMAP_URL) names the mailbox of the calendar address, e.g.
imaps://agenda%40example.org:secret@mail.example.org:993/INBOX. Each unseen message is processed
(meetings.inbound.process_raw_message) and then marked as seen. A message that cannot be
processed (whatever it holds) is logged as a refused CalendarReply, flagged in the mailbox for a
person to look at, marked as seen, and the next one is processed: one hostile message stops
nothing. Only when the database cannot be reached does a message stay unseen, to be tried again.
Run it from cron every few minutes, or with --loop SECONDS.

Calendars send their answers to the invitation's own ORGANIZER address, the calendar address
plus-addressed (agenda+<invitation>.<mac>@example.org): the mailbox must receive those too
(subaddressing, on by default in most mail servers). A message has no envelope here, so whom it
was sent to is read from its Delivered-To, X-Original-To, To and Cc headers; a reply that was not
sent to the address of the invitation it answers is refused (see meetings.itip).
"""

import contextlib
import imaplib
import logging
import ssl
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError

from core.periodic import PeriodicCommand
from meetings import inbound, itip

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"imaps": 993, "imap": 143}
IMAP_TIMEOUT = 60


def mailbox_settings(url: str) -> dict:
    """{"tls", "host", "port", "user", "password", "mailbox"} from an imap(s):// URL; CommandError if unusable."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise CommandError("IMAP_URL must start with imaps:// (or imap:// for a local test server).")
    if not parts.hostname or not parts.username or parts.password is None:
        raise CommandError(
            "IMAP_URL must name a user, a password and a host: imaps://user:password@host/INBOX"
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise CommandError("The port in IMAP_URL is not a number.") from exc
    return {
        "tls": parts.scheme == "imaps",
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username),
        "password": unquote(parts.password),
        "mailbox": unquote(parts.path.lstrip("/")) or "INBOX",
    }


def connect(config: dict) -> imaplib.IMAP4:
    if config["tls"]:
        client = imaplib.IMAP4_SSL(
            config["host"], config["port"], ssl_context=ssl.create_default_context(), timeout=IMAP_TIMEOUT
        )
    else:
        client = imaplib.IMAP4(config["host"], config["port"], timeout=IMAP_TIMEOUT)
    client.login(config["user"], config["password"])
    return client


def fetch_once(config: dict) -> int:
    """Process every unseen message of the mailbox; returns how many were processed."""
    client = connect(config)
    try:
        status, _data = client.select(_quoted(config["mailbox"]))
        if status != "OK":
            raise CommandError(f"Cannot open the mailbox {config['mailbox']!r}.")
        status, data = client.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise CommandError("The mail server refused to list unseen messages.")
        uids = (data[0] or b"").split()
        for uid in uids:
            # BODY.PEEK leaves the message unseen until it has been processed.
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched or [] if isinstance(item, tuple)), None)
            if status != "OK" or raw is None:
                logger.warning("Could not fetch message %s from the calendar mailbox.", uid)
                continue
            flags = "(\\Seen)" if _processed(uid, raw) else "(\\Seen \\Flagged)"
            client.uid("STORE", uid, "+FLAGS", flags)
        return len(uids)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def _processed(uid: bytes, raw: bytes) -> bool:
    """Process one message; False if it could not be (logged, and kept aside by the caller).

    Raises only when the database cannot be reached: the message then stays unseen.
    """
    try:
        inbound.process_raw_message(raw)
    except itip.UNAVAILABLE:
        raise
    # A message from anyone on the internet must not stop the ones behind it.
    except Exception:
        logger.exception("Message %s of the calendar mailbox could not be processed; flagged.", uid)
        try:
            inbound.refuse_unreadable("", itip.UNPROCESSABLE)
        except itip.UNAVAILABLE:
            raise
        except Exception:
            logger.exception("Could not log message %s as refused.", uid)
        return False
    return True


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Command(PeriodicCommand):
    help = "Record the calendar answers (iTIP REPLY) waiting in the IMAP mailbox named by IMAP_URL."
    default_interval = 300

    def handle(self, *args, **options) -> None:
        url = getattr(settings, "CALENDAR_REPLIES_IMAP_URL", "")
        if not url:
            raise CommandError(
                "Set IMAP_URL to the mailbox of the calendar address (imaps://user:password@host/INBOX)."
            )
        self.config = mailbox_settings(url)
        super().handle(*args, **options)

    def run_once(self, *, looping: bool, **options) -> None:
        try:
            count = fetch_once(self.config)
        except (imaplib.IMAP4.error, OSError, DatabaseError) as exc:
            if not looping:
                raise CommandError(f"Could not read the calendar mailbox: {exc}") from exc
            # A mailbox that is down for a while must not stop the loop.
            logger.warning("Could not read the calendar mailbox: %s", exc)
        except Exception as exc:
            if not looping:
                raise
            # Whatever else went wrong in this round, the next round must still come.
            logger.exception("A round of fetch_calendar_replies failed: %s", exc)
        else:
            self.stdout.write(f"Processed {count} message(s) from the calendar mailbox.")
