"""Calibrate an isoscape to a tissue or material: weighted regression of known-origin values on the isoscape.

Numerically this is assignR's `calRaster` (Ma et al. 2020): isoscape mean and sd are bilinearly
interpolated at each known site (sd floored at the layer minimum), the sample values are regressed
on the isoscape means by weighted least squares with weights 1/sd², and the calibrated isoscape is
`mean * slope + intercept` with sd `sqrt(sd_iso² + var(residuals) * (1 - r²_dev))`. The last factor
is a Monte-Carlo estimate (100 simulated regressions on isoscape values perturbed by their sd) of
the share of residual variance already explained by isoscape error; we draw it from numpy's PCG64
generator with an explicit seed, so our calibrated sd is reproducible but not bit-equal to R's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import InputError
from parcelaudit.origin.raster import Isoscape, crop, extract_bilinear, to_grid_crs
from parcelaudit.origin.samples import marker_columns, site_column
from parcelaudit.origin.shapes import Geometry, points_in_polygons, polygons_bounds

MONTE_CARLO_DRAWS = 100  # assignR's calRaster uses 100 simulated regressions
DEFAULT_SEED = 100


@dataclass(frozen=True)
class Calibration:
    """Fitted calibration: coefficients, fit statistics, the data used and the calibrated isoscape."""

    marker: str
    intercept: float
    slope: float
    r_squared: float
    sigma: float
    n: int
    isoscape: Isoscape
    isoscape_values: np.ndarray
    sample_values: np.ndarray
    weights: np.ndarray
    sample_ids: list[str]
    site_ids: list[str]
    dropped_ids: list[str] = field(default_factory=list)
    residual_variance: float = 0.0
    error_share: float = 0.0
    seed: int = DEFAULT_SEED

    def summary(self) -> dict[str, float | int | str]:
        """Plain-data summary for reports and JSON."""
        return {
            "marker": self.marker,
            "intercept": self.intercept,
            "slope": self.slope,
            "r_squared": self.r_squared,
            "sigma": self.sigma,
            "n": self.n,
            "dropped": len(self.dropped_ids),
            "monte_carlo_error_share": self.error_share,
            "seed": self.seed,
        }


def weighted_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Weighted least squares y = a + b x; returns (a, b, residuals)."""
    sw = np.sqrt(w)
    design = np.column_stack([np.ones_like(x), x]) * sw[:, None]
    coef, *_ = np.linalg.lstsq(design, y * sw, rcond=None)
    residuals = y - (coef[0] + coef[1] * x)
    return float(coef[0]), float(coef[1]), residuals


def pick_marker(known: pa.Table, marker: str | None) -> str:
    """The marker to calibrate: the one named, or the only one present."""
    present = marker_columns(known)
    if marker is None:
        if len(present) != 1:
            raise InputError(
                f"several markers present ({', '.join(present)})",
                field="marker",
                hint="name the marker to use",
            )
        return present[0]
    if marker not in known.column_names:
        raise InputError(f"marker {marker!r} not in the known-origin data", field=marker)
    return marker


def _known_arrays(known: pa.Table, marker: str) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    for column in ("lon", "lat"):
        if column not in known.column_names:
            raise InputError(
                f"known-origin data lacks {column}", field=column, hint="add lat and lon columns"
            )
    known = known.filter(pc.is_valid(known[marker]))
    y = known[marker].to_numpy(zero_copy_only=False).astype(float)
    sd_name = f"{marker}_sd"
    if sd_name not in known.column_names:
        raise InputError(
            f"known-origin data lacks {sd_name}",
            field=sd_name,
            hint="add each sample's 1-sd analytical uncertainty (it weights the regression)",
        )
    sd = known[sd_name].to_numpy(zero_copy_only=False).astype(float)
    bad = np.flatnonzero(~(sd > 0))
    if bad.size:
        raise InputError("uncertainty must be a positive number", row=int(bad[0]) + 2, field=sd_name)
    return known, y, sd


def calibrate(
    known: pa.Table,
    isoscape: Isoscape,
    mask: list[Geometry] | None = None,
    marker: str | None = None,
    seed: int = DEFAULT_SEED,
) -> Calibration:
    """Fit the calibration of `isoscape` to the known-origin samples and return the calibrated isoscape."""
    marker = pick_marker(known, marker)
    known, y, sd = _known_arrays(known, marker)
    x_pts, y_pts = to_grid_crs(isoscape.grid, known["lon"].to_numpy(), known["lat"].to_numpy())
    if mask is not None:
        keep = points_in_polygons(x_pts, y_pts, mask)
        known, y, sd, x_pts, y_pts = known.filter(pa.array(keep)), y[keep], sd[keep], x_pts[keep], y_pts[keep]
        isoscape = crop(isoscape, polygons_bounds(mask))
    iso_mean = extract_bilinear(isoscape.mean, isoscape.grid, x_pts, y_pts)
    iso_sd = extract_bilinear(isoscape.sd, isoscape.grid, x_pts, y_pts)
    # Interpolation cannot produce an sd below the smallest one in the layer.
    iso_sd = np.maximum(iso_sd, np.nanmin(isoscape.sd))
    ids = [str(v) for v in known["sample_id"].to_pylist()]
    sites = [str(v) for v in known[site_column(known)].to_pylist()]
    on_map = ~np.isnan(iso_mean)
    dropped = [i for i, ok in zip(ids, on_map, strict=True) if not ok]
    x, y, w, iso_sd = iso_mean[on_map], y[on_map], 1.0 / sd[on_map] ** 2, iso_sd[on_map]
    if len(x) < 3:
        raise InputError(
            f"only {len(x)} known-origin samples fall on the isoscape",
            hint="need at least 3 samples with map values",
        )
    intercept, slope, residuals = weighted_fit(x, y, w)
    mean_y = np.sum(w * y) / np.sum(w)
    r_squared = 1.0 - np.sum(w * residuals**2) / np.sum(w * (y - mean_y) ** 2)
    sigma = float(np.sqrt(np.sum(w * residuals**2) / (len(x) - 2)))
    error_share = _isoscape_error_share(x, iso_sd, y, w, seed)
    residual_variance = float(np.var(residuals, ddof=1))
    calibrated = Isoscape(
        mean=isoscape.mean * slope + intercept,
        sd=np.sqrt(isoscape.sd**2 + residual_variance * (1.0 - error_share)),
        grid=isoscape.grid,
        marker=marker,
    )
    return Calibration(
        marker=marker,
        intercept=intercept,
        slope=slope,
        r_squared=float(r_squared),
        sigma=sigma,
        n=len(x),
        isoscape=calibrated,
        isoscape_values=x,
        sample_values=y,
        weights=w,
        sample_ids=[i for i, ok in zip(ids, on_map, strict=True) if ok],
        site_ids=[s for s, ok in zip(sites, on_map, strict=True) if ok],
        dropped_ids=dropped,
        residual_variance=residual_variance,
        error_share=error_share,
        seed=seed,
    )


def _isoscape_error_share(x: np.ndarray, x_sd: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> float:
    """Squared correlation of simulated isoscape errors with the residuals they cause (assignR ti.corr)."""
    rng = np.random.default_rng(seed)
    deviations, residuals = [], []
    for _ in range(MONTE_CARLO_DRAWS):
        simulated = rng.normal(x, x_sd)
        _, _, res = weighted_fit(simulated, y, w)
        deviations.append(simulated - x)
        residuals.append(res)
    corr = np.corrcoef(np.concatenate(deviations), np.concatenate(residuals))[0, 1]
    return float(corr**2)
