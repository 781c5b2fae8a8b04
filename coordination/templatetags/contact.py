from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def contact_email() -> str:
    """Whom people ask for access to the platform (settings.CONTACT_EMAIL)."""
    return settings.CONTACT_EMAIL
