"""Numerical equivalence with assignR's own outputs for Charadrius montanus (../shared/data)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import rasterio

from parcelaudit.origin import (
    assign,
    calibrate,
    qa,
    read_isoscape,
    read_knownorig,
    read_polygons,
    read_samples,
)
from tests.support import require_shared

REF = "origin/assignR_reference_Charadrius_montanus"


@pytest.fixture(scope="module")
def ref():
    return require_shared(REF)


@pytest.fixture(scope="module")
def known(ref):
    return read_samples(ref / "Cm_known.csv")


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_calibration_matches_calraster(ref, known):
    base = require_shared("origin/assignR")
    iso = read_isoscape(base / "d2h_lrNA.tif")
    fit = calibrate(known, iso, mask=read_polygons(base / "naMap.shp"), marker="d2H")
    assert fit.n == 546
    assert fit.intercept == pytest.approx(18.042520, abs=1e-6)
    assert fit.slope == pytest.approx(0.881903, abs=1e-6)
    assert fit.r_squared == pytest.approx(0.371337, abs=1e-6)
    assert fit.sigma == pytest.approx(3.852560, abs=1e-6)
    lm = _rows(ref / "Cm_lm_data.csv")
    assert np.allclose(fit.isoscape_values, [float(r["isoscape.iso"]) for r in lm], atol=1e-9)
    assert np.allclose(fit.weights, [float(r["tissue.iso.wt"]) for r in lm], rtol=1e-12)
    # The calibrated mean is deterministic (stored as float32); the sd has a Monte-Carlo term.
    theirs = read_isoscape(ref / "Cm_calibrated_isoscape.tif")
    assert fit.isoscape.grid.shape == theirs.grid.shape
    assert np.allclose(fit.isoscape.mean, theirs.mean, atol=1e-5, equal_nan=True)
    assert np.nanmax(np.abs(fit.isoscape.sd - theirs.sd)) < 0.1


def test_posterior_maps_match_pdraster(ref):
    iso = read_isoscape(ref / "Cm_calibrated_isoscape.tif")
    post = assign(iso, [-130.0, -110.0, -80.0])
    with rasterio.open(ref / "Cm_pd_unknowns.tif") as src:
        theirs = src.read().astype(float)
    assert np.array_equal(np.isnan(post.maps), np.isnan(theirs))
    assert np.nanmax(np.abs(post.maps - theirs)) < 1e-8
    assert np.allclose(np.nansum(post.maps, axis=(1, 2)), 1.0)


def test_qa_recal_false_matches_assignr(ref, known):
    iso = read_isoscape(ref / "Cm_calibrated_isoscape.tif")
    result = qa(known, iso, by=5, recal=False)
    curves = result.curves()
    theirs = _rows(ref / "Cm_QA_recalFALSE_curves.csv")
    assert curves["threshold"] == pytest.approx([float(r["threshold"]) for r in theirs], abs=1e-12)
    for ours, col in (("by_prob", "byProb"), ("by_area", "byArea"), ("precision", "precision")):
        assert curves[ours] == pytest.approx([float(r[col]) for r in theirs], abs=1e-12)
    pd_rows = _rows(ref / "Cm_QA_recalFALSE_pd.csv")
    assert result.sample_ids == [r["Sample_ID"] for r in pd_rows]
    pd_theirs = np.array([float(r["pd_at_origin"]) for r in pd_rows])
    assert np.max(np.abs(result.pd_val.ravel() / pd_theirs - 1)) < 1e-6
    ratio = np.array([float(r["ratio_to_random"]) for r in pd_rows])
    assert np.max(np.abs(result.ratio_to_random() / ratio - 1)) < 1e-6
    summary = result.summary()
    assert summary["random_density"] == pytest.approx(4.149e-3, rel=1e-3)
    assert summary["median_ratio_to_random"] == pytest.approx(3.505, abs=1e-3)
    assert summary["share_above_random"] == pytest.approx(0.883, abs=1e-3)


def test_regression_inputs_match_for_lanius_with_missing_neighbours():
    """Sites beside missing isoscape cells: our bilinear rule gives assignR's regression inputs."""
    lanius = require_shared("origin/assignR_inputs_Lanius_ludovicianus")
    base = require_shared("origin/assignR")
    known = read_samples(lanius / "Ll_known.csv")
    fit = calibrate(known, read_isoscape(base / "d2h_lrNA.tif"), mask=read_polygons(base / "naMap.shp"))
    lm = _rows(lanius / "Ll_lm_data.csv")
    assert fit.n == len(lm)
    assert np.allclose(fit.isoscape_values, [float(r["isoscape.iso"]) for r in lm], atol=1e-9)
    assert np.allclose(fit.sample_values, [float(r["tissue.iso"]) for r in lm], atol=1e-12)
    assert np.allclose(fit.weights, [float(r["tissue.iso.wt"]) for r in lm], rtol=1e-12)


def _coordinates(table) -> dict:
    rows = table.select(["sample_id", "lon", "lat"]).to_pylist()
    return {r["sample_id"]: (r["lon"], r["lat"]) for r in rows}


def test_knownorig_readers_agree_with_assignr_subset(known):
    base = require_shared("origin/assignR")
    from_xlsx = read_knownorig(base / "knownOrig0_2.xlsx", taxon="Charadrius montanus")
    from_folder = read_knownorig(base, taxon="Charadrius montanus")
    for table in (from_xlsx, from_folder):
        assert _coordinates(table) == _coordinates(known)
        assert set(table["site_id"].to_pylist()) == set(known["site_id"].to_pylist())
