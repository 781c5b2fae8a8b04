"""Our catalogues: one register per language, French typography, and Dutch that reads as Dutch."""

import re
from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.utils import translation

from tests.foundation.english_leaks import INFORMAL, read_po


def ours(language: str) -> list[dict]:
    return read_po(Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po")


def _shown(entry: dict) -> bool:
    """Whether an allauth text belongs to what Concerto uses: accounts and authenticator apps."""
    unused = ("socialaccount", "usersessions", "webauthn", "headless", "idp", "phone")
    return any(
        re.match(r"(allauth/)?(account|mfa|templates/account|templates/mfa|templates/allauth)/", ref)
        and not any(word in ref for word in unused)
        for ref in entry["refs"]
    )


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_our_catalogue_addresses_the_reader_formally(language):
    informal = [
        f"line {entry['line']}: {text!r}"
        for entry in ours(language)
        for text in entry["strs"]
        if INFORMAL[language].search(text)
    ]
    assert not informal, "\n".join(informal)


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_allauth_texts_are_shown_formally(language):
    path = Path(allauth.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.po"
    informal = []
    with translation.override(language):
        for entry in read_po(path):
            if entry["plural"] or entry["ctxt"] or not _shown(entry):
                continue
            shown = translation.gettext(entry["id"])
            if INFORMAL[language].search(shown):
                informal.append(f"{entry['id']!r} -> {shown!r}")
    assert not informal, f"{len(informal)} allauth texts say je/du:\n" + "\n".join(informal)


def test_french_puts_a_non_breaking_space_before_high_punctuation():
    ordinary = [
        f"line {entry['line']}: {text!r}"
        for entry in ours("fr")
        for text in entry["strs"]
        if re.search(r" [:;?!]|« | »", text)
    ]
    assert not ordinary, f"{len(ordinary)} French messages with an ordinary space:\n" + "\n".join(ordinary)


def test_dutch_says_uitgegaan_van():
    assert not [entry for entry in ours("nl") if any("vertrokken van" in text for text in entry["strs"])]
