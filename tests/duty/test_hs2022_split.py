"""The AD/CVD exclusion for Chinese solar cells follows the HS 2022 split of 8541.40 into 8541.42/8541.43."""

from __future__ import annotations

from datetime import date

from parcelaudit.rules.policy import load_policy


def _solar_prefixes(on: date) -> set[str]:
    rows = load_policy().in_force("excluded_goods", on)
    return {r["hts_prefix"] for r in rows if r["hts_prefix"].startswith("8541") and r["origin"] == "CN"}


def test_solar_cell_order_uses_the_codes_of_each_edition():
    assert _solar_prefixes(date(2021, 6, 1)) == {"854140"}
    assert _solar_prefixes(date(2023, 6, 1)) == {"854142", "854143"}
