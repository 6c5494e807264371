"""Invariants of the bundled policy tables, and that policy is data (a changed date changes the outcome)."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date

import pytest

from parcelaudit.errors import ReferenceDataError
from parcelaudit.rules.policy import POLICY_DIR, TABLE_SPECS, load_policy
from tests.rules.builders import parcels
from tests.rules.conftest import run_rule


def test_every_bundled_table_loads_and_every_row_is_cited():
    policy = load_policy()
    for stem in TABLE_SPECS:
        table = policy.table(stem)
        assert table.num_rows > 0, stem
        if "citation" in table.column_names:
            assert all(c.strip() for c in table["citation"].to_pylist()), stem


def test_codes_are_well_formed():
    policy = load_policy()
    for stem in ("excluded_goods", "uflpa_sectors", "suspension_exemptions"):
        for prefix in policy.table(stem)["hts_prefix"].to_pylist():
            assert prefix == "*" or re.fullmatch(r"\d{2,10}", prefix), (stem, prefix)
    for stem, column in (("de_minimis_suspensions", "country"),):
        for country in policy.table(stem)[column].to_pylist():
            assert country == "*" or re.fullmatch(r"[A-Z]{2}", country)


def test_sector_map_is_labelled_as_ours():
    notes = load_policy().table("uflpa_sectors")["note"].to_pylist()
    assert all(n.startswith("OUR mapping") for n in notes)


def test_overlapping_periods_are_refused(tmp_path):
    path = tmp_path / "de_minimis_thresholds.csv"
    shutil.copy(POLICY_DIR / "de_minimis_thresholds.csv", path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('general,*,900,2020-01-01,,"a test citation",overlaps the $800 row\n')
    load_policy.cache_clear()
    with pytest.raises(ReferenceDataError, match="overlaps"):
        load_policy(str(tmp_path))


def test_changing_a_date_in_the_data_changes_the_outcome(tmp_path):
    rows = list(csv.DictReader((POLICY_DIR / "de_minimis_suspensions.csv").open(encoding="utf-8")))
    for row in rows:
        if row["measure_id"] == "EO14256-CN":
            row["effective_from"] = "2025-04-01"
    with (tmp_path / "de_minimis_suspensions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    shipments, lines = parcels(
        {
            "entry_type": "321",
            "arrival_date": date(2025, 4, 15),
            "country_of_shipment": "CN",
            "lines": [{"country_of_origin": "CN"}],
        }
    )
    assert run_rule("DM-ELIG", shipments, lines) == []
    edited = load_policy(str(tmp_path))
    assert [f["shipment_id"] for f in run_rule("DM-ELIG", shipments, lines, policy=edited)] == ["S1"]


def test_suspension_exemptions_name_a_suspension_and_a_known_basis():
    policy = load_policy()
    measures = set(policy.table("de_minimis_suspensions")["measure_id"].to_pylist())
    for row in policy.table("suspension_exemptions").to_pylist():
        assert row["measure_id"] in measures and row["basis"] in ("hts", "declaration"), row
        assert "1702(b)" in row["citation"]
