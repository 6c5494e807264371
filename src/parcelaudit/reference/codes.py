"""ISO country (3166-1) and currency (4217) codes, from the pycountry package (Debian iso-codes data)."""

from __future__ import annotations

from functools import lru_cache

import pycountry

# Territories and legacy codes that appear on manifests but are not ISO 3166-1 alpha-2 entries.
_EXTRA_COUNTRIES = {"XK": "Kosovo (user-assigned code used by the EU and CBP)"}


@lru_cache(maxsize=1)
def country_lookup() -> dict[str, str]:
    """Map every accepted spelling (alpha-2, alpha-3, English name, upper case) to its alpha-2 code."""
    lookup: dict[str, str] = {}
    for country in pycountry.countries:
        for key in (
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "common_name", None),
            getattr(country, "official_name", None),
        ):
            if key:
                lookup[key.upper()] = country.alpha_2
    for code in _EXTRA_COUNTRIES:
        lookup[code] = code
    # Names that manifests commonly use for these economies.
    lookup.update(
        {
            "HONG KONG": "HK",
            "TAIWAN": "TW",
            "SOUTH KOREA": "KR",
            "KOREA": "KR",
            "VIETNAM": "VN",
            "RUSSIA": "RU",
            "UK": "GB",
            "USA": "US",
            "UNITED STATES OF AMERICA": "US",
            "TURKEY": "TR",
        }
    )
    return lookup


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """The ISO 4217 alphabetic currency codes."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def normalise_country(value: str) -> str | None:
    """Return the alpha-2 code for a country spelling, or None when it is not a known country."""
    return country_lookup().get(value.strip().upper())
