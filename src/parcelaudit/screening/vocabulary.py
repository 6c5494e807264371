"""The packaged word lists: legal forms, Chinese company words, and generic words with their classes."""

from __future__ import annotations

import csv
import unicodedata
from functools import lru_cache
from pathlib import Path

from pypinyin.pinyin_dict import pinyin_dict

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
    words = {row["chinese"]: row["english"] for row in _rows("zh_company_words.csv")}
    words.update((row["chinese"], row["latin"]) for row in _rows("zh_places.csv"))
    return words


@lru_cache(maxsize=1)
def latin_spellings() -> dict[str, str]:
    """Map a word to the tokens it is compared as: abbreviations expanded (Ind. -> industry), other spellings
    of Chinese places folded to their pinyin (Kashgar -> kashi)."""
    folded = {row["abbreviation"]: row["word"] for row in _rows("abbreviations.csv")}
    for row in _rows("zh_places.csv"):
        folded.update((variant, row["latin"]) for variant in row["variants"].split())
    # One step to the end form: Hldgs -> holdings -> holding.
    return {word: " ".join(folded.get(t, t) for t in to.split()) for word, to in folded.items()}


@lru_cache(maxsize=1)
def place_romanisations() -> tuple[dict[str, str], frozenset[str]]:
    """Other romanisations of Chinese places mapped to their pinyin (kashgar -> kashi), and every Latin
    spelling of a place (pinyin and other romanisations alike)."""
    others: dict[str, str] = {}
    every: set[str] = set()
    for row in _rows("zh_places.csv"):
        every.update(row["latin"].split())
        for variant in row["variants"].split():
            others[variant] = row["latin"]
            every.add(variant)
    return others, frozenset(every)


@lru_cache(maxsize=1)
def chinese_word_max_len() -> int:
    """The longest Chinese vocabulary word, in characters."""
    return max(len(key) for key in chinese_words())


@lru_cache(maxsize=1)
def generic_words() -> dict[str, str]:
    """Map generic words to their class: particle, org, place or common (personal name)."""
    words = {row["word"]: row["class"] for row in _rows("generic_words.csv")}
    for row in _rows("zh_places.csv"):
        for token in row["latin"].split():
            words.setdefault(token, "place")
    return words


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every Mandarin syllable in pypinyin's readings, without tone marks (ü as u): yi, da, zhuang..."""
    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            decomposed = unicodedata.normalize("NFD", reading)
            found.add("".join(ch for ch in decomposed if not unicodedata.combining(ch)))
    return frozenset(found)


@lru_cache(maxsize=1)
def name_variants() -> dict[str, str]:
    """Map each spelling of a name that typo tolerance cannot bridge to one form (Mohamed, Muhammad -> muhammad)."""
    variants = {row["variant"]: row["canonical"] for row in _rows("name_variants.csv")}
    variants.update((canonical, canonical) for canonical in set(variants.values()))
    return variants
