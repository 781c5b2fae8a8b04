from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared infrastructure every app stands on; it imports none of them."""

    name = "core"
    verbose_name = "Core"
