"""Cross-validated accuracy of claim verification, grouped by site (random splits inflate it).

Samples from one site share soil, water and farming, so a sample-level split lets the model see the
test site's own neighbours. We hold out whole sites (k folds), fit the reference groups on the rest,
and for every held-out sample make one genuine claim (its true group) and one false claim per other
group. Reported: false-reject and false-accept rates at the nominal confidence, the false-accept rate
when the acceptance threshold is set to give a fixed false-reject rate (for the typicality p-value
and for the likelihood ratio), balanced accuracy of the decision, and balanced accuracy of
assigning each sample to its most probable group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from parcelaudit.errors import InputError
from parcelaudit.origin.samples import site_column
from parcelaudit.origin.verify import ReferenceModel, verify_claims


@dataclass(frozen=True)
class CVResult:
    """Cross-validation outcome: decision rates, threshold-tuned FAR, accuracy, per-group detail."""

    grouped: bool
    folds: int
    n_samples: int
    confidence: float
    frr: float
    far: float
    target_frr: float
    far_at_target_typicality: float
    far_at_target_lr: float
    balanced_accuracy_decision: float
    balanced_accuracy_assignment: float
    far_by_claimed: dict[str, float]
    recall_by_group: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return dict(self.__dict__)


def _folds(units: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    unique = np.array(sorted(set(units.tolist())))
    if len(unique) < k:
        raise InputError(f"only {len(unique)} sites for {k} folds", hint="use fewer folds")
    order = np.random.default_rng(seed).permutation(len(unique))
    return [np.isin(units, unique[order[i::k]]) for i in range(k)]


def cross_validate(
    reference: pa.Table,
    group_by: str = "country",
    folds: int = 5,
    seed: int = 0,
    confidence: float = 0.99,
    target_frr: float = 0.01,
    grouped: bool = True,
) -> CVResult:
    """k-fold cross-validation of `verify`, by site when grouped=True, by sample otherwise."""
    model = ReferenceModel.fit(reference, group_by)
    units_col = site_column(reference) if grouped else "sample_id"
    units = np.array([str(v) for v in reference[units_col].to_pylist()])
    labels = np.array([str(v) for v in reference[group_by].to_pylist()])
    rows = reference.to_pylist()
    genuine_p, genuine_lr, impostor_p, impostor_lr, impostor_claim = [], [], [], [], []
    true_labels, predicted = [], []
    for test in _folds(units, folds, seed):
        train = ReferenceModel.fit(reference.filter(pa.array(~test)), group_by, model.markers)
        for i in np.flatnonzero(test):
            truth = labels[i]
            if truth not in train.data:
                continue
            for verdict in verify_claims(rows[i], train, train.groups, confidence):
                claim = verdict.claimed
                lr = np.log(max(verdict.likelihood_ratio, 1e-300))
                if claim == truth:
                    genuine_p.append(verdict.p_value)
                    genuine_lr.append(lr)
                    true_labels.append(truth)
                    predicted.append(max(verdict.posterior, key=verdict.posterior.get))
                else:
                    impostor_p.append(verdict.p_value)
                    impostor_lr.append(lr)
                    impostor_claim.append(claim)
    gp, gl, ip, il = map(np.asarray, (genuine_p, genuine_lr, impostor_p, impostor_lr))
    alpha = 1 - confidence
    frr, far = float(np.mean(gp < alpha)), float(np.mean(ip >= alpha))
    # Accept when score >= tau, with tau the target_frr quantile of genuine scores.
    tau_p, tau_lr = np.quantile(gp, target_frr), np.quantile(gl, target_frr)
    claims = np.asarray(impostor_claim)
    truths, preds = np.asarray(true_labels), np.asarray(predicted)
    recall = {g: float(np.mean(preds[truths == g] == g)) for g in sorted(set(truths.tolist()))}
    return CVResult(
        grouped=grouped,
        folds=folds,
        n_samples=len(gp),
        confidence=confidence,
        frr=frr,
        far=far,
        target_frr=target_frr,
        far_at_target_typicality=float(np.mean(ip >= tau_p)),
        far_at_target_lr=float(np.mean(il >= tau_lr)),
        balanced_accuracy_decision=1 - (frr + far) / 2,
        balanced_accuracy_assignment=float(np.mean(list(recall.values()))),
        far_by_claimed={g: float(np.mean(ip[claims == g] >= alpha)) for g in sorted(set(claims.tolist()))},
        recall_by_group=recall,
    )
