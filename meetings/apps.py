from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from anymail.signals import inbound

        from meetings import inbound as inbound_mail

        # Calendar answers (iTIP REPLY) received through the email provider's inbound webhook.
        inbound.connect(inbound_mail.handle_inbound_event, dispatch_uid="meetings.inbound.calendar_replies")
