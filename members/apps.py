from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from anymail.signals import tracking

        from members import webhooks

        # Provider delivery events (delivered, bounced, complained) -> the outbox.
        tracking.connect(webhooks.handle_tracking_event, dispatch_uid="members.webhooks.tracking")
