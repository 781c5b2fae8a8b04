from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.contrib.auth.signals import user_logged_in

        from members import middleware, webhooks

        # Provider delivery events (delivered, bounced, complained) -> the outbox.
        tracking.connect(webhooks.handle_tracking_event, dispatch_uid="members.webhooks.tracking")
        user_logged_in.connect(
            middleware.remember_timezone_on_sign_in, dispatch_uid="members.middleware.timezone"
        )
