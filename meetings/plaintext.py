"""Markdown as readable plain text: for the text part of emails and for calendar descriptions.

What chairs type is Markdown (meeting and agenda item descriptions, notes to the invitees). The
HTML email shows it rendered and sanitised (meetings.templatetags.meetings_tags.render_markdown);
where only text can go, it is turned into text a person reads as is: no `**` or `_`, a link as
"text (url)", list items as "- item" (or "1. item"), table cells separated by " | ".
"""

import re
from html.parser import HTMLParser

from meetings.templatetags.meetings_tags import render_markdown

BLOCKS = {"p", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"}
# Tags whose direct text is only the source's layout (new lines between rows or items).
CONTAINERS = {"ul", "ol", "table", "thead", "tbody", "tr"}


class _TextWriter(HTMLParser):
    """Writes the sanitised HTML of render_markdown (a known, small set of tags) as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list] = []  # [tag, next number] per open list
        self.links: list[tuple[str, int]] = []  # (href, where its text starts)
        self.pre = 0
        self.first_cell = False
        self.open: list[str] = []
        self.item_start = False  # right after a list marker

    def _text(self) -> str:
        """The end of what was written so far (every part is non-empty: two parts hold two characters)."""
        return "".join(self.parts[-2:])

    def _end_line(self) -> None:
        if self.parts and not self._text().endswith("\n"):
            self.parts.append("\n")

    def _end_block(self) -> None:
        text = self._text()
        if text and not text.endswith("\n\n"):
            self.parts.append("\n" if text.endswith("\n") else "\n\n")

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in ("br",):
            self.open.append(tag)
        if tag in BLOCKS:
            if self.lists and not self.item_start:
                # A second paragraph of a list item: on its own line, under the item's text.
                self._end_line()
                self.parts.append("  " * len(self.lists))
            elif not self.lists:
                self._end_block()
            self.pre += tag == "pre"
        elif tag in ("ul", "ol"):
            if self.lists:
                self._end_line()
            else:
                self._end_block()
            self.lists.append([tag, 1])
        elif tag == "li":
            self._end_line()
            kind = self.lists[-1] if self.lists else ["ul", 1]
            marker = "- " if kind[0] == "ul" else f"{kind[1]}. "
            kind[1] += 1
            self.parts.append("  " * max(len(self.lists) - 1, 0) + marker)
            self.item_start = True
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "tr":
            self._end_line()
            self.first_cell = True
        elif tag in ("th", "td"):
            if not self.first_cell:
                self.parts.append(" | ")
            self.first_cell = False

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]
        if tag in BLOCKS:
            self.pre -= tag == "pre"
            if self.lists:
                self._end_line()
            else:
                self._end_block()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            if self.lists:
                self._end_line()
            else:
                self._end_block()
        elif tag == "li":
            self._end_line()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            shown = href.removeprefix("mailto:")
            if shown and shown != label:
                self.parts.append(f" ({shown})" if label else shown)

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.parts.append(data)
            self.item_start = False
            return
        if not data.strip() and (not self.open or self.open[-1] in CONTAINERS):
            return
        data = re.sub(r"\s+", " ", data)
        text = self._text()
        if not text or text.endswith((" ", "\n")):
            data = data.lstrip()
        if data:
            self.parts.append(data)
            self.item_start = False

    def result(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def markdown_as_text(text: str) -> str:
    """Readable plain text of a Markdown text; "" for an empty one."""
    if not text or not text.strip():
        return ""
    writer = _TextWriter()
    writer.feed(str(render_markdown(text)))
    writer.close()
    return writer.result()
