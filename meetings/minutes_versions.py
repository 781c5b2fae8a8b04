"""Saved versions of minutes and the difference between two of them.

`snapshot(minutes)` is what a MinutesVersion keeps: every text of every item in every language,
with the decisions and action items (owner, due date, status). `diff(old, new, language)` sets two
snapshots side by side, item by item, as an inline difference in one language (the reader's, with
the usual fallback): difflib's SequenceMatcher on word tokens, every token escaped, insertions in
<ins> and deletions in <del>.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.db.models import Prefetch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.i18n import LANGUAGE_CODES, fallback_order
from meetings.models import ActionItem, Decision, Minutes, MinutesItem

# A word, or a run of white space: joined back, the tokens give the text unchanged.
_TOKENS = re.compile(r"\s+|[^\s]+")


def _texts(obj: object, field: str) -> dict[str, str]:
    return {code: getattr(obj, f"{field}_{code}", "") or "" for code in LANGUAGE_CODES}


def items_with_texts(minutes: Minutes) -> list[MinutesItem]:
    """The minutes' items in order, with their decisions and action items (owner administration
    and owner loaded): three queries whatever the size."""
    actions = ActionItem.objects.select_related("owner_administration", "owner__user").order_by(
        "position", "pk"
    )
    return list(
        MinutesItem.objects.filter(minutes=minutes)
        .order_by("position", "pk")
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.order_by("position", "pk")),
            Prefetch("actions", queryset=actions),
        )
    )


def snapshot(minutes: Minutes, items: list[MinutesItem] | None = None) -> dict:
    """Every text of the minutes in every language, as JSON: what a MinutesVersion keeps."""
    items = items_with_texts(minutes) if items is None else items
    return {
        "language": minutes.language,
        "items": [
            {
                "id": item.pk,
                "position": item.position,
                "added": item.is_added,
                "title": _texts(item, "title"),
                "summary": _texts(item, "summary"),
                "decisions": [
                    {"id": decision.pk, "number": decision.number, "text": _texts(decision, "text")}
                    for decision in item.decisions.all()
                ],
                "actions": [
                    {
                        "id": action.pk,
                        "text": _texts(action, "text"),
                        "owner_administration": action.owner_administration.acronym,
                        "owner": action.owner.user.name if action.owner_id else "",
                        "due_date": action.due_date.isoformat() if action.due_date else "",
                        "status": action.status,
                    }
                    for action in item.actions.all()
                ],
            }
            for item in items
        ],
    }


def _in_with_code(texts: dict, language: str) -> tuple[str, str]:
    """(the text in `language` or the first one filled in (core.i18n.fallback_order), its language);
    ("", "") when none is filled in."""
    for code in fallback_order(language):
        if texts.get(code):
            return texts[code], code
    return "", ""


def _in(texts: dict, language: str) -> str:
    return _in_with_code(texts, language)[0]


def _item_texts(item: dict) -> list[dict]:
    """Every translated text of a snapshot item: title, summary, decisions, actions."""
    return [
        item.get("title", {}),
        item.get("summary", {}),
        *(decision.get("text", {}) for decision in item.get("decisions", [])),
        *(action.get("text", {}) for action in item.get("actions", [])),
    ]


def item_language(item: dict, language: str) -> str:
    """The language an item is shown in when every one of its texts falls back to the same other
    language than `language` (for a `lang` attribute); "" when they are in `language` or mixed."""
    codes = {code for texts in _item_texts(item) if (code := _in_with_code(texts, language)[1])}
    return codes.pop() if len(codes) == 1 and language not in codes else ""


def item_text(item: dict, language: str) -> str:
    """One item of a snapshot as plain text in one language: title, summary, decisions, actions."""
    lines = [_in(item.get("title", {}), language), "", _in(item.get("summary", {}), language)]
    for decision in item.get("decisions", []):
        lines.append(f"{decision.get('number', '')} {_in(decision.get('text', {}), language)}".strip())
    for action in item.get("actions", []):
        owner = ", ".join(v for v in (action.get("owner_administration"), action.get("owner")) if v)
        due = action.get("due_date") or ""
        lines.append(f"→ {_in(action.get('text', {}), language)} [{owner}{' · ' + due if due else ''}]")
    return "\n".join(lines).strip()


def inline_diff(old: str, new: str) -> SafeString:
    """`old` to `new` word by word: escaped text, removed words in <del>, added words in <ins>."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if op in {"delete", "replace"}:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in {"insert", "replace"}:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(parts))  # every piece of text above went through escape()


@dataclass(frozen=True)
class ItemDifference:
    title: str
    state: str  # "same", "changed", "added", "removed"
    html: SafeString
    title_lang: str = ""  # the title's language when it is not the reader's (fallback)
    lang: str = ""  # the texts' language when all fall back to one other language


def _difference(item: dict, state: str, html: SafeString, language: str) -> ItemDifference:
    title, code = _in_with_code(item.get("title", {}), language)
    title_lang = code if code and code != language else ""
    return ItemDifference(title, state, html, title_lang, item_language(item, language))


def diff(old: dict, new: dict, language: str) -> list[ItemDifference]:
    """Per item (in the new version's order, removed items where they stood), what changed."""
    old_items = {item["id"]: item for item in old.get("items", [])}
    new_ids = {item["id"] for item in new.get("items", [])}
    result = []
    old_order = [item["id"] for item in old.get("items", [])]
    for item in new.get("items", []):
        # Items of the old version that are gone, shown before the first new item that followed them.
        while old_order and old_order[0] not in new_ids:
            gone = old_items[old_order.pop(0)]
            result.append(_difference(gone, "removed", inline_diff(item_text(gone, language), ""), language))
        if old_order and old_order[0] == item["id"]:
            old_order.pop(0)
        elif item["id"] in old_order:
            old_order.remove(item["id"])
        text = item_text(item, language)
        before = old_items.get(item["id"])
        if before is None:
            result.append(_difference(item, "added", inline_diff("", text), language))
            continue
        old_text = item_text(before, language)
        state = "same" if old_text == text else "changed"
        result.append(_difference(item, state, inline_diff(old_text, text), language))
    for pk in old_order:
        gone = old_items[pk]
        result.append(_difference(gone, "removed", inline_diff(item_text(gone, language), ""), language))
    return result
