"""Claim verification, grouped cross-validation and the simulated reference set."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import t as t_dist

from parcelaudit.errors import ParcelAuditError
from parcelaudit.origin import read_samples
from parcelaudit.origin.crossval import _folds, cross_validate
from parcelaudit.origin.simulated import simulate_reference
from parcelaudit.origin.verify import NOT_PROOF, ReferenceModel, typicality, verify, verify_table


@pytest.fixture(scope="module")
def reference(simulated_files):
    return read_samples(simulated_files["reference"])


def test_simulated_set_is_reproducible_and_labelled():
    a, b = simulate_reference(seed=5), simulate_reference(seed=5)
    assert a.equals(b)
    assert not a.equals(simulate_reference(seed=6))
    assert all("simulated" in m for m in a["material"].to_pylist())
    assert sorted(set(a["country"].to_pylist())) == ["AU", "CN", "IN", "US"]


def test_typicality_reduces_to_t_prediction_interval_in_one_dimension():
    rng = np.random.default_rng(3)
    data = rng.normal(10, 2, 25)
    mean, var, n = data.mean(), data.var(ddof=1), len(data)
    x = 14.0
    _, p = typicality(np.array([x]), np.array([mean]), np.array([[var]]), n)
    t = (x - mean) / np.sqrt(var * (1 + 1 / n))
    assert p == pytest.approx(2 * t_dist.sf(abs(t), n - 1), rel=1e-10)


def test_genuine_and_false_claims(simulated_files, reference):
    verdicts = {v.sample_id: v for v in verify_table(read_samples(simulated_files["results"]), reference)}
    assert verdicts["LAB-001"].consistent and verdicts["LAB-001"].claimed == "US"
    assert verdicts["LAB-001"].posterior["US"] > 0.5
    false_claim = verdicts["LAB-002"]  # a Xinjiang sample declared as US cotton
    assert not false_claim.consistent and false_claim.best_alternative == "CN"
    assert false_claim.likelihood_ratio < 1
    assert "not consistent" in false_claim.explanation()
    assert "forced labor" in NOT_PROOF


def test_partial_markers_and_errors(reference):
    sample = {"sample_id": "x", "d13C": -25.9, "sr87_86": 0.7094}
    verdict = verify(sample, reference, "US")
    assert verdict.markers == ["d13C", "sr87_86"]
    with pytest.raises(ParcelAuditError, match="no reference samples"):
        verify(sample, reference, "BR")
    with pytest.raises(ParcelAuditError, match="shares no marker"):
        verify({"sample_id": "y", "Zn": 3.0}, reference, "US")
    with pytest.raises(ParcelAuditError, match="no claimed origin"):
        verify_table(pa.table({"sample_id": ["a"], "d13C": [-25.0]}), reference)


def test_grouped_folds_never_split_a_site(reference):
    sites = np.array(reference["site_id"].to_pylist())
    for test in _folds(sites, 5, seed=0):
        assert not set(sites[test]) & set(sites[~test])


def test_grouped_cross_validation_is_not_better_than_random_split(reference):
    grouped = cross_validate(reference, folds=4, grouped=True)
    random = cross_validate(reference, folds=4, grouped=False)
    assert grouped.n_samples == reference.num_rows
    assert 0 <= grouped.far_at_target_lr <= 1 and 0.5 < grouped.balanced_accuracy_assignment <= 1
    # Random splits leak site effects into training: they look at least as good.
    assert random.balanced_accuracy_assignment >= grouped.balanced_accuracy_assignment
    assert random.frr <= grouped.frr


def test_reference_model_groups(reference):
    model = ReferenceModel.fit(reference)
    assert model.groups == ["AU", "CN", "IN", "US"]
    _, cov, n = model.summary("US", [0, 1])
    assert n == 120 and cov.shape == (2, 2)
