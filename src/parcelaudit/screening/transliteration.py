"""Arabic and Persian script against Latin transliterations: both compared by their consonant skeleton.

Arabic script leaves short vowels unwritten (محمد is m-h-m-d), and Latin transliterations spell them each
their own way (Muhammad, Mohamed, Mouhamad), so the two meet only on their consonants. A name's skeleton
reading keeps each token's class and weight and replaces its text by its skeleton, which must then match
exactly (no typo tolerance: the skeleton is already a loose form). Our own table, from the letter
correspondences of common romanisation systems for Arabic and Persian (ALA-LC; the UN and OFAC lists spell
names in that tradition): digraphs for one letter (kh خ, sh ش, th ث, dh ذ ظ (as z, their Persian and common Latin sound), gh غ, ch چ, zh ژ) are one symbol;
q and k, c and k, v and w, p and b are folded; vowels and the semivowels y and w are dropped (long vowels
are written in Arabic script as و ي ا, short ones are not); a doubled letter (shadda) counts once; a final
h (ة, or the h of Abdullah) is dropped; the article al-/el- is joined to the word it belongs to.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parcelaudit.screening.names import PreparedName
from parcelaudit.screening.settings import setting
from parcelaudit.screening.text import collapse_doubled

_COMMON_WEIGHT = setting("weight_common")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_DIGRAPHS = (("kh", "x"), ("sh", "$"), ("ch", "$"), ("th", "t"), ("dh", "z"), ("gh", "g"), ("zh", "j"))
# A final long i (the nisba ending: Soleimani, سلیمانی) is written in both scripts: kept as a mark.
_FINAL_I = ("i", "y", "ee", "ie", "ey")
_LETTERS = str.maketrans({"q": "k", "c": "k", "v": "w", "p": "b", "z": "z"})
_DROP = re.compile(r"[aeiouyw'`]")
_ARTICLES = frozenset({"al", "el", "ul"})


def has_arabic_script(name: str) -> bool:
    """Whether the name has Arabic-script letters (Arabic, Persian, Urdu...)."""
    return _ARABIC.search(name) is not None


@lru_cache(maxsize=100_000)
def skeleton(token: str) -> str:
    """The consonant skeleton of a token romanised from either script: Muhammad and محمد (mhmd) -> mhmd."""
    text = token.lower()
    final_i = len(text) >= 2 and text.endswith(_FINAL_I)
    for digraph, symbol in _DIGRAPHS:
        text = text.replace(digraph, symbol)
    text = _DROP.sub("", text.translate(_LETTERS))
    text = collapse_doubled(text)
    text = text[:-1] if len(text) > 1 and text.endswith("h") else text
    return text + "i" if final_i and text else text


def adjacent_joins(name: PreparedName) -> list[str]:
    """Each two neighbouring skeleton words written together (عبد الله -> bd l -> bdl, as in Abdullah)."""
    return [collapse_doubled(a + b) for a, b in zip(name.tokens, name.tokens[1:], strict=False)]


def merge_toward(name: PreparedName, other: PreparedName) -> PreparedName:
    """The skeleton name with two neighbouring words joined wherever the other name has them as one word
    (حسن نصر الله against Nasrallah, Hassan: hsn nsrl), their weights added."""
    wanted = set(other.tokens)
    tokens, classes, weights = list(name.tokens), list(name.classes), list(name.weights)
    i = 0
    while i < len(tokens) - 1:
        joined = collapse_doubled(tokens[i] + tokens[i + 1])
        if joined in wanted and tokens[i] not in wanted and tokens[i + 1] not in wanted:
            tokens[i : i + 2] = [joined]
            weights[i : i + 2] = [weights[i] + weights[i + 1]]
            del classes[i + 1]
        i += 1
    if len(tokens) == len(name.tokens):
        return name
    return _prepared(name.text, tokens, classes, weights)


def skeleton_reading(name: PreparedName) -> PreparedName | None:
    """The name with every token replaced by its skeleton (classes and weights kept, matched exactly), the
    article joined to the next word (al din -> ldn, as الدين is written); None when nothing is left."""
    tokens: list[str] = []
    classes: list[str] = []
    weights: list[float] = []
    carry = ""
    for token, cls, weight in zip(name.tokens, name.classes, name.weights, strict=True):
        if token in _ARTICLES:
            carry = "l"
            continue
        shape = carry + skeleton(token)
        carry = ""
        if not shape:
            continue
        tokens.append(shape)
        if len(shape) < 3 and cls == "distinctive":
            # Two consonants (Ali: li, Aziz: zi) are shared by too many names to tell one from another.
            cls, weight = "common", _COMMON_WEIGHT
        classes.append(cls)
        weights.append(weight)
    if not tokens:
        return None
    return _prepared(name.text, tokens, classes, weights)


def _prepared(text: str, tokens: list[str], classes: list[str], weights: list[float]) -> PreparedName:
    flags = (True,) * len(tokens)
    keyed = tuple(
        sorted(
            ((w, t, True, c in ("place", "org")) for t, c, w in zip(tokens, classes, weights, strict=True)),
            reverse=True,
        )
    )
    return PreparedName(text, tuple(tokens), tuple(classes), tuple(weights), flags, sum(weights), keyed)
