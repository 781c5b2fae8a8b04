"""Filters of the text part of meeting emails: Markdown as readable plain text."""

from django import template

from meetings.plaintext import markdown_as_text

register = template.Library()


@register.filter
def markdown_text(text: str) -> str:
    """Markdown as plain text: no `**`, links as "text (url)", list items as "- item"."""
    return markdown_as_text(text or "")


@register.filter
def indent(text: str, spaces: int = 3) -> str:
    """Every non-empty line of `text` moved right by `spaces` spaces."""
    pad = " " * int(spaces)
    return "\n".join(pad + line if line else line for line in str(text or "").split("\n"))
