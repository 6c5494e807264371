"""A name prepared for matching: its tokens, each with a class (legal form, generic word...) and a weight."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

from parcelaudit.screening.settings import setting
from parcelaudit.screening.text import (
    clear_text_caches,
    gloss_reading,
    has_han,
    has_strict_script,
    reads_as_company,
    strict_tokens,
    tokenize,
)
from parcelaudit.screening.vocabulary import generic_words, legal_form_max_len, legal_form_starts, legal_forms

DISTINCTIVE = "distinctive"
LEGAL = "legal"
# Classes whose tokens are index keys: anything but particles and legal forms.
KEY_CLASSES: Final = frozenset({DISTINCTIVE, "common", "place", "org", "patronymic"})
GENERIC_CLASSES: Final = frozenset({"place", "org"})

_CLASS_WEIGHT = {
    DISTINCTIVE: setting("weight_distinctive"),
    "common": setting("weight_common"),
    "org": setting("weight_org"),
    "place": setting("weight_place"),
    "patronymic": setting("weight_patronymic"),
    "particle": setting("weight_particle"),
    LEGAL: setting("weight_legal"),
}


class PreparedName(NamedTuple):
    """Tokens of one name with their class and weight; legal forms are folded to one canonical token.

    A named tuple rather than a dataclass: millions are made when screening, and a tuple is made fastest.
    """

    text: str
    tokens: tuple[str, ...]
    classes: tuple[str, ...]
    weights: tuple[float, ...]
    strict: tuple[bool, ...]
    total: float
    # (weight, token, strict, generic) of the index-key tokens, heaviest first; generic = org or place word
    keyed: tuple[tuple[float, str, bool, bool], ...]

    def distinctive_tokens(self) -> list[str]:
        """Tokens that are in no generic class and long enough to identify a party."""
        return [t for t, c in zip(self.tokens, self.classes, strict=True) if c == DISTINCTIVE and len(t) > 2]


# Read once at import, as the other vocabulary tables the hot path uses (three cached calls per name otherwise).
_LEGAL_FORMS = legal_forms()
_LEGAL_FORM_MAX_LEN = legal_form_max_len()
_LEGAL_FORM_STARTS = legal_form_starts()


def _fold_legal_forms(tokens: tuple[str, ...]) -> list[tuple[str, str]]:
    forms = _LEGAL_FORMS
    longest = _LEGAL_FORM_MAX_LEN
    starts = _LEGAL_FORM_STARTS
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        if tokens[i] not in starts:
            out.append((tokens[i], ""))
            i += 1
            continue
        for size in range(min(longest, len(tokens) - i), 0, -1):
            canonical = forms.get(tokens[i : i + size])
            # A legal form at the very start of a one-word name is more likely the name itself.
            if canonical is not None and not (i == 0 and size == len(tokens)):
                out.append((canonical.replace(" ", "_"), LEGAL))
                i += size
                break
        else:
            out.append((tokens[i], ""))
            i += 1
    return out


_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ovych", "ivna")


def _token_class(token: str, generic: dict[str, str]) -> str:
    cls = generic.get(token)
    if cls:
        return cls
    # East Slavic patronymics are middle names that lists and documents often leave out.
    if len(token) > 7 and token.endswith(_PATRONYMIC_ENDINGS):
        return "patronymic"
    return DISTINCTIVE


_SHORT = setting("weight_short")
_TOKEN_INFO: dict[str, tuple[str, float]] = {}


def _token_info(token: str) -> tuple[str, float]:
    info = _TOKEN_INFO.get(token)
    if info is None:
        cls = _token_class(token, generic_words())
        weight = _CLASS_WEIGHT[cls] * (_SHORT if cls == DISTINCTIVE and len(token) <= 2 else 1.0)
        if len(_TOKEN_INFO) > 500_000:
            _TOKEN_INFO.clear()
        info = _TOKEN_INFO[token] = (cls, weight)
    return info


# A short parenthesised part inside a company name is where the company is (合盛硅业（鄯善）有限公司, Hoshine
# Silicon Industry (Shanshan) Co., Ltd.): a place, whatever its word. Not at the very end, where lists put
# former names and notes.
_INNER_PARENTHESES = re.compile(r"\(([^()]{1,40})\)\s*\S")


def _parenthesised_places(name: str) -> frozenset[str]:
    if "(" not in name:
        if "\uff08" not in name:
            return frozenset()
        name = unicodedata.normalize("NFKC", name)
    found: set[str] = set()
    for part in _INNER_PARENTHESES.findall(name):
        tokens = tokenize(part)
        if 1 <= len(tokens) <= 2:
            found.update(tokens)
    return frozenset(found)


# Prepared names remembered in a plain dict (emptied when full): compiled callers reach it without the call
# through functools.lru_cache's wrapper, which boxed every call (measured: 5% of a screen on names on no list).
_PREPARED: dict[str, PreparedName] = {}
PREPARED_CACHE = 200_000


def prepare(name: str) -> PreparedName:
    """Tokenise a name, fold legal forms, and weigh each token by its class (remembered per name)."""
    found = _PREPARED.get(name)
    if found is not None:
        return found
    prepared = _prepare(name)
    if len(_PREPARED) >= PREPARED_CACHE:
        _PREPARED.clear()
    _PREPARED[name] = prepared
    return prepared


def _prepare(name: str) -> PreparedName:
    tokens, classes, weights = [], [], []
    legal_weight = _CLASS_WEIGHT[LEGAL]
    info = _TOKEN_INFO
    places = _parenthesised_places(name)
    for token, legal in _fold_legal_forms(tokenize(name)):
        if legal:
            cls, weight = LEGAL, legal_weight
        else:
            cls, weight = info.get(token) or _token_info(token)
            if cls == DISTINCTIVE and token in places:
                cls, weight = "place", _CLASS_WEIGHT["place"]
        tokens.append(token)
        classes.append(cls)
        weights.append(weight)
    if name.isascii() or not has_strict_script(name):
        flags = (False,) * len(tokens)
    else:
        strict = strict_tokens(name)
        flags = tuple(t in strict for t in tokens)
    token_tuple, class_tuple, weight_tuple = tuple(tokens), tuple(classes), tuple(weights)
    return PreparedName(
        name,
        token_tuple,
        class_tuple,
        weight_tuple,
        flags,
        sum(weights),
        _keyed(token_tuple, class_tuple, weight_tuple, flags),
    )


def _keyed(
    tokens: tuple[str, ...], classes: tuple[str, ...], weights: tuple[float, ...], flags: tuple[bool, ...]
) -> tuple[tuple[float, str, bool, bool], ...]:
    # Tuples, not Sequence: compiled, indexing them is direct, where a Sequence goes through the generic
    # item lookup.
    # Heaviest first, as sorted(reverse=True) orders the tuples; by insertion, as a name has a few key tokens
    # and the compiled comparisons below cost a fraction of a generic sort's.
    keyed: list[tuple[float, str, bool, bool]] = []
    for i in range(len(tokens)):
        token, cls = tokens[i], classes[i]
        if cls in KEY_CLASSES and len(token) >= 2:
            item = (weights[i], token, flags[i], cls in GENERIC_CLASSES)
            k = len(keyed)
            keyed.append(item)
            while k > 0 and _after(keyed[k - 1], item):
                keyed[k] = keyed[k - 1]
                k -= 1
            keyed[k] = item
    return tuple(keyed)


def _after(a: tuple[float, str, bool, bool], b: tuple[float, str, bool, bool]) -> bool:
    """Whether a comes after b in descending tuple order (b > a)."""
    if a[0] != b[0]:
        return b[0] > a[0]
    if a[1] != b[1]:
        return b[1] > a[1]
    if a[2] != b[2]:
        return b[2]
    return b[3] and not a[3]


def meaning_words(option: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens an English gloss compares as, legal forms left out (BYD Company -> byd)."""
    prepared = prepare(" ".join(option))
    return tuple(t for t, c in zip(prepared.tokens, prepared.classes, strict=True) if c != LEGAL)


