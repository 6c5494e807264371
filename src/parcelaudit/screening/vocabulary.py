"""The packaged word lists: legal forms, Chinese company words, and generic words with their classes."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data"


def _rows(filename: str) -> list[dict[str, str]]:
    text = (_DATA / filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


@lru_cache(maxsize=1)
def legal_forms() -> dict[tuple[str, ...], str]:
    """Map each legal-form spelling (as a token tuple) to its canonical code, e.g. ('company','limited') -> 'co ltd'."""
    return {tuple(row["variant"].split()): row["canonical"] for row in _rows("legal_forms.csv")}


@lru_cache(maxsize=1)
def legal_form_max_len() -> int:
    """The longest legal-form spelling, in tokens."""
    return max(len(key) for key in legal_forms())


@lru_cache(maxsize=1)
def legal_form_starts() -> frozenset[str]:
    """First tokens of all legal-form spellings (a quick test before trying a phrase)."""
    return frozenset(key[0] for key in legal_forms())


@lru_cache(maxsize=1)
def chinese_words() -> dict[str, str]:
    """Map Chinese company and place words to the English (or pinyin) tokens used in English names."""
    return {row["chinese"]: row["english"] for row in _rows("zh_company_words.csv")}


@lru_cache(maxsize=1)
def chinese_word_max_len() -> int:
    """The longest Chinese vocabulary word, in characters."""
    return max(len(key) for key in chinese_words())


@lru_cache(maxsize=1)
def generic_words() -> dict[str, str]:
    """Map generic words to their class: particle, org, place or common (personal name)."""
    return {row["word"]: row["class"] for row in _rows("generic_words.csv")}
