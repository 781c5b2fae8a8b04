"""Test mail backends that fail the way real providers and workers do.

Configure them through the `settings` fixture, e.g.
    settings.MAILERS = {"default": {"BACKEND": "tests.members.mailers.FailingAfterBackend",
                                    "OPTIONS": {"deliver": 2, "then": "provider"}}}
Both record what they accept in django.core.mail.outbox, like Django's locmem backend.
"""

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class WorkerCrash(BaseException):
    """Stands for the worker process dying (killed, out of memory): no `except Exception` sees it."""


class FailingAfterBackend(LocmemBackend):
    """Accepts messages until the outbox holds `deliver` of them, then fails every send.

    then="provider": the provider answers with an error (an exception the task handles);
    then="crash": the worker dies in the middle of the send (the row stays "sending").
    """

    def __init__(self, *, deliver: int, then: str = "provider", **kwargs) -> None:
        super().__init__(**kwargs)
        self.deliver = deliver
        self.then = then

    def send_messages(self, messages) -> int:
        sent = 0
        for message in messages:
            if len(mail.outbox) >= self.deliver:
                if self.then == "crash":
                    raise WorkerCrash("the worker died half way through the batch")
                raise AnymailAPIError("503 Service Unavailable: try again later")
            sent += super().send_messages([message])
        return sent


class RefusingProviderBackend(AnymailTestBackend):
    """anymail's test backend, whose provider rejects the addresses listed in `refuse`."""

    def __init__(self, *, refuse: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        self.refuse = {address.lower() for address in refuse}

    def post_to_esp(self, payload, message):
        if not self.refuse.intersection(address.lower() for address in payload.recipient_emails):
            return super().post_to_esp(payload, message)
        message.anymail_test_params = payload.get_params()
        status = AnymailRecipientStatus(message_id=None, status="rejected")
        return {"recipient_status": dict.fromkeys(payload.recipient_emails, status)}
