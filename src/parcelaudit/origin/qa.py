"""Quality assessment of assignments with held-out known-origin samples (assignR's `QA`, split done right).

Two modes:
- recal=False (assignR-compatible): every sample in turn is assigned against the isoscape as
  given (already calibrated), without refitting. Curves and probabilities at origin equal
  assignR's `QA(recal = FALSE)`.
- recal=True (ours): validation sites are held out, the calibration is refitted on the samples of
  the other sites only, and the held-out samples are assigned with that fit. assignR (v2.x) drops
  the validation sites with `known[-(known$Site_ID %in% val),]`: negating a logical vector gives 0/-1,
  so at most the first row is removed and the validation samples stay in the calibration. We
  select by site id, record every calibration set, and a test checks they never share a site.
Metrics per threshold: share of validation samples whose true cell is inside the top-probability
region (by_prob) and the top-area region (by_area); precision = share of the map in the
top-probability region; posterior density at the true cell relative to a uniform map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import InputError
from parcelaudit.origin.assignment import assign, region_cut
from parcelaudit.origin.calibration import DEFAULT_SEED, _known_arrays, calibrate, pick_marker
from parcelaudit.origin.raster import Isoscape, to_grid_crs
from parcelaudit.origin.samples import site_column
from parcelaudit.origin.shapes import Geometry


@dataclass
class QAResult:
    """Per-iteration QA metrics plus the exact validation and calibration sets used."""

    thresholds: np.ndarray
    by_prob: np.ndarray
    by_area: np.ndarray
    precision: np.ndarray
    pd_val: np.ndarray
    random_density: float
    validation: list[list[str]]
    calibration_samples: list[list[str]] = field(default_factory=list)
    calibration_sites: list[list[str]] = field(default_factory=list)
    recal: bool = False
    by_site: bool = False
    sample_ids: list[str] = field(default_factory=list)

    def curves(self) -> dict[str, list[float]]:
        """Mean over iterations of by_prob, by_area and precision at each threshold."""
        return {
            "threshold": self.thresholds.tolist(),
            "by_prob": np.nanmean(self.by_prob, axis=0).tolist(),
            "by_area": np.nanmean(self.by_area, axis=0).tolist(),
            "precision": np.nanmean(self.precision, axis=0).tolist(),
        }

    def ratio_to_random(self) -> np.ndarray:
        """Posterior density at the true origin divided by the uniform density, flattened."""
        return self.pd_val.ravel() / self.random_density

    def summary(self) -> dict[str, float]:
        """Headline numbers: median ratio to random, share above random, by_area at 0.10/0.25/0.50."""
        ratio = self.ratio_to_random()
        curves = self.curves()
        out = {
            "random_density": self.random_density,
            "median_ratio_to_random": float(np.nanmedian(ratio)),
            "share_above_random": float(np.nanmean(ratio > 1)),
            "iterations": len(self.validation),
        }
        for t in (0.10, 0.25, 0.50):
            hit = np.flatnonzero(np.isclose(self.thresholds, t))
            if hit.size:
                out[f"by_area_{t:.2f}"] = curves["by_area"][hit[0]]
                out[f"by_prob_{t:.2f}"] = curves["by_prob"][hit[0]]
        return out


def thresholds_for(by: int) -> np.ndarray:
    """Thresholds 0, by/100, ... and always 1 (assignR's `seq(1, 101, by)` grid)."""
    if int(by) != by or not 1 <= by <= 25:
        raise InputError("by must be an integer between 1 and 25", field="by")
    steps = list(range(1, 102, int(by)))
    if steps[-1] != 101:
        steps.append(101)
    return (np.array(steps) - 1) / 100


def _score_sample(prob_map: np.ndarray, row: int, col: int, thresholds: np.ndarray) -> tuple:
    """(pd at origin, in-region by prob per threshold, by area, precision) for one map."""
    values = prob_map[~np.isnan(prob_map)]
    inside = 0 <= row < prob_map.shape[0] and 0 <= col < prob_map.shape[1]
    at = prob_map[row, col] if inside else np.nan
    ordered = np.sort(values)
    by_prob, by_area, precision = (np.empty(len(thresholds)) for _ in range(3))
    for j, t in enumerate(thresholds):
        cut_p = region_cut(values, t, "prob", ordered)
        cut_a = region_cut(values, t, "area")
        by_prob[j] = float(at > cut_p) if not np.isnan(at) else np.nan
        by_area[j] = float(at > cut_a) if not np.isnan(at) else np.nan
        precision[j] = np.count_nonzero(values > cut_p) / len(values)
    return at, by_prob, by_area, precision


def _evaluate(iso: Isoscape, known: pa.Table, marker: str, thresholds: np.ndarray, prior) -> tuple:
    values = known[marker].to_numpy(zero_copy_only=False).astype(float)
    post = assign(iso, values, prior=prior)
    x, y = to_grid_crs(iso.grid, known["lon"].to_numpy(), known["lat"].to_numpy())
    rows, cols, _ = iso.grid.cell_index(x, y)
    scored = [_score_sample(post.maps[i], rows[i], cols[i], thresholds) for i in range(len(values))]
    return tuple(np.array(part) for part in zip(*scored, strict=True))


def qa(
    known: pa.Table,
    isoscape: Isoscape,
    by: int = 5,
    recal: bool = False,
    mask: list[Geometry] | None = None,
    marker: str | None = None,
    val_sites: int = 1,
    iterations: int | None = None,
    seed: int = DEFAULT_SEED,
    prior: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> QAResult:
    """Held-out validation of isoscape assignment; see the module docstring for the two modes."""
    marker = pick_marker(known, marker)
    known, _, _ = _known_arrays(known, marker)
    thresholds = thresholds_for(by)
    ids = [str(v) for v in known["sample_id"].to_pylist()]
    if not recal:
        pd_v, by_p, by_a, prec = _evaluate(isoscape, known, marker, thresholds, prior)
        if progress:
            progress(len(ids), len(ids))
        return QAResult(
            thresholds,
            by_p,
            by_a,
            prec,
            pd_v.reshape(-1, 1),
            1.0 / np.count_nonzero(~np.isnan(isoscape.mean)),
            [[i] for i in ids],
            recal=False,
            sample_ids=ids,
        )
    sites = np.array([str(v) for v in known[site_column(known)].to_pylist()])
    groups = _validation_groups(sorted(set(sites.tolist())), val_sites, iterations, seed)
    shape = (len(groups), len(thresholds))
    result = QAResult(
        thresholds,
        by_prob=np.zeros(shape),
        by_area=np.zeros(shape),
        precision=np.zeros(shape),
        pd_val=np.zeros((len(groups), val_sites)),
        random_density=np.nan,
        validation=[],
        recal=True,
        by_site=True,
        sample_ids=ids,
    )
    for it, group in enumerate(groups):
        held = np.isin(sites, group)
        fit = calibrate(known.filter(pa.array(~held)), isoscape, mask=mask, marker=marker, seed=seed + it)
        pd_v, by_p, by_a, prec = _evaluate(
            fit.isoscape, known.filter(pa.array(held)), marker, thresholds, prior
        )
        held_sites = sites[held]
        # Each site counts once: average its samples, then average the sites (assignR's bySite rule).
        per_site = [held_sites == s for s in group]
        result.by_prob[it] = np.nanmean([np.nanmean(by_p[m], axis=0) for m in per_site], axis=0)
        result.by_area[it] = np.nanmean([np.nanmean(by_a[m], axis=0) for m in per_site], axis=0)
        result.precision[it] = np.nanmean([np.nanmean(prec[m], axis=0) for m in per_site], axis=0)
        result.pd_val[it] = [np.nanmean(pd_v[m]) for m in per_site]
        result.random_density = 1.0 / np.count_nonzero(~np.isnan(fit.isoscape.mean))
        result.validation.append(list(group))
        result.calibration_samples.append(fit.sample_ids)
        result.calibration_sites.append(sorted(set(fit.site_ids)))
        if progress:
            progress(it + 1, len(groups))
    return result


def _validation_groups(sites: list[str], size: int, iterations: int | None, seed: int) -> list[list[str]]:
    """Every site once in shuffled groups of `size` (iterations=None), or `iterations` random draws."""
    if size < 1 or size > len(sites) - 3:
        raise InputError(
            f"val_sites must be between 1 and {len(sites) - 3} (3 fewer than the {len(sites)} sites)",
            field="val_sites",
        )
    rng = np.random.default_rng(seed)
    if iterations is None:
        order = [sites[i] for i in rng.permutation(len(sites))]
        return [sorted(order[i : i + size]) for i in range(0, len(order) - size + 1, size)]
    return [sorted(rng.choice(sites, size=size, replace=False).tolist()) for _ in range(iterations)]


def samples_at_sites(known: pa.Table, sites: list[str]) -> pa.Table:
    """The rows of `known` whose site is in `sites` (helper for inspection and tests)."""
    column = known[site_column(known)]
    return known.filter(pc.is_in(pc.cast(column, pa.string()), value_set=pa.array(sites, pa.string())))
