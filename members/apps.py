from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from members import middleware, versions, webhooks
        from members.models import Administration, Member, User

        # Provider delivery events (delivered, bounced, complained) -> the outbox.
        tracking.connect(webhooks.handle_tracking_event, dispatch_uid="members.webhooks.tracking")
        user_logged_in.connect(
            middleware.remember_timezone_on_sign_in, dispatch_uid="members.middleware.timezone"
        )
        # Names and administrations shown on pages that keep rendered parts (members/versions.py).
        for model in (User, Member, Administration):
            for signal in (post_save, post_delete):
                signal.connect(
                    versions.on_directory_row_changed,
                    sender=model,
                    dispatch_uid=f"members.versions.{model.__name__}.{signal is post_save}",
                )
