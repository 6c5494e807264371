"""Claim verification: is a lab fingerprint consistent with the claimed group, and how do the others compare?

Each reference group (e.g. cotton from US, AU, IN, CN/Xinjiang) is modelled as a multivariate
normal over the markers the sample and the reference share. Element concentrations are compared on a
log10 scale (they are skewed and multiplicative); isotope deltas and 87Sr/86Sr as measured.
- Typicality: Hotelling's T² prediction test for one new observation from a group of n samples
  with estimated mean and covariance (p markers): F = n(n-p) / (p(n+1)(n-1)) · T² ~ F(p, n-p).
  The claim is "consistent" when its p-value is at least 1 - confidence (the sample lies inside the
  group's `confidence` prediction region); otherwise "not consistent".
- Comparison: normal likelihoods under every group (covariances shrunk 10% towards their diagonal
  for stability), posterior probabilities with equal priors unless given, and the likelihood ratio
  of the claimed group against the best alternative.
A consistent result means only that the sample cannot be told apart from the claimed group with these
markers: it does not prove the claimed origin, and it never proves the absence of forced labor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from scipy.stats import f as f_dist

from parcelaudit.errors import InputError
from parcelaudit.origin.samples import ELEMENTS, marker_columns

SHRINKAGE = 0.10  # share of each covariance moved to its diagonal before computing likelihoods
NOT_PROOF = (
    "A result consistent with the claimed origin does not prove that origin, and it does not prove "
    "the absence of forced labor: UFLPA requires supply-chain tracing records, and CBP states that "
    "isotope or DNA testing alone is not sufficient."
)


def transform(marker: str, values: np.ndarray) -> np.ndarray:
    """The scale a marker is compared on: log10 for element concentrations, as measured otherwise."""
    values = np.asarray(values, dtype=float)
    if marker in ELEMENTS:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log10(values), np.nan)
    return values


@dataclass(frozen=True)
class ReferenceModel:
    """Reference groups' transformed marker data, ready to be summarised on any subset of markers."""

    group_by: str
    markers: list[str]
    data: dict[str, np.ndarray]  # group -> (n, len(markers)), NaN where not measured

    @classmethod
    def fit(
        cls, reference: pa.Table, group_by: str = "country", markers: Sequence[str] | None = None
    ) -> ReferenceModel:
        """Collect each group's samples; `markers` defaults to every marker in the reference."""
        if group_by not in reference.column_names:
            raise InputError(
                f"reference has no {group_by!r} column", field=group_by, hint="name the group column"
            )
        markers = list(markers) if markers else marker_columns(reference)
        labels = np.array([str(v) for v in reference[group_by].to_pylist()])
        matrix = np.column_stack(
            [transform(m, reference[m].to_numpy(zero_copy_only=False).astype(float)) for m in markers]
        )
        groups = sorted(set(labels.tolist()) - {"None"})
        return cls(group_by, markers, {g: matrix[labels == g] for g in groups})

    @property
    def groups(self) -> list[str]:
        """Group labels, sorted."""
        return sorted(self.data)

    def summary(self, group: str, columns: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
        """Mean, covariance and sample count of a group on the given marker columns (complete rows)."""
        rows = self.data[group][:, columns]
        rows = rows[~np.isnan(rows).any(axis=1)]
        if len(rows) < len(columns) + 2:
            return np.full(len(columns), np.nan), np.full((len(columns),) * 2, np.nan), len(rows)
        return rows.mean(axis=0), np.atleast_2d(np.cov(rows, rowvar=False)), len(rows)


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one sample against its claimed group, with the evidence behind it."""

    sample_id: str
    claimed: str
    consistent: bool
    confidence: float
    p_value: float
    t_squared: float
    n_reference: int
    markers: list[str]
    posterior: dict[str, float]
    likelihood_ratio: float
    best_alternative: str | None
    also_consistent_with: list[str] = field(default_factory=list)
    p_values: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """'consistent' or 'not consistent'."""
        return "consistent" if self.consistent else "not consistent"

    def explanation(self) -> str:
        """A sentence a reviewer can read: verdict, test, comparison with the alternatives."""
        level = f"{self.confidence:.0%}"
        text = (
            f"Sample {self.sample_id} is {self.label} with {self.claimed} at {level} confidence "
            f"(typicality p = {self.p_value:.3g}, T² = {self.t_squared:.2f}, {len(self.markers)} markers, "
            f"{self.n_reference} reference samples)."
        )
        if self.best_alternative is not None:
            text += (
                f" Posterior P({self.claimed}) = {self.posterior.get(self.claimed, float('nan')):.3f}; "
                "likelihood "
                f"ratio against {self.best_alternative} = {self.likelihood_ratio:.3g}."
            )
        if self.consistent and self.also_consistent_with:
            text += f" Also consistent with: {', '.join(self.also_consistent_with)}."
        return text


def _gaussian_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    cov = (1 - SHRINKAGE) * cov + SHRINKAGE * np.diag(np.diag(cov))
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        return -np.inf
    diff = x - mean
    return float(-0.5 * (diff @ np.linalg.solve(cov, diff) + logdet + len(x) * np.log(2 * np.pi)))


def typicality(x: np.ndarray, mean: np.ndarray, cov: np.ndarray, n: int) -> tuple[float, float]:
    """(T², p-value) of Hotelling's prediction test for one new observation."""
    p = len(x)
    diff = x - mean
    try:
        t2 = float(diff @ np.linalg.solve(cov, diff))
    except np.linalg.LinAlgError:
        t2 = float(diff @ np.linalg.pinv(cov) @ diff)
    stat = n * (n - p) / (p * (n + 1) * (n - 1)) * t2
    return t2, float(f_dist.sf(stat, p, n - p))


def _sample_vector(sample: Mapping[str, object], markers: list[str]) -> tuple[np.ndarray, list[int]]:
    values, columns = [], []
    for i, marker in enumerate(markers):
        raw = sample.get(marker)
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            continue
        value = float(transform(marker, np.array([float(raw)]))[0])
        if not np.isnan(value):
            values.append(value)
            columns.append(i)
    return np.array(values), columns


def verify(
    sample: Mapping[str, object],
    reference: pa.Table | ReferenceModel,
    claimed: str,
    confidence: float = 0.99,
    group_by: str = "country",
    priors: Mapping[str, float] | None = None,
) -> Verdict:
    """Check one sample (a mapping marker -> value, with optional sample_id) against the claimed group."""
    return verify_claims(sample, reference, [claimed], confidence, group_by, priors)[0]


def verify_claims(
    sample: Mapping[str, object],
    reference: pa.Table | ReferenceModel,
    claims: Sequence[str],
    confidence: float = 0.99,
    group_by: str = "country",
    priors: Mapping[str, float] | None = None,
) -> list[Verdict]:
    """`verify` of one sample against each of several claims, scoring every group only once."""
    if not 0 < confidence < 1:
        raise InputError("confidence must be between 0 and 1", field="confidence")
    model = reference if isinstance(reference, ReferenceModel) else ReferenceModel.fit(reference, group_by)
    for claimed in claims:
        if claimed not in model.data:
            raise InputError(
                f"claimed group {claimed!r} has no reference samples",
                field="claimed",
                hint=f"choose one of {', '.join(model.groups)}",
            )
    x, columns = _sample_vector(sample, model.markers)
    if not columns:
        raise InputError(
            "the sample shares no marker with the reference",
            field="markers",
            hint=f"reference markers: {', '.join(model.markers)}",
        )
    used = [model.markers[c] for c in columns]
    loglik, p_values, n_ref, t2_ref = {}, {}, {}, {}
    for group in model.groups:
        mean, cov, n = model.summary(group, columns)
        if np.isnan(mean).any():
            continue
        t2_ref[group], p_values[group] = typicality(x, mean, cov, n)
        loglik[group] = _gaussian_logpdf(x, mean, cov)
        n_ref[group] = n
    posterior: dict[str, float] = {}
    if loglik:
        logs = np.array([loglik[g] + np.log((priors or {}).get(g, 1.0)) for g in loglik])
        post = np.exp(logs - logs.max())
        post /= post.sum()
        posterior = dict(zip(loglik, post.tolist(), strict=True))
    alpha = 1 - confidence
    verdicts = []
    for claimed in claims:
        if claimed not in p_values:
            raise InputError(
                f"too few complete reference samples for {claimed!r} on markers {', '.join(used)}",
                hint="add reference samples or measure fewer markers",
            )
        others = {g: v for g, v in loglik.items() if g != claimed}
        best = max(others, key=others.get) if others else None
        ratio = float(np.exp(loglik[claimed] - others[best])) if best else float("inf")
        verdicts.append(
            Verdict(
                sample_id=str(sample.get("sample_id", "sample")),
                claimed=claimed,
                consistent=p_values[claimed] >= alpha,
                confidence=confidence,
                p_value=p_values[claimed],
                t_squared=t2_ref[claimed],
                n_reference=n_ref[claimed],
                markers=used,
                posterior=dict(posterior),
                likelihood_ratio=ratio,
                best_alternative=best,
                also_consistent_with=[g for g, p in p_values.items() if g != claimed and p >= alpha],
                p_values=dict(p_values),
            )
        )
    return verdicts


def verify_table(
    results: pa.Table,
    reference: pa.Table,
    claimed: str | None = None,
    confidence: float = 0.99,
    group_by: str = "country",
) -> list[Verdict]:
    """Verify every row of a lab-results table; the claim is `claimed` or the row's `claimed` column."""
    model = ReferenceModel.fit(reference, group_by)
    verdicts = []
    for row_no, row in enumerate(results.to_pylist(), start=2):
        claim = claimed or row.get("claimed")
        if not claim:
            raise InputError(
                "no claimed origin", row=row_no, field="claimed", hint="pass --claimed or fill the column"
            )
        verdicts.append(verify(row, model, str(claim), confidence))
    return verdicts
