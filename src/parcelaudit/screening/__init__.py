"""Restricted-party screening: name normalisation, candidate index, scoring with explanations, list model."""

from __future__ import annotations

# First: loads the hot modules from source if their compiled extensions are stale (see native.py).
from parcelaudit.screening import native  # noqa: F401  (imported for that side effect)
from parcelaudit.screening.model import LIST_CODES, Entry, RestrictedList
from parcelaudit.screening.scoring import compare
from parcelaudit.screening.screener import HIT_SCHEMA, Hit, Screener, screen_party_table
from parcelaudit.screening.settings import MATCH_THRESHOLD, REVIEW_BAND, SETTINGS


def load_list(path, format: str | None = None) -> RestrictedList:
    """Load a list file (OFAC SDN, CSL, UN XML, UFLPA, DHS page, CBP WRO), detecting the format if not given."""
    from parcelaudit.reference.lists import load_list as _load

    return _load(path, format)


def load_bundled_lists() -> list[RestrictedList]:
    """The bundled offline snapshot: UFLPA Entity List and CBP WRO/Findings (partial, see their README)."""
    from parcelaudit.reference.lists import load_bundled_lists as _load

    return _load()


__all__ = [
    "HIT_SCHEMA",
    "LIST_CODES",
    "MATCH_THRESHOLD",
    "REVIEW_BAND",
    "SETTINGS",
    "Entry",
    "Hit",
    "RestrictedList",
    "Screener",
    "compare",
    "load_bundled_lists",
    "load_list",
    "screen_party_table",
]
