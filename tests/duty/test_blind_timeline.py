"""The blind timeline table (issue 12): cases written from primary sources before reading the duty code,
aimed at what tests/duty/timeline_cases.csv never asked (both sides of each change, Section 232 by country,
GSP and other preference claims, column 2, de minimis before 2016-03-10). Same format as the timeline table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from .test_timeline import check_case

BLIND = list(csv.DictReader((Path(__file__).parent / "blind_cases.csv").open(encoding="utf-8")))


def test_the_blind_table_is_wide_enough():
    years = {row["date"][:4] for row in BLIND}
    assert len(BLIND) >= 40 and {"2016", "2027"} <= years
    assert {row["mode"] for row in BLIND} == {"express", "postal", "cargo"}
    assert all(row["source"].strip() for row in BLIND)


@pytest.mark.parametrize("case", BLIND, ids=[row["case"] for row in BLIND])
def test_blind_case(case):
    check_case(case)
