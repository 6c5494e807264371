"""Estimators against published examples: jfa's BuildIt evaluations, R survey's apistrat, RAT-STATS stratified."""

from __future__ import annotations

import json
import math

import pytest

from parcelaudit.audit import appraise_stratified, appraise_variable, project
from tests.support import require_shared

# RAT-STATS 2010 Companion Manual pp. 3-11..3-14: stratified example DATASTRAT.TXT / UNIVSTRAT.TXT.
STRATUM_1 = [
    80,
    43,
    133,
    125,
    116,
    84,
    111,
    148,
    104,
    114,
    83,
    132,
    96,
    86,
    66,
    89,
    72,
    114,
    135,
    71,
    127,
    105,
    102,
    69,
    76,
]
STRATUM_2 = [
    354,
    328,
    313,
    250,
    261,
    294,
    380,
    296,
    248,
    277,
    331,
    305,
    360,
    348,
    318,
    290,
    249,
    362,
    348,
    355,
    295,
    277,
    355,
    314,
    277,
]


def printed(value: float) -> int:
    return math.floor(value + 0.5)


def test_ratstats_stratified_example():
    result = appraise_stratified([(STRATUM_1, 5200), (STRATUM_2, 3500)])
    first, second = result.strata
    assert printed(first.point) == 516_048 and printed(first.se_total) == 27_319
    assert [printed(first.limits[0.9].lower), printed(first.limits[0.9].upper)] == [469_308, 562_788]
    assert f"{first.limits[0.95].critical_value:.12f}" == "2.063898561628"
    assert printed(second.point) == 1_089_900 and printed(second.se_total) == 27_651
    assert printed(result.point) == 1_605_948 and printed(result.se_total) == 38_870
    expected = {
        0.80: (1_556_134, 1_655_762, 49_814, "3.10%"),
        0.90: (1_542_012, 1_669_884, 63_936, "3.98%"),
        0.95: (1_529_764, 1_682_132, 76_184, "4.74%"),
    }
    for level, (low, high, precision, percent) in expected.items():
        limits = result.limits[level]
        assert (printed(limits.lower), printed(limits.upper), printed(limits.precision)) == (
            low,
            high,
            precision,
        )
        assert f"{limits.precision_percent:.2f}%" == percent
    assert f"{result.limits[0.90].critical_value:.12f}" == "1.644853626951"


@pytest.fixture(scope="module")
def buildit() -> dict:
    return json.loads(require_shared("audit/jfa_buildit_first100.json").read_text())


@pytest.mark.parametrize(
    ("method", "total", "mle", "lb", "ub"),
    [
        ("mpu", True, 59580.62, -59050.61, 178211.9),  # jfa f3-v0.1.0-t13 "direct"
        ("difference", True, 34298.6, 3437.26, 65159.94),  # t14
        ("ratio", False, 34298.6, 3138.557, 65458.64),  # t15 "quotient" (jfa was given no book total)
        ("regression", True, 33872, 3069.264, 64674.73),  # t16
    ],
)
def test_jfa_buildit_estimators(buildit, method, total, mle, lb, ub):
    result = project(
        buildit["bookValue"],
        buildit["auditValue"],
        buildit["N"],
        buildit["book_total"] if total else None,
        method=method,
        confidence=0.95,
        fpc=False,
    )
    assert result.point == pytest.approx(mle, rel=1e-3)
    assert result.lower == pytest.approx(lb, rel=1e-3)
    assert result.upper == pytest.approx(ub, rel=1e-3)


def test_ratio_uses_the_known_book_total(buildit):
    book, audit = buildit["bookValue"], buildit["auditValue"]
    result = project(book, audit, buildit["N"], buildit["book_total"], method="ratio", fpc=False)
    share = (sum(book) - sum(audit)) / sum(book)
    assert result.point == pytest.approx(share * buildit["book_total"])


def test_r_survey_apistrat_total():
    data = json.loads(require_shared("audit/r_survey_apistrat.json").read_text())
    result = appraise_stratified([(s["enroll"], s["N"]) for s in data["strata"]])
    # survey::svytotal(~enroll, dstrat) in tests/testoutput/api.Rout.saved: 3687178, SE 114642.
    assert printed(result.point) == 3_687_178
    assert printed(result.se_total) == 114_642


def test_census_has_no_sampling_error():
    values = [3.0, 5.0, 8.0, 13.0]
    result = appraise_variable(values, len(values))
    assert result.se_total == 0 and result.limits[0.95].lower == result.point == 29.0
