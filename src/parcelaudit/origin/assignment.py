"""Assign samples to map cells: normal likelihood per cell, optional prior, posterior normalised to 1.

As assignR's `pdRaster`: one marker uses dnorm(value, mean, sd) per cell; several markers use a
multivariate normal whose per-cell covariance is the correlation of the isoscape means across
cells scaled by each cell's sd (assignR `pdRaster.isoStack`). Cells missing any layer are NaN.
Regions follow `qtlRaster` and odds ratios follow `oddsRatio` (polygon form).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from parcelaudit.errors import InputError
from parcelaudit.origin.calibration import Calibration
from parcelaudit.origin.raster import Grid, Isoscape, extract_cells, to_grid_crs

CHUNK = 16  # samples per vectorised likelihood block


@dataclass(frozen=True)
class Posterior:
    """Posterior probability maps, one per sample: maps[i] sums to 1 over defined cells."""

    ids: list[str]
    maps: np.ndarray
    grid: Grid
    markers: list[str]

    def at(self, lon: Sequence[float], lat: Sequence[float]) -> np.ndarray:
        """Each sample's posterior in the cell holding its own (lon, lat) point."""
        x, y = to_grid_crs(self.grid, np.asarray(lon), np.asarray(lat))
        return np.array(
            [extract_cells(m, self.grid, x[i : i + 1], y[i : i + 1])[0] for i, m in enumerate(self.maps)]
        )


def _isoscapes(calibration: Calibration | Isoscape | Sequence[Calibration | Isoscape]) -> list[Isoscape]:
    items = calibration if isinstance(calibration, Sequence) else [calibration]
    out = [c.isoscape if isinstance(c, Calibration) else c for c in items]
    if not out:
        raise InputError("no isoscape given", hint="pass a Calibration or an Isoscape")
    first = out[0].grid
    for iso in out[1:]:
        if iso.grid.shape != first.shape or not iso.grid.transform.almost_equals(first.transform):
            raise InputError(
                f"isoscape {iso.marker!r} is on a different grid", hint="resample to one grid first"
            )
    return out


def _values_matrix(values: object, n_markers: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1) if n_markers == 1 else arr.reshape(1, -1)
    if arr.shape[1] != n_markers:
        raise InputError(f"values have {arr.shape[1]} marker(s), isoscapes {n_markers}")
    if np.isnan(arr).any():
        raise InputError("missing values in the samples to assign", hint="give every marker for every sample")
    return arr


