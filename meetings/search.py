"""One search over what a member may see: meetings, agenda items, documents, minutes items, decisions.

`search(member, text)` answers one group per kind, each read in one query (its rows and, by a
window count, how many matched in all), whatever the number of matches.

- PostgreSQL: full-text search. Each language column goes through its own dictionary (`title_nl`
  'dutch', `title_fr` 'french', `title_de` 'german', `title_en` 'english'; texts without a language,
  a document's title or a decision's number, 'simple'), the text typed is read as a web search
  (`websearch_to_tsquery`: quotes, `-word`, `or`) in each of those dictionaries, and `unaccent()`
  (migration 0006_unaccent) takes the accents off both sides, so "reunion" finds "réunion".
  Results come by rank (SearchRank, titles weigh more), then the latest meeting first.
- SQLite: every word typed must begin a word of one of the texts, compared casefolded and without
  accents by the `concerto_fold` function that `register_fold` adds to each connection
  (connected in meetings/apps.py). No stemming; the latest meeting first.

`contains_all_words(rows, columns, text)` is the plainer match of the lists (the decisions register,
the commitments tracker): every word typed must occur somewhere in one of the columns, compared in
lower case and without accents, `unaccent(lower(…))` on PostgreSQL and `concerto_fold_text` (the
same `fold` as here) on SQLite.

The matching words are highlighted here, in Python, the same way on both databases: the text is
escaped first, then the words that begin with a word typed (or share its stem, roughly) are put in
<mark>. Each result carries the language of the text shown, for a `lang` attribute.
"""

import operator
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce

from django.contrib.postgres.lookups import Unaccent
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, connections
from django.db.models import Count, F, Func, Model, Q, QuerySet, TextField, Value, Window
from django.db.models.functions import Lower
from django.db.models.lookups import Contains
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.i18n import LANGUAGE_CODES, fallback_order, localized_with_language
from meetings.access import readable_minutes
from meetings.models import AgendaItem, Decision, Document, Meeting, MinutesItem
from meetings.plaintext import markdown_as_text
from members.models import Member

# PostgreSQL text search configurations per language column; any other language: 'simple'.
SEARCH_CONFIGS = {"nl": "dutch", "fr": "french", "de": "german", "en": "english"}
MAX_LENGTH = 200  # characters of the text typed that are read
MAX_WORDS = 10  # words of the text typed that are looked for (SQLite) and highlighted
SNIPPET_LENGTH = 220  # characters of a longer text shown around the first match
FOLD_FUNCTION = "concerto_fold"
FOLD_TEXT_FUNCTION = "concerto_fold_text"

WORD = re.compile(r"\w+")
# "-word" excludes a word (websearch syntax), at the start or after a space.
EXCLUDED = re.compile(r"(?:^|(?<=\s))-\"?(\w+)")
# Letters that Unicode does not decompose but unaccent() spells out.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "’": "'", "‘": "'"})


# --- Folding: case and accents ------------------------------------------------------------------


def fold(text: str) -> str:
    """`text` casefolded and without accents: "Réunion" -> "reunion", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_words(*texts: str | None) -> str:
    """The words of `texts`, folded, each after a space: " reunion du groupe". SQLite's concerto_fold.

    A word typed matches when " word" occurs in it: at the start of a word of the text.
    """
    words = WORD.findall(fold(" ".join(text for text in texts if text)))
    return "".join(f" {word}" for word in words)


def fold_text(text: str | None) -> str | None:
    """One text folded as it is, spaces and signs kept (NULL stays NULL). SQLite's concerto_fold_text."""
    return None if text is None else fold(str(text))


