"""Property tests: limits bracket the estimate, wider confidence gives wider limits, a census has no
sampling error, and a one-stratum design equals the unrestricted appraisal."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from parcelaudit.audit import appraise_attribute, appraise_stratified, appraise_variable, project

amounts = st.lists(
    st.floats(min_value=-1e5, max_value=1e5, allow_nan=False, width=32), min_size=2, max_size=40
)
LEVELS = (0.80, 0.90, 0.95, 0.99)


def assert_nested(limits: dict, point: float, high: float | None = None) -> None:
    """Every interval meets [point, high] (just the point when high is None) and each wider confidence
    contains the narrower interval."""
    high = point if high is None else high
    previous = None
    for level in LEVELS:
        current = limits[level]
        assert current.lower <= high and point <= current.upper
        if previous is not None:
            assert current.lower <= previous.lower and current.upper >= previous.upper
        previous = current


@settings(max_examples=60, deadline=None)
@given(values=amounts, extra=st.integers(min_value=0, max_value=10_000))
def test_variable_limits_bracket_and_widen(values, extra):
    result = appraise_variable(values, len(values) + extra, levels=LEVELS)
    assert_nested(result.limits, result.point)


@settings(max_examples=40, deadline=None)
@given(values=amounts)
def test_census_has_zero_sampling_error(values):
    result = appraise_variable(values, len(values))
    assert result.se_total == 0
    assert all(lim.lower == lim.upper == result.point for lim in result.limits.values())


@settings(max_examples=40, deadline=None)
@given(values=amounts, extra=st.integers(min_value=0, max_value=5000))
def test_one_stratum_equals_unrestricted(values, extra):
    size = len(values) + extra
    single = appraise_variable(values, size)
    stratified = appraise_stratified([(values, size)])
    assert stratified.point == single.point and stratified.se_total == single.se_total
    assert stratified.limits == single.limits


@settings(max_examples=40, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.floats(1, 1e4), st.floats(0, 1e4)), min_size=3, max_size=30),
    extra=st.integers(min_value=0, max_value=5000),
    method=st.sampled_from(["mpu", "difference", "ratio", "regression"]),
)
def test_projection_limits_bracket_and_census(pairs, extra, method):
    book = [b for b, _ in pairs]
    audited = [a for _, a in pairs]
    size = len(pairs) + extra
    narrow = project(book, audited, size, sum(book) * size / len(pairs), method=method, confidence=0.8)
    wide = project(book, audited, size, sum(book) * size / len(pairs), method=method, confidence=0.99)
    assert narrow.lower <= narrow.point <= narrow.upper
    assert wide.lower <= narrow.lower and wide.upper >= narrow.upper
    census = project(book, audited, len(pairs), sum(book), method=method)
    assert census.se == 0


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_attribute_limits_bracket_and_widen(data):
    N = data.draw(st.integers(min_value=2, max_value=3000))
    n = data.draw(st.integers(min_value=2, max_value=N))
    k = data.draw(st.integers(min_value=0, max_value=n))
    result = appraise_attribute(N, n, k, confidence=LEVELS)
    # Exact limits are counts of errors; a projection k*N/n between two counts need only meet one of the two
    # attainable counts around it: N=21, n=20, k=1 gives 1.05 with an 80% upper limit of 1, and N=30, n=29,
    # k=28 gives 28.97 with an 80% lower limit of 29 (28 errors in all would leave P(x >= 28) = 2/30).
    assert_nested(result.limits, math.floor(result.projected), math.ceil(result.projected))
    census = appraise_attribute(N, N, k, confidence=0.95)
    assert census.limits[0.95].lower == census.limits[0.95].upper == k
