"""The timeline table: country x HTS x date (2016-2027), express, postal and cargo, each case with the
primary source its expected rate comes from (tests/duty/timeline_cases.csv)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from parcelaudit.duty import quote
from parcelaudit.duty.quote import COLUMN2_FROM
from parcelaudit.paths import shared_data_dir
from parcelaudit.reference.hts import load_hts, normalise_hts


def load_cases(name: str) -> list[dict[str, str]]:
    """The rows of a timeline table in tests/duty."""
    return list(csv.DictReader((Path(__file__).parent / name).open(encoding="utf-8")))


def check_width(rows: list[dict[str, str]]) -> None:
    """At least 40 cases spanning 2016 to 2027, in every mode, each with its source."""
    years = {row["date"][:4] for row in rows}
    assert len(rows) >= 40 and {"2016", "2027"} <= years
    assert {row["mode"] for row in rows} == {"express", "postal", "cargo"}
    assert all(row["source"].strip() for row in rows)


CASES = load_cases("timeline_cases.csv")


def test_the_table_is_wide_enough():
    check_width(CASES)


def check_case(case: dict[str, str]) -> None:
    """Quote one table row and compare its rate and amount with the row's expectation."""
    if case["preference"] and shared_data_dir() is None:
        pytest.skip("preference claims read the special column of the full schedule in ../shared/data")
    schedule = load_hts()
    if not schedule.complete and normalise_hts(case["hts"])[:8] not in schedule.lines:
        pytest.skip(
            "the line's MFN rate is in the full USITC schedule (../shared/data or `parcelaudit reference update`), "
            "not in the bundled subset"
        )
    line = schedule.lines.get(normalise_hts(case["hts"])[:8])
    on = date.fromisoformat(case["date"])
    if (
        case["origin"] in COLUMN2_FROM
        and on >= COLUMN2_FROM[case["origin"]]
        and line
        and not line.column2_text
    ):
        pytest.skip(
            "column 2 rates are in the full USITC schedule (../shared/data), not in the bundled subset"
        )
    q = quote(
        case["hts"],
        case["origin"],
        date.fromisoformat(case["date"]),
        case["value"],
        mode=case["mode"],
        quantity=int(case["quantity"]),
        preference=case["preference"] or None,
        entry_type=case["entry_type"] or None,
        postal_method=case["postal_method"] or "ad_valorem",
    )
    assert q.rate == Decimal(case["expected_rate"]), [(c.measure, c.rate) for c in q.components]
    assert q.amount == Decimal(case["expected_amount"])


@pytest.mark.parametrize("case", CASES, ids=[row["case"] for row in CASES])
def test_timeline_case(case):
    check_case(case)