def _multivariate_covariances(means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """Per-cell covariance: correlation of the isoscape means across cells times the cell's sds."""
    k = means.shape[1]
    corr = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~np.isnan(means[:, i]) & ~np.isnan(means[:, j])
            corr[i, j] = corr[j, i] = np.corrcoef(means[ok, i], means[ok, j])[0, 1]
    return corr[None, :, :] * sds[:, :, None] * sds[:, None, :]


def assign(
    calibration: Calibration | Isoscape | Sequence[Calibration | Isoscape],
    values: object,
    prior: np.ndarray | None = None,
    ids: Sequence[str] | None = None,
) -> Posterior:
    """Posterior probability of origin per cell for each sample (rows of `values`, a column per isoscape)."""
    isos = _isoscapes(calibration)
    grid = isos[0].grid
    data = _values_matrix(values, len(isos))
    if prior is not None and np.shape(prior) != grid.shape:
        raise InputError(f"prior shape {np.shape(prior)} differs from the isoscape {grid.shape}")
    means = np.stack([i.mean.ravel() for i in isos], axis=1)
    sds = np.stack([i.sd.ravel() for i in isos], axis=1)
    maps = np.full((len(data), means.shape[0]), np.nan)
    if len(isos) == 1:
        # Chunks bound the temporaries scipy allocates to a few CHUNK x cells arrays.
        for start in range(0, len(data), CHUNK):
            block = data[start : start + CHUNK, :1]
            maps[start : start + CHUNK] = norm.pdf(block, loc=means[:, 0][None, :], scale=sds[:, 0][None, :])
    else:
        cells = ~np.isnan(means).any(axis=1) & ~np.isnan(sds).any(axis=1)
        cov = _multivariate_covariances(means, sds)[cells]
        inverse = np.linalg.inv(cov)
        _, logdet = np.linalg.slogdet(cov)
        k = len(isos)
        for row, value in enumerate(data):
            diff = value[None, :] - means[cells]
            quad = np.einsum("ci,cij,cj->c", diff, inverse, diff)
            maps[row, cells] = np.exp(-0.5 * (quad + logdet + k * np.log(2 * np.pi)))
    if prior is not None:
        maps = maps * np.asarray(prior, dtype=float).ravel()[None, :]
    totals = np.nansum(maps, axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise InputError(
            "a sample has zero likelihood in every cell", hint="check its units and reference scale"
        )
    maps = maps / totals
    names = [str(i) for i in ids] if ids is not None else [str(i + 1) for i in range(len(data))]
    return Posterior(names, maps.reshape(len(data), *grid.shape), grid, [i.marker for i in isos])


def region_mask(prob_map: np.ndarray, threshold: float, kind: str = "prob") -> np.ndarray:
    """1.0 for cells in the top region, 0.0 outside, NaN where undefined (assignR `qtlRaster`).

    kind="area": cells above the (1 - threshold) quantile of cell values (R's type-7 quantile).
    kind="prob": cells above a cut found by assignR's bisection on the sorted values for the point
    where the upper tail sums to `threshold`; reproduced as written so QA curves match exactly.
    """
    if not 0 <= threshold <= 1:
        raise InputError("threshold must be between 0 and 1", field="threshold")
    if kind not in ("prob", "area"):
        raise InputError("kind must be 'prob' or 'area'", field="kind")
    cut = region_cut(prob_map[~np.isnan(prob_map)], threshold, kind)
    out = (prob_map > cut).astype(float)
    out[np.isnan(prob_map)] = np.nan
    return out


def region_cut(values: np.ndarray, threshold: float, kind: str, ordered: np.ndarray | None = None) -> float:
    """The cell value that cells must exceed to be in `region_mask`'s top region (values: defined cells).

    `ordered` may pass np.sort(values) already computed, for callers cutting one map many times.
    """
    if threshold == 0:
        return 1.0
    if threshold == 1:
        return 0.0
    if kind == "area":
        return float(np.quantile(values, 1 - threshold))
    return _bisection_cut(np.sort(values) if ordered is None else ordered, threshold)


def _bisection_cut(ordered: np.ndarray, threshold: float) -> float:
    # 1-based positions as in the R original; R's round() is half-to-even, like Python's.
    k = len(ordered)
    left, right, start = 1, k, 1
    while right - left > 2:
        start = round((left + right) / 2)
        total = float(ordered[start - 1 :].sum())
        if total > threshold:
            left = start
        elif total < threshold:
            right = start
        else:
            break  # the original would loop forever on an exact tie
    return float(ordered[start - 1])


@dataclass(frozen=True)
class OddsRatio:
    """Posterior odds of a region against an alternative region (the rest of the map by default)."""

    p_region: float
    p_other: float
    odds_ratio: float
    region_cells: int
    other_cells: int
    odds_vs_uniform: float

    def explanation(self) -> str:
        """One sentence for reports."""
        return (
            f"P(region) = {self.p_region:.3f} over {self.region_cells} cells, P(other) = {self.p_other:.3f} "
            f"over {self.other_cells} cells; odds {self.odds_ratio:.3g}, which is "
            f"{self.odds_vs_uniform:.3g} times what a uniform map would give"
        )


def odds_ratio(prob_map: np.ndarray, region: np.ndarray, other: np.ndarray | None = None) -> OddsRatio:
    """Odds of a region: against the rest of the map p/(1-p); against a second region assignR's
    polygon `oddsRatio` formula (p1/(1-p1)) / (p2/(1-p2))."""
    defined = ~np.isnan(prob_map)
    region = np.asarray(region, dtype=bool) & defined
    rest = other is None
    other = (defined & ~region) if rest else (np.asarray(other, dtype=bool) & defined)
    p1, p2 = float(np.nansum(prob_map[region])), float(np.nansum(prob_map[other]))
    if p1 == 0 or p2 == 0 or region.sum() == 0 or other.sum() == 0:
        raise InputError("a region has no probability or no cells", hint="check the region lies on the map")
    two_region = (p1 / (1 - p1)) / (p2 / (1 - p2)) if p1 < 1 and p2 < 1 else float("inf")
    odds = p1 / p2 if rest else two_region
    # Odds the region would have if every cell were equally likely: the cell-count ratio.
    uniform = region.sum() / other.sum()
    return OddsRatio(p1, p2, float(odds), int(region.sum()), int(other.sum()), float((p1 / p2) / uniform))
