"""Every case in ../shared/data/audit/reference_cases_dev.json, reproduced exactly as the sources print it."""

from __future__ import annotations

import json
import math

import pytest

from parcelaudit.audit import (
    appraise_attribute,
    appraise_variable,
    attribute_sample_size,
    mus_sample_size,
    select_random,
    stringer_bound,
    upper_deviation_limit,
    variable_sample_size,
)
from tests.support import require_shared


def printed(value: float) -> int:
    """Whole-dollar rounding half up, as RAT-STATS prints amounts."""
    return math.floor(value + 0.5)


@pytest.fixture(scope="module")
def cases() -> dict:
    return json.loads(require_shared("audit/reference_cases_dev.json").read_text())


def test_unrestricted_variable_appraisal(cases):
    case = cases["ratstats_unrestricted_variable_appraisal"]
    examined, audited, N = case["examined"], case["audited"], case["N"]
    diffs = [e - a for e, a in zip(examined, audited, strict=True)]
    expected = case["expected"]
    for name, values in (("difference", diffs), ("examined", examined), ("audited", audited)):
        result = appraise_variable(values, N)
        want = expected[name]
        assert result.n == case["n"]
        assert printed(result.point) == want["point"]
        assert printed(result.se_total) == want["se_total"]
        for level in ("80", "90", "95"):
            limits = result.limits[int(level) / 100]
            assert [printed(limits.lower), printed(limits.upper)] == want[level][:2]
            if name == "difference":
                assert printed(limits.precision) == want[level][2]
                assert f"{limits.precision_percent:.2f}%" == want[level][3]
                assert f"{limits.critical_value:.12f}" == f"{want[level][4]:.12f}"
    diff = appraise_variable(diffs, N)
    assert round(diff.mean, 2) == expected["difference"]["mean"]
    assert round(diff.sd, 4) == expected["difference"]["sd"]
    assert round(diff.skewness, 2) == expected["difference"]["skew"]
    assert round(diff.kurtosis, 2) == expected["difference"]["kurt"]


@pytest.mark.parametrize("index", [0, 1])
def test_attribute_appraisal(cases, index):
    case = cases["ratstats_attribute_appraisal"][index]
    result = appraise_attribute(case["N"], case["n"], case["x"])
    for level in ("80", "90", "95"):
        if level in case:
            limits = result.limits[int(level) / 100]
            assert [limits.lower, limits.upper] == case[level]
    if "projected" in case:
        assert printed(result.projected) == case["projected"]
        assert round(result.rate * 100, 2) == case["pct"]
        assert printed(result.se_quantity) == case["se_qty"]
        assert round(result.se_percent, 3) == case["se_pct"]


def test_ratstats_random_numbers(cases):
    case = cases["ratstats_random_numbers"]
    result = select_random(
        case["seed"], case["low"], case["high"], case["sequential"], case["spares"], generator="ratstats"
    )
    assert result.values == case["selection_order_values"]
    assert result.spares == case["spares_values"]
    assert sum(result.values) + sum(result.spares) == case["sum"]


def test_ratstats_random_numbers_companion_manual_seed_12345():
    # RAT-STATS 2010 Companion Manual p. 1-2, Example 1 (10 of 1..1000 with 4 spares, seed 12345).
    result = select_random(12345, 1, 1000, 10, 4, generator="ratstats")
    assert result.sorted_values == [9, 236, 337, 340, 346, 497, 556, 641, 658, 884]
    assert result.spares == [404, 624, 927, 947]


def test_variable_sample_size_probe(cases):
    case = cases["ratstats_variable_sample_size_probe"]
    for key, row in case.items():
        if not key.endswith("%"):
            continue
        precision = float(key.rstrip("%")) / 100
        got = [
            variable_sample_size(case["N"], case["mean"], case["sd"], precision, c / 100)
            for c in case["conf"]
        ]
        assert got == row, key


def test_aicpa_attribute_sample_sizes(cases):
    case = cases["aicpa_attribute_sample_size_binomial_95"]
    rates = [i * 0.0025 for i in range(17)]
    got = [attribute_sample_size(0.05, rate, 0.95) for rate in rates]
    assert got == case["TDR5%_EDR0..4%_step0.25"]
    assert attribute_sample_size(0.10, 0.0, 0.95) == case["TDR10%_EDR0"]
    assert attribute_sample_size(0.02, 0.0, 0.95) == case["TDR2%_EDR0"]


def test_aicpa_upper_deviation_limits(cases):
    case = cases["aicpa_upper_deviation_limits_95"]
    assert [upper_deviation_limit(100, k, 0.95) for k in range(4)] == case["n100_k0..3"]
    assert upper_deviation_limit(20, 0, 0.95) == case["n20_k0"]
    assert upper_deviation_limit(500, 10, 0.95) == case["n500_k10"]


def test_aicpa_mus_sample_sizes(cases):
    case = cases["aicpa_mus_sample_size_poisson"]
    ratios = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    assert [mus_sample_size(0.05, 0.05 * r, 0.95) for r in ratios] == case[
        "risk5%_TM5%_ratio0,.1,.2,.3,.4,.5"
    ]


def test_stringer_bound(cases):
    case = cases["stringer_bound_binomial"]
    result = stringer_bound(case["n"], case["taints"], 0.95, method="binomial")
    assert result.mle == pytest.approx(case["mle"], abs=5e-10)
    assert result.upper == pytest.approx(case["ub95"], abs=5e-9)
