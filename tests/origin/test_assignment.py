"""Posterior maps, multivariate assignment, regions and odds ratios."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from scipy.stats import norm

from parcelaudit.errors import ParcelAuditError
from parcelaudit.origin import Isoscape, assign, odds_ratio, region_mask
from parcelaudit.origin.raster import Grid

GRID = Grid(Affine(1.0, 0, 0.0, 0, -1.0, 2.0), (2, 5))
MEAN = np.array([[-100.0, -90, -80, -70, np.nan], [-95, -85, -75, -65, -60]])
ISO = Isoscape(MEAN, np.full((2, 5), 5.0), GRID, "d2H")


def test_single_marker_posterior_is_normalised_normal_likelihood():
    post = assign(ISO, [-80.0, -62.0], ids=["a", "b"])
    expected = norm.pdf(-80.0, MEAN, 5.0)
    assert np.allclose(post.maps[0], expected / np.nansum(expected), equal_nan=True)
    assert np.isnan(post.maps[0][0, 4])
    assert np.nansum(post.maps[1]) == pytest.approx(1.0)
    assert post.ids == ["a", "b"]


def test_prior_multiplies_before_normalising():
    prior = np.ones((2, 5))
    prior[1] = 0.0
    post = assign(ISO, [-80.0], prior=prior)
    assert np.nansum(post.maps[0][0]) == pytest.approx(1.0) and np.all(post.maps[0][1] == 0)


def test_multivariate_uses_cross_cell_correlation():
    rng = np.random.default_rng(1)
    other = Isoscape(rng.normal(0, 3, (2, 5)), np.full((2, 5), 1.0), GRID, "d18O")
    post = assign([ISO, other], np.array([[-80.0, 0.5]]))
    means = np.stack([MEAN.ravel(), other.mean.ravel()], axis=1)
    ok = ~np.isnan(means).any(axis=1)
    r = np.corrcoef(means[ok, 0], means[ok, 1])[0, 1]
    cell = 2  # by hand for one cell
    cov = np.array([[25.0, r * 5.0], [r * 5.0, 1.0]])
    diff = np.array([-80.0, 0.5]) - means[cell]
    dens = np.exp(-0.5 * diff @ np.linalg.solve(cov, diff)) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
    all_dens = []
    for c in np.flatnonzero(ok):
        d = np.array([-80.0, 0.5]) - means[c]
        all_dens.append(
            np.exp(-0.5 * d @ np.linalg.solve(cov, d)) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
        )
    assert post.maps[0].ravel()[cell] == pytest.approx(dens / sum(all_dens), rel=1e-10)


def test_region_mask_rules():
    prob = np.array([[0.4, 0.3, 0.2, 0.1, np.nan]])
    assert np.nansum(region_mask(prob, 0.0)) == 0
    assert np.nansum(region_mask(prob, 1.0)) == 4
    top_area = region_mask(prob, 0.5, kind="area")
    assert top_area[0, :4].tolist() == [1, 1, 0, 0] and np.isnan(top_area[0, 4])
    with pytest.raises(ParcelAuditError):
        region_mask(prob, 1.5)


def test_odds_ratio_region_vs_rest_and_two_regions():
    prob = np.array([[0.5, 0.3, 0.2]])
    region = np.array([[True, False, False]])
    rest = odds_ratio(prob, region)
    assert rest.odds_ratio == pytest.approx(1.0)
    assert rest.odds_vs_uniform == pytest.approx(2.0)  # uniform odds 1:2
    pair = odds_ratio(prob, region, np.array([[False, True, False]]))
    assert pair.odds_ratio == pytest.approx((0.5 / 0.5) / (0.3 / 0.7))


def test_values_checked():
    with pytest.raises(ParcelAuditError):
        assign(ISO, [np.nan])
    with pytest.raises(ParcelAuditError):
        assign(ISO, [-80.0], prior=np.ones((3, 3)))
