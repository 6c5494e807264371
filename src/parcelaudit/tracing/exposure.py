"""Forced-labor exposure of the facilities feeding a product: Xinjiang location, restricted-list
matches (through parcelaudit.screening), missing master data, and high-priority-sector materials."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from parcelaudit.reference.xinjiang import XinjiangAssessment, assess_address
from parcelaudit.tracing.graph import Upstream
from parcelaudit.tracing.model import Chain, Facility

SECTORS_FILE = Path(__file__).resolve().parent / "data" / "sector_materials.csv"
# Names in identifiers that denote an owner or parent company, screened like the facility itself.
OWNER_KEYS = ("owner", "parent", "operator")

ScreenFunction = Callable[[str, str | None, str | None], list[Any]]


@dataclass
class FacilityExposure:
    """What is known about one facility feeding the product, and what exposes it."""

    facility: Facility
    tier: int
    xinjiang: XinjiangAssessment
    hits: list[dict]
    missing_fields: list[str]


@lru_cache(maxsize=1)
def _default_screener() -> Any:
    try:
        from parcelaudit.screening.lists import default_screener

        return default_screener()
    except ImportError:  # downloaded-list support absent: the bundled UFLPA/WRO snapshot
        from parcelaudit.screening import Screener, load_bundled_lists

        return Screener(load_bundled_lists())


def default_screen(name: str, country: str | None, address: str | None) -> list[Any]:
    """Screen a party name with the project's screener (downloaded lists, else the bundled snapshot)."""
    return _default_screener().screen(name, country=country or None, address=address or None)


def _hit_dict(hit: Any, screened: str) -> dict:
    return {
        "screened_name": screened,
        "list": hit.list,
        "entry_id": hit.entry_id,
        "matched_name": hit.matched_name,
        "score": round(float(hit.score), 3),
        "explanation": hit.explanation,
    }


def assess_facilities(
    up: Upstream, chain: Chain, screen: ScreenFunction | None = default_screen
) -> list[FacilityExposure]:
    """Assess every facility in the product's upstream (sorted by tier): Xinjiang, list hits, gaps."""
    found = []
    for facility_id, tier in sorted(up.facility_tiers.items(), key=lambda item: (item[1], item[0])):
        facility = chain.facilities.get(facility_id) or Facility(facility_id)
        missing = [name for name in ("name", "address", "country") if not getattr(facility, name)]
        assessment = assess_address(facility.address, facility.country, uscc=facility.identifiers.get("uscc"))
        hits: list[dict] = []
        if screen is not None:
            names = [facility.name] + [
                facility.identifiers[k] for k in OWNER_KEYS if facility.identifiers.get(k)
            ]
            for name in filter(None, names):
                hits += [_hit_dict(hit, name) for hit in screen(name, facility.country, facility.address)]
        found.append(FacilityExposure(facility, tier, assessment, hits, missing))
    return found


@lru_cache(maxsize=1)
def _sector_map() -> dict[str, tuple[str, str]]:
    with open(SECTORS_FILE, encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["material"]: (row["sector"], row["designated"]) for row in rows}


def high_priority_sectors(up: Upstream, chain: Chain) -> list[dict]:
    """UFLPA high-priority sectors among the product's materials (our own mapping, not an official one)."""
    sectors: dict[str, dict] = {}
    for lot in up.tiers:
        material = chain.materials.get(lot)
        if material and material in _sector_map():
            sector, designated = _sector_map()[material]
            entry = sectors.setdefault(
                sector, {"sector": sector, "designated": designated, "materials": set()}
            )
            entry["materials"].add(material)
    return [
        {**s, "materials": sorted(s["materials"])}
        for s in sorted(sectors.values(), key=lambda s: s["sector"])
    ]
