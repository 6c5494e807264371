"""Spelling variants of listed entity names, as they turn up on manifests (for the `listed_entity` injection)."""

from __future__ import annotations

import csv
import re

import numpy as np

from parcelaudit.paths import BUNDLED_DATA

_LEGAL = re.compile(
    r",?\s*(Co\.,?\s*Ltd\.?|Co\. Ltd\.?|Company Limited|Corporation|Limited|Ltd\.?)\s*$", re.I
)
_GENERIC = {
    "co",
    "ltd",
    "company",
    "limited",
    "group",
    "the",
    "and",
    "of",
    "xinjiang",
    "china",
    "industry",
    "industrial",
    "technology",
    "trade",
    "trading",
    "new",
    "products",
    "product",
    "co.,",
    "corporation",
}


def screenable_entities() -> list[str]:
    """Bundled UFLPA names distinctive enough to screen: two or more specific words besides legal forms."""
    path = BUNDLED_DATA / "lists" / "uflpa_entity_list.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [row["name"] for row in csv.DictReader(handle)]
    keep = []
    for name in rows:
        words = [w.strip("(),.").lower() for w in _LEGAL.sub("", name).split()]
        specific = [w for w in words if len(w) >= 4 and w not in _GENERIC]
        if len(specific) >= 2:
            keep.append(name)
    return keep


def _typo(rng: np.random.Generator, text: str) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not candidates:
        return text
    i = candidates[rng.integers(len(candidates))]
    word = words[i]
    position = int(rng.integers(1, len(word) - 1))
    if rng.random() < 0.5:
        word = word[:position] + word[position + 1 :]  # a dropped letter
    else:
        word = word[:position] + word[position + 1] + word[position] + word[position + 2 :]  # swapped letters
    words[i] = word
    return " ".join(words)


def _legal_form(rng: np.random.Generator, text: str) -> str:
    replacement = ("Company Limited", "Co Ltd", "Co.,Ltd", "Limited", "CO., LTD.")[rng.integers(5)]
    stripped = _LEGAL.sub("", text)
    return f"{stripped} {replacement}" if stripped != text else f"{text} {replacement}"


def _punctuation(rng: np.random.Generator, text: str) -> str:
    return re.sub(r"[.,()]", "", text)


def _case(rng: np.random.Generator, text: str) -> str:
    return text.upper() if rng.random() < 0.6 else text.lower()


def _order(rng: np.random.Generator, text: str) -> str:
    # "Hoshine Silicon Industry (Shanshan)" style: move a parenthesised place to the front.
    match = re.search(r"\(([^)]+)\)", text)
    if match:
        return f"{match.group(1)} " + re.sub(r"\s*\([^)]+\)", "", text)
    words = text.split()
    if len(words) >= 3:
        words[0], words[1] = words[1], words[0]
    return " ".join(words)


TRANSFORMS = (_typo, _legal_form, _punctuation, _case, _order)


def spelling_variant(rng: np.random.Generator, name: str) -> tuple[str, str]:
    """Apply one or two realistic transformations; returns (variant, what was done)."""
    count = 1 + int(rng.random() < 0.4)
    chosen = rng.choice(len(TRANSFORMS), size=count, replace=False)
    variant = name
    for index in sorted(chosen):
        variant = TRANSFORMS[index](rng, variant)
    if variant == name:
        variant = _legal_form(rng, name)
    return variant, "+".join(TRANSFORMS[i].__name__.strip("_") for i in sorted(chosen))
