"""Restricted-party list loading: `load_list(path)` detects the format and calls its loader.

Formats: OFAC SDN legacy CSV (+ALT, ADD), Consolidated Screening List, UN XML, UFLPA (ours and the DHS
page), CBP WRO/Findings. Every loaded snapshot records its source and date; the bundled UFLPA and WRO
snapshot (reference/data/lists) is a partial compilation for offline use.
"""

from __future__ import annotations

from pathlib import Path

from parcelaudit.errors import ReferenceDataError
from parcelaudit.hashing import file_sha256
from parcelaudit.reference.list_common import read_rows, read_text
from parcelaudit.reference.lists_forced_labor import (
    BUNDLED_LISTS,
    load_bundled_lists,
    load_uflpa,
    load_uflpa_dhs,
    load_wro,
)
from parcelaudit.reference.lists_sanctions import load_csl, load_sdn, load_un
from parcelaudit.screening.model import RestrictedList

LOADERS = {
    "sdn": load_sdn,
    "csl": load_csl,
    "un": load_un,
    "uflpa": load_uflpa,
    "uflpa_dhs": load_uflpa_dhs,
    "wro": load_wro,
}
FORMATS = tuple(LOADERS)
__all__ = ["BUNDLED_LISTS", "FORMATS", "detect_format", "load_bundled_lists", "load_list"]


def detect_format(path: Path) -> str:
    """Say which list format a file holds (sdn, csl, un, uflpa, uflpa_dhs, wro), from its content."""
    text = read_text(path)[:4000]
    head = text.lstrip()[:600].lower()
    if (head.startswith("<?xml") or "<consolidated_list" in head) and "consolidated_list" in text.lower():
        return "un"
    if "<html" in head or "<table" in text.lower() or head.startswith("<!doctype"):
        return "uflpa_dhs"
    first = next(iter(read_rows(text, header=False, path=path)), [])
    header = {c.strip().lower() for c in first}
    if {"entity_number", "alt_names"} <= header or {"source", "name", "programs", "addresses"} <= header:
        return "csl"
    if {"name", "aliases", "section", "effective_date"} <= header:
        return "uflpa"
    if "entity_or_merchandise" in header or {"merchandise", "country", "date"} <= header:
        return "wro"
    if any("entity" in h for h in header) and any("effective" in h for h in header):
        return "uflpa_dhs"
    if first and first[0].strip().isdigit():
        if len(first) >= 12:
            return "sdn"
        kind = "ALT (aliases)" if len(first) == 5 else "ADD (addresses)"
        raise ReferenceDataError(
            f"this is an OFAC {kind} companion file, not a list",
            file=str(path),
            hint="load the SDN file; its ALT and ADD files are found beside it",
        )
    raise ReferenceDataError(
        "unknown list format", file=str(path), row=1, hint=f"use one of: {', '.join(FORMATS)} (--format)"
    )


def load_list(path: str | Path, format: str | None = None) -> RestrictedList:
    """Load one list file, detecting its format unless given; returns the snapshot with source and date."""
    path = Path(path)
    if not path.exists():
        raise ReferenceDataError("list file not found", file=str(path), hint="check the path")
    fmt = format or detect_format(path)
    if fmt not in LOADERS:
        raise ReferenceDataError(f"unknown list format {fmt!r}", file=str(path), hint=f"use one of {FORMATS}")
    loaded = LOADERS[fmt](path)
    read = [path] + [Path(p) for p in (loaded.extra.get("alt_file"), loaded.extra.get("add_file")) if p]
    loaded.files = tuple((str(p), file_sha256(p)) for p in read)
    return loaded
