"""Time zones by name, as members choose them; a name that is not (or no longer) known falls back."""

import zoneinfo

from django.conf import settings


def zone_or_default(name: str | None) -> zoneinfo.ZoneInfo:
    """The time zone called `name`, or the site's (Europe/Brussels) when it is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
