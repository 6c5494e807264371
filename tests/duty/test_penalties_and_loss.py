"""Penalty bases under 19 U.S.C. 1592(c), the de minimis penalty, and refundable IEEPA duties kept out of
the audit's loss of revenue."""

from __future__ import annotations

from datetime import date

import pytest

from parcelaudit.audit.penalties import de_minimis_penalty, penalty_bases, penalty_exposure
from parcelaudit.audit.population import build_population
from tests.rules.builders import parcels


def test_bases_come_from_the_merchandise_involved_and_drop_refundable_duties():
    items = [
        {"in_error": True, "dutiable_value": 1000.0, "lost": 365.0, "refundable": 200.0},
        {"in_error": True, "dutiable_value": 500.0, "lost": 0.0, "domestic_value": 900.0},
        {"in_error": False, "dutiable_value": 1_000_000.0, "lost": 0.0},
    ]
    bases = penalty_bases(items)
    assert (bases.lost_duties, bases.refundable_excluded, bases.dutiable_value) == (165.0, 200.0, 1500.0)
    assert bases.domestic_value == 1000.0 + 365.0 + 900.0 and bases.domestic_value_estimated


def test_refundable_duties_are_not_a_loss_and_no_loss_uses_the_lesser_of_values():
    fraud, gross, negligence = penalty_exposure(365.0, 1000.0, 1500.0, refundable=200.0)
    assert gross.maximum == 4 * 165.0 and negligence.maximum == 2 * 165.0 and fraud.maximum == 1500.0
    only_refundable = penalty_exposure(200.0, 1000.0, 300.0, refundable=200.0)
    # no loss left: 40% / 20% of dutiable value, capped by the domestic value
    assert [p.maximum for p in only_refundable] == [300.0, 300.0, 200.0]


def test_de_minimis_penalty_from_august_2025():
    assert de_minimis_penalty(3, date(2025, 8, 3))[0] == 25_000.0
    assert de_minimis_penalty(3, date(2025, 8, 2))[0] == 0.0
    assert de_minimis_penalty(1, date(2026, 1, 1))[2] == "unverified"


def test_audit_population_counts_no_refundable_duty():
    tee = {"hts_code": "6109100012", "country_of_origin": "VN", "value": 100.0}
    shipments, lines = parcels({"entry_type": "11", "arrival_date": date(2025, 9, 1), "lines": [tee]})
    frame = build_population(shipments, lines).to_pylist()
    # 16.5% MFN counts; the 20% IEEPA reciprocal duty is refundable and is not revenue
    assert frame[0]["book_duty"] == pytest.approx(16.50)
