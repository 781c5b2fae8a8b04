"""Find English left on pages shown in Dutch, French or German.

The English texts are the msgids of every catalogue a page draws on: ours, Django's, allauth's,
django-tables2's and django-filter's. A msgid counts when the page's language translates it
differently (or not at all); text entered by people (titles, names, places) is left out, and so
is any element marked with another language (`lang="en"` on a title that exists only in English).
"""

import ast
import functools
import re
from html.parser import HTMLParser
from pathlib import Path

import allauth
import django
import django_filters
import django_tables2
from django.conf import settings
from django.utils.translation.trans_real import CONTEXT_SEPARATOR, DjangoTranslation

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HIDDEN = {"script", "style", "template", "head"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{.*?\}\}|\{\w*\}|<[^>]+>")
# English fragments that are also words of the language ("Download alle gegevens", "Google Agenda of").
ALSO_NATIVE = {
    "nl": {"Download", "Agenda of"},
    "fr": {"Agenda", "Comment", "Contact", "Date", "Invitation"},
    "de": {"Version"},
}
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_ENTRY = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def catalogues(language: str) -> list[Path]:
    """The .po files of `language` whose texts can appear on our pages."""
    packages = [Path(django.__file__).parent, Path(allauth.__file__).parent]
    packages += [Path(django_tables2.__file__).parent, Path(django_filters.__file__).parent]
    paths = [Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"]
    for root in packages:
        paths += sorted(root.rglob(f"locale/{language}/LC_MESSAGES/django.po"))
    return [path for path in paths if path.exists()]


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: {"ctxt", "id", "plural", "strs", "fuzzy", "refs", "line"}; no header."""
    entries: list[dict] = []
    entry: dict | None = None
    key = ""
    fuzzy = False
    refs: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("#:"):
            refs += line[2:].split()
            continue
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
            continue
        if line.startswith("#") or not line.strip():
            continue
        match = _ENTRY.match(line)
        if match:
            keyword, value = match.group(1), ast.literal_eval(match.group(2))
            starts = keyword == "msgctxt" or (keyword == "msgid" and (entry is None or entry["strs"]))
            if starts:
                if entry is not None:
                    entries.append(entry)
                entry = {"ctxt": None, "id": "", "plural": None, "strs": [], "fuzzy": fuzzy, "line": number}
                entry["refs"], refs, fuzzy = refs, [], False
            if keyword == "msgctxt":
                entry["ctxt"], key = value, "ctxt"
            elif keyword == "msgid":
                entry["id"], key = value, "id"
            elif keyword == "msgid_plural":
                entry["plural"], key = value, "plural"
            else:
                entry["strs"].append(value)
                key = "strs"
        elif line.startswith('"') and entry is not None:
            value = ast.literal_eval(line)
            if key == "strs":
                entry["strs"][-1] += value
            else:
                entry[key] += value
    if entry is not None:
        entries.append(entry)
    return [entry for entry in entries if entry["id"]]


def _fragments(text: str) -> list[str]:
    """The parts of a msgid between placeholders that are long enough to be recognised."""
    parts = []
    for part in _PLACEHOLDER.split(text):
        part = " ".join(part.split()).strip(" .,:;()\"'–-")
        words = re.findall(r"[A-Za-z]+", part)
        if not words or not any(len(word) >= 3 for word in words):
            continue
        # A lone word counts when capitalised as a label is ("Select"): lower-case words are
        # too often the same in Dutch, French or German ("account", "site").
        if len(words) == 1 and (len(part) < 4 or part.isupper() or part != words[0] or not part[0].isupper()):
            continue
        parts.append(part)
    return parts


@functools.cache
def english_pattern(language: str) -> re.Pattern:
    """A regex matching, as whole words, the English texts that `language` translates otherwise."""
    same: set[str] = set()
    for path in catalogues(language):
        for entry in read_po(path):
            sources = [entry["id"]] + ([entry["plural"]] if entry["plural"] else [])
            if any(text in sources for text in entry["strs"]):
                same.update(sources)
    texts = set(known_texts(language))
    phrases = {fragment for text in texts - same for fragment in _fragments(text)}
    phrases -= ALSO_NATIVE.get(language, set())
    # A fragment that is also a whole text translated as itself ("Status", "Online") is no leak.
    phrases -= {fragment for text in same for fragment in _fragments(text)}
    alternatives = "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


class _VisibleText(HTMLParser):
    """Text a reader sees in the page language: no script, no attributes, no other-language element."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[str] = []

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = (values.get("lang") or "").split("-")[0]
        skip = self._skipping() or tag in HIDDEN or (tag != "html" and bool(lang) and lang != self.language)
        skip = skip or "hidden" in values
        if tag == "input" and values.get("type") in {"submit", "button"} and not skip:
            self.chunks.append(values.get("value") or "")
        if tag in {"input", "textarea"} and values.get("placeholder") and not skip:
            self.chunks.append(values["placeholder"] or "")
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            # Only ASCII white space: a non-breaking space is part of the text (French typography).
            self.chunks.append(_SPACES.sub(" ", data).strip(" "))


def visible_text(html: str, language: str) -> list[str]:
    parser = _VisibleText(language)
    parser.feed(html)
    parser.close()
    return parser.chunks


@functools.cache
def _translations(language: str) -> frozenset[str]:
    """Every translation our catalogue in `language` gives."""
    return frozenset(text for entry in read_po(catalogues(language)[0]) for text in entry["strs"] if text)


@functools.cache
def known_texts(language: str) -> frozenset[str]:
    """Every msgid that a catalogue lists, translated or not: ours in `language`, and every text
    of the libraries (in any language: a library's new text is missing from some catalogues)."""
    paths = [path for path in catalogues(language) if not path.is_relative_to(settings.BASE_DIR / "locale")]
    paths += [path for code in ("en", "fr", "nl", "de") for path in catalogues(code)[1:]]
    paths.append(catalogues(language)[0])
    texts = set()
    for path in paths:
        for entry in read_po(path):
            texts.add(entry["id"])
            if entry["plural"]:
                texts.add(entry["plural"])
    return frozenset(texts)


@functools.cache
def _as_regex(text: str) -> re.Pattern:
    parts = _PLACEHOLDER.split(" ".join(text.split()))
    return re.compile(".{0,200}?".join(re.escape(part) for part in parts))


class NewTexts:
    """Records texts marked for translation that no catalogue lists yet.

    They are what the next translation pass adds: shown apart from leaks, which are English that
    no translation could fix (not marked) or that a catalogue lists but does not translate.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self.texts: set[str] = set()

    def note(self, message: str) -> None:
        message = message.split(CONTEXT_SEPARATOR)[-1]
        # Django's {% get_available_languages %} passes the already translated language names
        # ("Nederlands") through gettext again: a translation is not a text awaiting one.
        if (
            message
            and message not in known_texts(self.language)
            and message not in _translations(self.language)
        ):
            self.texts.add(message)

    def install(self, monkeypatch) -> "NewTexts":
        gettext, ngettext = DjangoTranslation.gettext, DjangoTranslation.ngettext

        def noting_gettext(translation, message):
            result = gettext(translation, message)
            if result == message:
                self.note(message)
            return result

        def noting_ngettext(translation, singular, plural, number):
            result = ngettext(translation, singular, plural, number)
            if result in (singular, plural):
                self.note(singular)
                self.note(plural)
            return result

        monkeypatch.setattr(DjangoTranslation, "gettext", noting_gettext)
        monkeypatch.setattr(DjangoTranslation, "ngettext", noting_ngettext)
        return self

    def patterns(self) -> list[re.Pattern]:
        return [_as_regex(text) for text in sorted(self.texts, key=len, reverse=True)]


@functools.cache
def _alternation(texts: tuple[str, ...]) -> re.Pattern | None:
    return re.compile("|".join(re.escape(text) for text in texts)) if texts else None


def _without(chunk: str, people_texts: tuple[str, ...], new_texts: NewTexts | None) -> str:
    """The chunk with what people typed and the texts awaiting translation blanked out."""
    people = _alternation(tuple(people_texts))
    if people is not None:
        chunk = people.sub(" ¦ ", chunk)
    if new_texts is not None:
        for pattern in new_texts.patterns():
            chunk = pattern.sub(" ¦ ", chunk)
    return chunk


def english_on_page(
    html: str, language: str, people_texts: tuple[str, ...] = (), new_texts: NewTexts | None = None
) -> list[str]:
    """The English texts found in the visible text of a page in `language`."""
    pattern = english_pattern(language)
    found = []
    for chunk in visible_text(html, language):
        chunk = _without(chunk, people_texts, new_texts)
        found += [f"{match.group(0)!r} in {chunk[:120]!r}" for match in pattern.finditer(chunk)]
    return found


# Each language addresses the reader one way: u, vous, Sie. These words belong to the other way.
INFORMAL = {
    "nl": re.compile(r"\b(?:je|jij|jou|jouw|jezelf)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(?:tu|toi|ton|ta|tes)\b", re.IGNORECASE),
    "de": re.compile(r"\b(?:du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b", re.IGNORECASE),
}


def informal_on_page(html: str, language: str, people_texts: tuple[str, ...] = ()) -> list[str]:
    """Sentences of a page in `language` that address the reader informally."""
    found = []
    for chunk in visible_text(html, language):
        chunk = _without(chunk, people_texts, None)
        if INFORMAL[language].search(chunk):
            found.append(repr(chunk[:160]))
    return found


def ordinary_spaces_on_page(html: str, people_texts: tuple[str, ...] = ()) -> list[str]:
    """Sentences of a French page with an ordinary space before : ; ? or !, where French wants a
    non-breaking one (a line must not start with the mark)."""
    found = []
    for chunk in visible_text(html, "fr"):
        chunk = _without(chunk, people_texts, None)
        if re.search(r"\S [:;?!]", chunk):
            found.append(repr(chunk[:160]))
    return found
