from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self) -> None:
        from coordination import receivers
        from meetings.signals import minutes_approved

        minutes_approved.connect(
            receivers.make_commitments_from_minutes, dispatch_uid="coordination.commitments_from_minutes"
        )
