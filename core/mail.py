"""The development mailer: every message becomes one .eml file that any mail client opens."""

import threading
import uuid
from email import policy
from pathlib import Path

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.translation import gettext


class EmlFileBackend(BaseEmailBackend):
    """Write each message to `<file_path>/<timestamp>-<random>.eml` (RFC 5322 bytes)."""

    def __init__(self, file_path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not file_path:
            raise InvalidMailer("OPTIONS must define 'file_path'.", alias=self.alias)
        self.file_path = Path(file_path)
        self._lock = threading.Lock()

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.file_path.mkdir(parents=True, exist_ok=True)
        sent = 0
        with self._lock:
            for message in email_messages:
                if not message.recipients():
                    continue
                stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
                target = self.file_path / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
                # The bytes an SMTP server would receive: CRLF line ends, headers folded at 78.
                # Written aside, then renamed: whoever watches the folder never opens half a file.
                partial = target.with_suffix(".part")
                partial.write_bytes(message.message(policy=policy.SMTP).as_bytes())
                partial.replace(target)
                sent += 1
        return sent


def describe_mailer(mailer: dict) -> str:
    """One sentence for the operator: where the emails of this MAILERS entry go."""
    backend = mailer.get("BACKEND", "")
    options = mailer.get("OPTIONS", {})
    if backend == f"{__name__}.{EmlFileBackend.__name__}":
        folder = Path(options.get("file_path", "")).resolve()
        return gettext("Emails are not sent: each one is written as an .eml file in %(folder)s/.") % {
            "folder": folder
        }
    if backend == "django.core.mail.backends.console.EmailBackend":
        return gettext("Emails are not sent: each one is printed in this terminal by the task worker.")
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return gettext("Emails are sent through the SMTP server %(host)s:%(port)s.") % {
            "host": options.get("host") or "localhost",
            "port": options.get("port") or 25,
        }
    if backend.startswith("anymail.backends."):
        provider = backend.removeprefix("anymail.backends.").split(".")[0]
        return gettext("Emails are sent through the email provider %(provider)s.") % {"provider": provider}
    return gettext("Emails are sent with %(backend)s.") % {"backend": backend}
