"""Further published cases and behaviours: RAT-STATS error-rate sample sizes, PPS selection, 1592(c) maxima."""

from __future__ import annotations

import pytest

from parcelaudit.audit import (
    hypergeometric_upper_limit,
    penalty_exposure,
    select_pps,
    select_random,
    variable_sample_size_error_rate,
)
from parcelaudit.errors import ParcelAuditError

# RAT-STATS 2010 Companion Manual p. 4-9, Example 2: N 10,000, reported total $3,000,000, sd $125, 15% errors.
ERROR_RATE_TABLE = {
    0.01: [9181, 9486, 9633, 9784],
    0.02: [7370, 8219, 8676, 9188],
    0.05: [3095, 4248, 5119, 6443],
    0.10: [1008, 1559, 2077, 3117],
    0.15: [474, 758, 1044, 1675],
    0.25: [176, 287, 403, 675],
}


@pytest.mark.parametrize(("precision", "expected"), ERROR_RATE_TABLE.items())
def test_ratstats_error_rate_sample_sizes(precision, expected):
    got = [
        variable_sample_size_error_rate(10_000, 3_000_000, 125, 0.15, precision, c)
        for c in (0.8, 0.9, 0.95, 0.99)
    ]
    assert got == expected


def test_pps_selection_takes_every_item_above_the_interval_and_repeats_by_seed():
    values = [5.0] * 200 + [5000.0, 20.0, 7000.0]
    first = select_pps(values, 30, seed=4)
    assert first.indices == select_pps(values, 30, seed=4).indices
    assert {200, 202} <= set(first.indices)  # larger than the interval: certain
    assert sum(first.hits) == 30 and first.interval == pytest.approx(sum(values) / 30)


def test_modern_generator_records_its_seed_and_refuses_impossible_draws():
    drawn = select_random(None, 1, 50, 10, 2)
    assert select_random(drawn.seed, 1, 50, 10, 2).values == drawn.values
    assert len(set(drawn.values + drawn.spares)) == 12
    with pytest.raises(ParcelAuditError, match="distinct numbers"):
        select_random(1, 1, 5, 5, 1)


def test_hypergeometric_upper_limit_matches_a_direct_search():
    from scipy import stats

    N, n, k = 500, 60, 3
    limit = hypergeometric_upper_limit(N, n, k, 0.95)
    assert stats.hypergeom.cdf(k, N, limit, n) > 0.05 >= stats.hypergeom.cdf(k, N, limit + 1, n)


def test_penalty_maxima_follow_1592c():
    fraud, gross, negligence = penalty_exposure(
        1000.0, 50_000.0, 60_000.0, interest_rate=0.05, interest_years=2
    )
    assert (fraud.maximum, fraud.maximum_with_prior_disclosure) == (60_000.0, 1000.0)
    assert (gross.maximum, gross.maximum_with_prior_disclosure) == (4000.0, 100.0)
    assert (negligence.maximum, negligence.maximum_with_prior_disclosure) == (2000.0, 100.0)
    no_loss = penalty_exposure(0.0, 50_000.0, 60_000.0)
    assert [p.maximum for p in no_loss] == [60_000.0, 20_000.0, 10_000.0]
    assert no_loss[0].maximum_with_prior_disclosure == 5000.0
    capped = penalty_exposure(40_000.0, 50_000.0, 60_000.0)
    assert capped[1].maximum == 60_000.0  # lesser of domestic value and 4x lost duties
