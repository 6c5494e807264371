"""Held-out QA: no validation site is ever part of the calibration that scores it."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from parcelaudit.origin import qa, read_isoscape, read_samples
from parcelaudit.origin.qa import samples_at_sites


def _check_disjoint(result, known):
    site_of = dict(zip(known["sample_id"].to_pylist(), known["site_id"].to_pylist(), strict=True))
    assert result.validation, "no iterations ran"
    for held, cal_samples, cal_sites in zip(
        result.validation, result.calibration_samples, result.calibration_sites, strict=True
    ):
        assert not set(held) & set(cal_sites)
        assert not set(held) & {site_of[s] for s in cal_samples}
        # Every sample of the other sites is used: nothing else is dropped.
        assert len(cal_samples) == known.num_rows - samples_at_sites(known, held).num_rows


def test_recal_qa_never_calibrates_on_validation_site(simulated_files):
    known = read_samples(simulated_files["reference"])
    iso = read_isoscape(simulated_files["isoscape"])
    result = qa(known, iso, by=10, recal=True, marker="d2H", val_sites=4)
    _check_disjoint(result, known)
    # Without an explicit iteration count every site is validated exactly once.
    held = [s for group in result.validation for s in group]
    assert sorted(held) == sorted(set(known["site_id"].to_pylist()))  # 80 sites, 20 groups of 4
    assert np.all((result.by_area >= 0) & (result.by_area <= 1))


def test_recal_qa_random_draws_also_disjoint(simulated_files):
    known = read_samples(simulated_files["reference"])
    known = known.filter(pc.is_in(known["country"], value_set=known["country"].unique()[:2]))
    iso = read_isoscape(simulated_files["isoscape"])
    result = qa(known, iso, by=25, recal=True, marker="d2H", val_sites=2, iterations=6, seed=7)
    assert len(result.validation) == 6
    _check_disjoint(result, known)