def read_by_meaning(name: str, known: Callable[[str], str | None]) -> PreparedName | None:
    """The name's other reading, its Chinese words read by the first meaning whose every word is known (to
    the other name, or to the lists; known gives the spelling it knows, e.g. eastern for east): 上海东方希望集团
    -> shanghai east hope group. Pinyin stays exact. None when the name has no Chinese word whose meaning is
    known."""
    if name.isascii() or not has_han(name) or not reads_as_company(name):
        return None

    def choose(options: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
        for option in options:
            words = meaning_words(option)
            spelled = [known(w) for w in words]
            if words and all(spelled):
                return tuple(w for w in spelled if w)
        return None

    found = gloss_reading(name, choose)
    if found is None:
        return None
    reading, pinyin = found
    base = prepare(reading)
    flags = tuple(t in pinyin for t in base.tokens)
    return base._replace(
        text=name, strict=flags, keyed=_keyed(base.tokens, base.classes, base.weights, flags)
    )


def known_in(tokens: Sequence[str]) -> Callable[[str], str | None]:
    """A lookup for read_by_meaning: a word is known when one of these tokens is it, or is it with an
    English ending (east -> eastern, sport -> sports, textile -> textiles); the token is its spelling."""
    exact = set(tokens)

    def known(word: str) -> str | None:
        if word in exact:
            return word
        if len(word) >= 4:
            for token in tokens:
                if token.startswith(word) and token[len(word) :] in _ENDINGS:
                    return token
        return None

    return known


_ENDINGS = frozenset({"s", "es", "ern", "ing", "ed", "al", "ic", "y", "er", "ers"})


def clear_name_caches() -> None:
    """Forget prepared names, tokenised words, transliterations and token classes (for cold-start timing)."""
    _PREPARED.clear()
    clear_text_caches()
    _TOKEN_INFO.clear()
