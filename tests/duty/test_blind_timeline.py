"""The blind timeline table (issue 12): cases written from primary sources before reading the duty code,
aimed at what tests/duty/timeline_cases.csv never asked (both sides of each change, Section 232 by country,
GSP and other preference claims, column 2, de minimis before 2016-03-10). Same format as the timeline table.
Cases named r2-* are a second round, written after the code had been read: not blind."""

from __future__ import annotations

import pytest

from .test_timeline import check_case, check_width, load_cases

BLIND = load_cases("blind_cases.csv")


def test_the_blind_table_is_wide_enough():
    check_width(BLIND)


@pytest.mark.parametrize("case", BLIND, ids=[row["case"] for row in BLIND])
def test_blind_case(case):
    check_case(case)
