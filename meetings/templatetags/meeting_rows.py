"""Long per-invitee lists rendered in one pass.

The meeting page lists every invitee twice (the table by administration, and the chair's links
to record an answer). With a few hundred invitees, a template loop with a {% url %}, a
get_FOO_display and a translation per row costs most of the page's time; these tags render the
same markup from plain rows (meetings.invitees.InviteeRow, labels translated once) by string
formatting, every value escaped (html.escape: the values are plain str, and Django's escape
adds a lazy-text check per call).

    {% load meeting_rows %}
    <tbody>{% invitee_rows group.invitations %}</tbody>
    <ul>{% answer_for_links rows answer_for_url %}</ul>
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The answer-for URL is reversed once per page with this placeholder invitation pk, then each
# row's link is the prefix, the row's pk and the suffix.
PK_SLOT = 2147483647


def split_url(url: str) -> tuple[str, str]:
    """(prefix, suffix) around PK_SLOT in a URL reversed with it."""
    prefix, _, suffix = url.partition(str(PK_SLOT))
    return prefix, suffix


@register.simple_tag
def invitee_rows(rows) -> SafeString:
    """<tr>s of the invitee table (name, invited as, answer), as templates/meetings/_invitee_table.html
    renders them without the Remove column."""
    return mark_safe(  # every value is escaped
        "".join(
            f"<tr><td>{escape(row.name)}</td><td>{escape(row.source_label)}</td>"
            f'<td><span class="answer answer-{escape(row.rsvp)}">{escape(row.rsvp_label)}</span></td></tr>\n'
            for row in rows
        )
    )


@register.simple_tag
def answer_for_links(rows, url: str) -> SafeString:
    """<li>s linking to the chair's page recording each invitee's answer; `url` is meetings:answer-for
    reversed with PK_SLOT as the invitation pk."""
    prefix, suffix = split_url(escape(url))
    return mark_safe(  # every value is escaped
        "".join(
            f'<li><a href="{prefix}{row.pk}{suffix}">{escape(row.name)}</a> – {escape(row.rsvp_label)}</li>\n'
            for row in rows
        )
    )
