"""Texts entered in several languages, shown in the page's language or marked with the one shown.

    {% load languages %}
    <h1>{{ meeting|localized:"title" }}</h1>            <span lang="en"> when it fell back to English
    <div class="prose"{{ meeting|lang_attr:"description" }}>{{ meeting.description|markdown }}</div>

Never inside an attribute or <title>: write {{ meeting.title }} there.

    {{ membership|role }}            "Présidente" for a woman who chairs (membership.member's form of address)
    {{ membership|role:member }}     the same, with the member given (when membership.member is not loaded)
"""

from django import template
from django.utils.safestring import SafeString

from core.i18n import lang_attribute, localized_html, role_of

register = template.Library()


@register.filter
def localized(obj: object, field: str) -> SafeString:
    return localized_html(obj, field)


@register.filter
def lang_attr(obj: object, field: str) -> SafeString:
    return lang_attribute(obj, field)


@register.filter
def role(membership, member=None) -> str:
    person = member if member is not None else membership.member
    return role_of(membership.role, membership.get_role_display(), person.form_of_address)