def register_fold(sender, connection, **kwargs) -> None:
    """A `connection_created` receiver: gives SQLite connections the concerto_fold() and
    concerto_fold_text() functions."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD_FUNCTION, -1, fold_words, deterministic=True)
        connection.connection.create_function(FOLD_TEXT_FUNCTION, 1, fold_text, deterministic=True)


class Fold(Func):
    function = FOLD_FUNCTION
    output_field = TextField()


class FoldText(Func):
    function = FOLD_TEXT_FUNCTION
    arity = 1
    output_field = TextField()


def _folded(expression, vendor: str) -> Func:
    """`expression` in lower case without accents: unaccent(lower(…)) on PostgreSQL, else concerto_fold_text."""
    if vendor == "postgresql":
        # A plain Func, not the Unaccent transform: a lookup would put that one (bilateral) on its
        # right-hand side a second time.
        return Func(
            Lower(expression, output_field=TextField()), function="UNACCENT", output_field=TextField()
        )
    return FoldText(expression)


# --- The text typed -----------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """What is sent to the database: no NUL or lone surrogate (neither can be stored), at most
    MAX_LENGTH characters, spaces collapsed."""
    text = "".join(
        char for char in text[: MAX_LENGTH * 2] if char != "\x00" and not 0xD800 <= ord(char) <= 0xDFFF
    )
    return " ".join(text.split())[:MAX_LENGTH]


@dataclass(frozen=True)
class Terms:
    """The words looked for (folded) and those excluded with "-word"."""

    wanted: tuple[str, ...]
    excluded: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.wanted)


def parse(text: str) -> Terms:
    """The folded words of `text`; "or" (a websearch operator) and "-excluded" words apart."""
    folded = fold(clean_text(text))
    excluded = tuple(dict.fromkeys(EXCLUDED.findall(folded)))[:MAX_WORDS]
    remaining = EXCLUDED.sub(" ", folded)
    wanted = [word for word in WORD.findall(remaining) if word != "or"]
    return Terms(tuple(dict.fromkeys(wanted))[:MAX_WORDS], excluded)


# --- Every word somewhere: the lists' text filters -----------------------------------------------


def contains_all_words(rows: QuerySet, columns: Iterable[str], text: str) -> QuerySet:
    """`rows` where every word of `text` (split on spaces) occurs in one of `columns`, anywhere in
    it, case and accents aside: "reunion" finds "Réunions", "2026/77" finds "2026/77-1".

    A NUL or lone surrogate is dropped and at most MAX_LENGTH characters are read (clean_text);
    no word leaves `rows` as they are.
    """
    words = clean_text(text).split()
    columns = list(columns)
    if not words or not columns:
        return rows
    vendor = connections[rows.db].vendor
    for word in words:
        wanted = _folded(Value(word), vendor)
        rows = rows.filter(
            reduce(operator.or_, (Q(Contains(_folded(F(column), vendor), wanted)) for column in columns))
        )
    return rows


# --- Highlighting -------------------------------------------------------------------------------


def _common_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def word_matches(word: str, terms: Terms) -> bool:
    """Whether a folded word of a text answers one of the words typed: it begins with it, or both
    share a stem (what PostgreSQL's dictionaries match: "vergadering" for "vergaderingen")."""
    for term in terms.wanted:
        if word.startswith(term):
            return True
        shared = _common_prefix(word, term)
        if shared >= 4 and shared >= min(len(word), len(term)) - 3:
            return True
    return False


def _match_spans(text: str, terms: Terms) -> list[tuple[int, int]]:
    return [m.span() for m in WORD.finditer(text) if word_matches(fold(m.group()), terms)]


def highlight(text: str, terms: Terms) -> SafeString:
    """`text` escaped, its matching words in <mark>."""
    parts, last = [], 0
    for start, end in _match_spans(text, terms):
        parts += [escape(text[last:start]), "<mark>", escape(text[start:end]), "</mark>"]
        last = end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


def snippet(text: str, terms: Terms, length: int = SNIPPET_LENGTH) -> SafeString:
    """About `length` characters of `text` around its first match (its start when none), escaped and
    highlighted, with "…" where it was cut."""
    text = " ".join(text.split())
    if len(text) <= length:
        return highlight(text, terms)
    spans = _match_spans(text, terms)
    start = max(0, spans[0][0] - length // 4) if spans else 0
    if start:
        start = text.find(" ", start) + 1 or start  # start on a word
    end = min(len(text), start + length)
    if end < len(text) and text.rfind(" ", start, end) > start:
        end = text.rfind(" ", start, end)  # end on a word
    body = highlight(text[start:end], terms)
    return mark_safe(("…" if start else "") + body + ("…" if end < len(text) else ""))


def _has_match(text: str, terms: Terms) -> bool:
    return any(word_matches(fold(word), terms) for word in WORD.findall(text))


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One thing found: what to show and where it opens. `*_lang` is the language of that text
    ("" when it has none, a document's title), for a `lang` attribute when it is not the page's."""

    title: SafeString
    title_lang: str
    url: str
    snippet: SafeString
    snippet_lang: str
    meeting: str  # the meeting an item, document, minutes item or decision belongs to ("" for a meeting)
    meeting_lang: str
    date: datetime  # when the meeting starts


@dataclass(frozen=True)
class ResultGroup:
    kind: str
    label: Promise | str
    total: int  # how many matched: results holds the first `limit_per_kind` of them
    results: list[Result] = field(default_factory=list)


@dataclass(frozen=True)
class _Kind:
    key: str
    label: Promise
    model: type[Model]
    translated: tuple[str, ...]  # TranslatedField names, the title (or main text) first
    neutral: tuple[str, ...] = ()  # columns without a language
    meeting: str = ""  # the path to the meeting ("" for meetings themselves)
    markdown: tuple[str, ...] = ()  # fields written in Markdown: shown as text in a snippet


KINDS = (
    _Kind("meetings", _("Meetings"), Meeting, ("title", "description"), markdown=("description",)),
    _Kind(
        "agenda_items",
        _("Agenda items"),
        AgendaItem,
        ("title", "description"),
        meeting="meeting",
        markdown=("description",),
    ),
    _Kind("documents", _("Documents"), Document, (), ("title",), meeting="meeting"),
    _Kind(
        "minutes_items",
        _("Minutes"),
        MinutesItem,
        ("title", "summary"),
        meeting="minutes__meeting",
        markdown=("summary",),
    ),
    _Kind("decisions", _("Decisions"), Decision, ("text",), ("number",), meeting="minutes__meeting"),
)


def _visible(member: Member) -> dict[str, QuerySet]:
    """Per kind, the rows `member` may see (subqueries: nothing is read yet)."""
    meetings = Meeting.objects.visible_to(member)
    # meetings.access.may_download (the group's current members and the meeting's active invitees)
    # is the rule of visible_to: a member who sees a meeting may open its documents.
    meeting_ids = meetings.values("pk")
    minutes_ids = readable_minutes(member).values("pk")
    return {
        "meetings": meetings,
        "agenda_items": AgendaItem.objects.filter(meeting__in=meeting_ids).select_related("meeting"),
        "documents": Document.objects.filter(meeting__in=meeting_ids).select_related("meeting"),
        "minutes_items": MinutesItem.objects.filter(minutes__in=minutes_ids).select_related(
            "minutes__meeting"
        ),
        "decisions": Decision.objects.filter(minutes__in=minutes_ids).select_related("minutes__meeting"),
    }


def _vector(columns: list[str], config: str) -> SearchVector:
    """The columns' words in `config`, accents removed; the first column (the title) weighs most."""
    parts = [
        SearchVector(Unaccent(F(column)), config=config, weight=weight)
        for column, weight in zip(columns, "ABCD", strict=False)
    ]
    return reduce(operator.add, parts)


def _postgresql(rows: QuerySet, kind: _Kind, text: str) -> QuerySet:
    """Rows matching `text` in any language column (each with its dictionary), best rank first."""
    configs = [(code, SEARCH_CONFIGS.get(code, "simple")) for code in LANGUAGE_CODES]
    groups = [(config, [f"{name}_{code}" for name in kind.translated]) for code, config in configs]
    if kind.neutral:
        groups.append(("simple", list(kind.neutral)))
    matched, ranks, vectors = Q(), [], {}
    for index, (config, columns) in enumerate(groups):
        if not columns:
            continue
        alias = f"search_vector_{index}"
        vectors[alias] = _vector(columns, config)
        query = SearchQuery(Unaccent(Value(text)), config=config, search_type="websearch")
        matched |= Q(**{alias: query})
        ranks.append(SearchRank(F(alias), query))
    rows = rows.alias(**vectors).filter(matched).annotate(search_rank=reduce(operator.add, ranks))
    return rows.order_by("-search_rank", *_by_date(kind))


def _sqlite(rows: QuerySet, kind: _Kind, terms: Terms) -> QuerySet:
    """Rows where every word typed begins a word of the texts (folded), none excluded is there."""
    columns = [f"{name}_{code}" for name in kind.translated for code in LANGUAGE_CODES]
    rows = rows.alias(search_words=Fold(*columns, *kind.neutral))
    for term in terms.wanted:
        rows = rows.filter(search_words__contains=f" {term}")
    for term in terms.excluded:
        rows = rows.exclude(search_words__contains=f" {term}")
    return rows.order_by(*_by_date(kind))


def _by_date(kind: _Kind) -> list[str]:
    starts_at = f"{kind.meeting}__starts_at" if kind.meeting else "starts_at"
    return [f"-{starts_at}", "-pk"]


def _meeting_of(row: Model, kind: _Kind) -> Meeting:
    meeting = row
    for step in kind.meeting.split("__") if kind.meeting else ():
        meeting = getattr(meeting, step)
    return meeting


class _Urls:
    """The page each result opens: the meeting's (at an item or the documents), or the minutes'."""

    def meeting(self, meeting_id: int, anchor: str = "") -> str:
        return reverse("meetings:detail", args=[meeting_id]) + anchor

    def minutes(self, meeting_id: int, item_id: int) -> str:
        return reverse("minutes:detail", args=[meeting_id]) + f"#item-{item_id}"


def _in_language(row: Model, name: str, code: str) -> tuple[str, str]:
    """(text, language): `name` in `code` when filled in, else in the reader's language or fallback."""
    value = getattr(row, f"{name}_{code}", "") if code else ""
    return (value, code) if value else localized_with_language(row, name)


def _result(row: Model, kind: _Kind, terms: Terms, urls: _Urls) -> Result:
    meeting = _meeting_of(row, kind)
    # The language shown: the reader's (or the fallback) where the words typed are, else the first
    # language in which they are found, so that a French decision found by a French word shows it.
    fields = [(name, name in kind.markdown) for name in kind.translated]
    code = next(
        (
            code
            for code in fallback_order()
            if any(_has_match(getattr(row, f"{name}_{code}"), terms) for name, _md in fields)
        ),
        "",
    )
    texts = {}
    for name, is_markdown in fields:
        value, language = _in_language(row, name, code)
        texts[name] = (markdown_as_text(value) if is_markdown and value else value, language)

    if kind.key == "documents":
        title, title_lang, body, body_lang = row.title, "", "", ""
    elif kind.key == "decisions":
        title, title_lang = row.number or gettext("Decision"), ""
        body, body_lang = texts["text"]
    else:
        (title, title_lang), (body, body_lang) = texts["title"], texts[kind.translated[1]]

    if kind.key == "meetings":
        url = urls.meeting(row.pk)
    elif kind.key == "agenda_items":
        url = urls.meeting(meeting.pk, f"#item-{row.pk}")
    elif kind.key == "documents":
        url = urls.meeting(meeting.pk, f"#item-{row.agenda_item_id}" if row.agenda_item_id else "#documents")
    elif kind.key == "minutes_items":
        url = urls.minutes(meeting.pk, row.pk)
    else:
        url = urls.minutes(meeting.pk, row.item_id)

    context, context_lang = ("", "") if kind.key == "meetings" else localized_with_language(meeting, "title")
    return Result(
        title=highlight(" ".join(title.split()), terms),
        title_lang=title_lang,
        url=url,
        snippet=snippet(body, terms) if body else mark_safe(""),
        snippet_lang=body_lang if body else "",
        meeting=context,
        meeting_lang=context_lang,
        date=meeting.starts_at,
    )


def search(member: Member, text: str, *, limit_per_kind: int = 20) -> list[ResultGroup]:
    """What `member` may see that matches `text`, one group per kind (meetings, agenda items,
    documents, minutes items, decisions) in that order, each with its total and first results.

    One query per kind; none when the text holds no word (every group then empty).
    """
    text = clean_text(text)
    terms = parse(text)
    if not terms or not member.is_active:
        return [ResultGroup(kind.key, kind.label, 0) for kind in KINDS]
    visible = _visible(member)
    urls = _Urls()
    groups = []
    for kind in KINDS:
        if connection.vendor == "postgresql":
            rows = _postgresql(visible[kind.key], kind, text)
        else:
            rows = _sqlite(visible[kind.key], kind, terms)
        found = list(rows.annotate(search_total=Window(Count("*")))[:limit_per_kind])
        total = found[0].search_total if found else 0
        groups.append(
            ResultGroup(kind.key, kind.label, total, [_result(row, kind, terms, urls) for row in found])
        )
    return groups
