"""Template filters of the meetings pages.

`markdown` turns what chairs type (agenda item and meeting descriptions) into HTML that is
safe to show: Markdown first, then an allow-list sanitiser (nh3), so no script, no style,
no event handler and no link other than http, https and mailto survives.
"""

import re
import threading
from functools import lru_cache

import markdown as markdown_lib
import nh3
from django import template
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ALLOWED_TAGS = {
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "code",
    "pre",
    "blockquote",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed with their content, not just unwrapped.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript"}

_HEADING = re.compile(r"<(/?)h([1-6])>")


def _lower_headings(html: str) -> str:
    # The page owns h1 and h2: a "# Title" in a description becomes h3, "##" h4, and so on.
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}>", html)


_converters = threading.local()


def _converter() -> markdown_lib.Markdown:
    # Building a Markdown instance (and registering its extensions) costs as much as converting
    # a paragraph: one per thread, reset before each text.
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = markdown_lib.Markdown(
            extensions=["tables", "sane_lists"], output_format="html"
        )
    return converter


def render_markdown(text: str) -> SafeString:
    """Sanitised HTML of a Markdown text; an empty string for an empty text."""
    if not text:
        return mark_safe("")
    return mark_safe(_rendered(text))  # sanitised by nh3 in _rendered


@lru_cache(maxsize=2048)
def _rendered(text: str) -> str:
    # A pure function of the text: the same descriptions are shown on every page view, so each
    # process keeps the latest few thousand.
    html = _converter().reset().convert(text)
    clean = nh3.clean(
        _lower_headings(html),
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"th": {"scope": "col"}},
    )
    return clean


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text or "")


@register.filter
def minutes(value: int | None) -> str:
    """A duration in minutes as "1:05"-style hours and minutes."""
    value = int(value or 0)
    return f"{value // 60}:{value % 60:02d}"


@register.filter(expects_localtime=True)
def when(value) -> str:
    """A date and time in the reader's language and zone ("Dienstag, 22. Dezember 2026, 14:00")."""
    if not value:
        return ""
    return date_format(value, "DATETIME_FORMAT")
