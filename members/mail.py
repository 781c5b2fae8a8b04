"""The development mailer: every message becomes one .eml file that any mail client opens."""

import threading
import uuid
from email import policy
from pathlib import Path

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


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
