"""The outbox: every email Concerto sends is one row here, per message and recipient.

Rows are written in the sender's transaction and delivered after commit by
members.tasks.deliver_message, so a rolled-back action sends nothing, a crash never
loses a queued message, and a delivered row is never sent again.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a message is about. Optional kinds can be turned off by the member."""

    ACCOUNT = "account", _("Account and sign-in")
    JOIN_INVITATION = "join_invitation", _("Invitation to join a group")
    MEETING_INVITATION = "meeting_invitation", _("Meeting invitations and updates")
    MEETING_REMINDER = "meeting_reminder", _("Meeting reminders")
    MINUTES = "minutes", _("Minutes")
    REPORTING_REQUEST = "reporting_request", _("Requests to report on commitments")
    COMMITMENT_REMINDER = "commitment_reminder", _("Commitment reminders")
    NEWS = "news", _("News from the platform")


# Emails a member cannot turn off: they carry access, invitations or formal documents.
MANDATORY_KINDS = frozenset(
    {Kind.ACCOUNT, Kind.JOIN_INVITATION, Kind.MEETING_INVITATION, Kind.MINUTES, Kind.REPORTING_REQUEST}
)
OPTIONAL_KINDS = [kind for kind in Kind if kind not in MANDATORY_KINDS]


def new_message_id() -> str:
    """A new Message-ID for a row (set by save(); rows written with bulk_create need it set first)."""
    return f"<{uuid.uuid4().hex}@{settings.SITE_DOMAIN}>"


class OutboundMessageQuerySet(models.QuerySet):
    def in_batch(self, batch: str) -> "OutboundMessageQuerySet":
        return self.filter(batch=batch)

    def status_counts(self) -> dict[str, int]:
        """{status: count}, every status present, in one query."""
        counts = dict.fromkeys(OutboundMessage.Status.values, 0)
        for row in self.values("status").annotate(n=models.Count("pk")).order_by():
            counts[row["status"]] = row["n"]
        return counts


class OutboundMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    batch = models.CharField(
        _("batch"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("Groups the messages of one sending."),
    )
    # What the sender sees for the batch ("Invitation: Plenary 12 March"), in their language.
    batch_title = models.CharField(_("sending"), max_length=255, blank=True)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    to_email = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    # [{"filename": ..., "mimetype": ..., "content": str}], text content only (calendar files).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Extra alternative parts, e.g. [{"mimetype": "text/calendar; method=REQUEST", "content": ...}].
    alternatives = models.JSONField(_("alternative parts"), default=list, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=255, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "members.Member",
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        if not self.message_id:
            self.message_id = new_message_id()
        super().save(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status not in {self.Status.QUEUED, self.Status.SENDING}
