"""Compose the origin steps for commands and demo: verify claims, calibrate, assign, odds of the claim.

Pure data in and out (Arrow tables, Isoscapes, dataclasses); reports are built from the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import InputError
from parcelaudit.origin.assignment import OddsRatio, Posterior, assign, odds_ratio
from parcelaudit.origin.calibration import Calibration, calibrate
from parcelaudit.origin.crossval import CVResult, cross_validate
from parcelaudit.origin.raster import Isoscape, to_grid_crs
from parcelaudit.origin.shapes import Geometry, box, cells_in_polygons
from parcelaudit.origin.verify import Verdict, verify_table

REGION_MARGIN_DEG = 2.0  # claimed region default: the claimed group's reference sites' box, widened


@dataclass
class OriginRun:
    """Everything a report needs: verdicts, and (with an isoscape) calibration, posteriors, odds."""

    verdicts: list[Verdict]
    reference: pa.Table
    results: pa.Table
    group_by: str
    calibration: Calibration | None = None
    posterior: Posterior | None = None
    regions: list[np.ndarray] = field(default_factory=list)
    odds: list[OddsRatio | None] = field(default_factory=list)
    simulated: bool = False
    notes: list[str] = field(default_factory=list)
    cross_validation: list[CVResult] = field(default_factory=list)


def is_simulated(*tables: pa.Table) -> bool:
    """Whether any table says it is simulated (material or reference_scale mention 'simulated')."""
    for table in tables:
        for column in ("material", "reference_scale"):
            if column in table.column_names:
                text = " ".join(str(v) for v in table[column].to_pylist() if v)
                if "simulated" in text.lower():
                    return True
    return False


def claimed_region(reference: pa.Table, claimed: str, group_by: str, isoscape: Isoscape) -> np.ndarray:
    """Cells inside the box around the claimed group's reference sites, widened by REGION_MARGIN_DEG."""
    rows = reference.filter(pc.equal(reference[group_by], claimed))
    rows = rows.filter(pc.and_(pc.is_valid(rows["lat"]), pc.is_valid(rows["lon"])))
    if rows.num_rows == 0:
        raise InputError(f"no reference sites with coordinates for {claimed!r}", hint="pass --region FILE")
    lon, lat = rows["lon"].to_numpy(), rows["lat"].to_numpy()
    corners_x, corners_y = to_grid_crs(
        isoscape.grid,
        np.array([lon.min() - REGION_MARGIN_DEG, lon.max() + REGION_MARGIN_DEG]),
        np.array([lat.min() - REGION_MARGIN_DEG, lat.max() + REGION_MARGIN_DEG]),
    )
    geom = box(corners_x.min(), corners_y.min(), corners_x.max(), corners_y.max())
    return cells_in_polygons(isoscape.grid, [geom])


def run_origin(
    results: pa.Table,
    reference: pa.Table,
    claimed: str | None = None,
    confidence: float = 0.99,
    group_by: str = "country",
    isoscape: Isoscape | None = None,
    marker: str = "d2H",
    mask: list[Geometry] | None = None,
    region: list[Geometry] | None = None,
    seed: int = 100,
    validate: bool = False,
) -> OriginRun:
    """Verify each result against its claimed group; with an isoscape also map its origin probability.

    validate=True adds cross-validation of the reference set (by site, and by sample for contrast).
    """
    verdicts = verify_table(results, reference, claimed, confidence, group_by)
    run = OriginRun(verdicts, reference, results, group_by, simulated=is_simulated(reference, results))
    if validate:
        run.cross_validation = [
            cross_validate(reference, group_by, confidence=confidence, grouped=grouped)
            for grouped in (True, False)
        ]
    if isoscape is None:
        run.notes.append("No isoscape given: verdicts use the reference groups only; no probability map.")
        return run
    if marker not in results.column_names or results[marker].null_count == results.num_rows:
        run.notes.append(f"The lab results have no {marker} values: no probability map.")
        return run
    run.calibration = calibrate(reference, isoscape, mask=mask, marker=marker, seed=seed)
    have = results.filter(pc.is_valid(results[marker]))
    values = have[marker].to_numpy(zero_copy_only=False)
    run.posterior = assign(run.calibration, values, ids=[str(v) for v in have["sample_id"].to_pylist()])
    grid_iso = run.calibration.isoscape
    claims = {v.sample_id: v.claimed for v in verdicts}
    # Each region costs a pass over every cell: build the given one, or one per claimed group, once.
    cached: dict[str | None, np.ndarray] = {}
    for sample_id, prob in zip(run.posterior.ids, run.posterior.maps, strict=True):
        key = None if region is not None else claims[sample_id]
        if key not in cached:
            cached[key] = (
                cells_in_polygons(grid_iso.grid, region)
                if key is None
                else claimed_region(reference, key, group_by, grid_iso)
            )
        cells = cached[key]
        run.regions.append(cells)
        try:
            run.odds.append(odds_ratio(prob, cells))
        except InputError as error:
            run.notes.append(f"{sample_id}: odds ratio not computed ({error.message}).")
            run.odds.append(None)
    return run
