"""Origin benchmark: assignR equivalence, held-out vs in-sample QA, grouped CV of verify, speed.

Run: `.venv/bin/python -m bench.run origin`. Parts needing ../shared/data are skipped (and say so)
when it is absent; the simulated-cotton cross-validation always runs.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench.memory import measure
from parcelaudit.origin import (
    assign,
    calibrate,
    qa,
    read_isoscape,
    read_knownorig,
    read_polygons,
    read_samples,
)
from parcelaudit.origin.crossval import cross_validate
from parcelaudit.origin.simulated import simulate_reference, synthetic_isoscape
from parcelaudit.paths import shared_data_dir

CM = "origin/assignR_reference_Charadrius_montanus"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _charadrius_inputs(shared: Path) -> dict:
    """The Charadrius montanus known-origin samples, North America mask and raw d2H isoscape, read once."""
    base = shared / "origin/assignR"
    return {
        "known": read_samples(shared / CM / "Cm_known.csv"),
        "mask": read_polygons(base / "naMap.shp"),
        "raw": read_isoscape(base / "d2h_lrNA.tif"),
    }


def _assignr_equivalence(shared: Path, inputs: dict) -> dict:
    ref, known, mask = shared / CM, inputs["known"], inputs["mask"]
    started = time.perf_counter()
    fit = calibrate(known, inputs["raw"], mask=mask, marker="d2H")
    calibrate_s = time.perf_counter() - started
    expected = {"intercept": 18.042520, "slope": 0.881903, "r_squared": 0.371337, "sigma": 3.852560}
    coef_diff = {k: abs(getattr(fit, k) - v) for k, v in expected.items()}
    theirs_iso = read_isoscape(ref / "Cm_calibrated_isoscape.tif")
    import rasterio

    with rasterio.open(ref / "Cm_pd_unknowns.tif") as src:
        theirs_pd = src.read().astype(float)
    post = assign(theirs_iso, [-130.0, -110.0, -80.0])
    started = time.perf_counter()
    result = qa(known, theirs_iso, by=5, recal=False)
    qa_s = time.perf_counter() - started
    curves = result.curves()
    ref_curves = _rows(ref / "Cm_QA_recalFALSE_curves.csv")
    curve_diff = max(
        abs(curves[ours][i] - float(r[col]))
        for ours, col in (("by_prob", "byProb"), ("by_area", "byArea"), ("precision", "precision"))
        for i, r in enumerate(ref_curves)
    )
    pd_ref = np.array([float(r["pd_at_origin"]) for r in _rows(ref / "Cm_QA_recalFALSE_pd.csv")])
    return {
        "coefficient_abs_diff_vs_reported_6dp": coef_diff,
        "calibrated_mean_max_abs_diff": float(np.nanmax(np.abs(fit.isoscape.mean - theirs_iso.mean))),
        "calibrated_sd_max_abs_diff_monte_carlo": float(np.nanmax(np.abs(fit.isoscape.sd - theirs_iso.sd))),
        "posterior_max_abs_diff_per_cell": float(np.nanmax(np.abs(post.maps - theirs_pd))),
        "qa_curves_max_abs_diff": float(curve_diff),
        "pd_at_origin_max_rel_diff": float(np.max(np.abs(result.pd_val.ravel() / pd_ref - 1))),
        "calibrate_seconds": round(calibrate_s, 3),
        "qa_recal_false_seconds_546_samples": round(qa_s, 3),
        "qa_summary": result.summary(),
    }


def _qa_split_comparison(inputs: dict) -> dict:
    """assignR-style in-sample QA vs our held-out-by-site QA on the same data."""
    known, mask, raw = inputs["known"], inputs["mask"], inputs["raw"]
    # In-sample: calibrated on every sample, validation samples included (what assignR's recal=TRUE
    # split bug amounts to: it removes at most one row).
    in_sample = qa(known, calibrate(known, raw, mask=mask, marker="d2H").isoscape, by=5, recal=False)
    started = time.perf_counter()
    held_out = qa(known, raw, by=5, recal=True, mask=mask, marker="d2H", val_sites=1)
    seconds = time.perf_counter() - started
    return {
        "in_sample": in_sample.summary(),
        "held_out_by_site": held_out.summary(),
        "held_out_iterations": len(held_out.validation),
        "held_out_seconds": round(seconds, 2),
    }


def _cv(reference: pa.Table, label: str, folds: int = 5) -> dict:
    out = {"data": label, "samples": reference.num_rows}
    for grouped in (True, False):
        for target in (0.01, 0.05):
            result = cross_validate(reference, folds=folds, seed=0, target_frr=target, grouped=grouped)
            key = f"{'grouped_by_site' if grouped else 'random_split'}_frr{int(target * 100)}"
            out[key] = result.as_dict()
    return out


def _knownorig_reference(shared: Path) -> pa.Table:
    """knownOrig feathers' d2H grouped by country, groups with >= 5 sites and >= 30 samples."""
    table = read_knownorig(shared / "origin/assignR/knownOrig0_2.xlsx", marker="d2H")
    table = table.filter(pc.is_valid(table["country"]))
    keep = []
    for country in set(table["country"].to_pylist()):
        rows = table.filter(pc.equal(table["country"], country))
        if rows.num_rows >= 30 and len(set(rows["site_id"].to_pylist())) >= 5:
            keep.append(country)
    table = table.filter(pc.is_in(table["country"], value_set=pa.array(keep)))
    return table.select(["sample_id", "site_id", "country", "lat", "lon", "d2H"])


def _speed() -> dict:
    iso, _ = synthetic_isoscape(resolution=1.0)
    values = np.random.default_rng(0).normal(-80, 20, 200)
    _, seconds, peak = measure(_assign_only, iso, values)
    cells = int(np.count_nonzero(~np.isnan(iso.mean)))
    return {
        "cells": cells,
        "samples": len(values),
        "seconds": round(seconds, 3),
        "cell_samples_per_second": round(cells * len(values) / seconds),
        "peak_rss_mib": round(peak, 1),
    }


def _assign_only(iso, values) -> int:
    return len(assign(iso, values).ids)


def run(work_dir: Path) -> dict:
    """Measure everything that can be measured here."""
    work_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"simulated_cotton_cv": _cv(simulate_reference(seed=42), "simulated cotton (seed 42)")}
    shared = shared_data_dir()
    if shared is not None and (shared / CM).exists():
        inputs = _charadrius_inputs(shared)
        result["assignr_equivalence"] = _assignr_equivalence(shared, inputs)
        result["qa_in_sample_vs_held_out"] = _qa_split_comparison(inputs)
        result["knownorig_cv"] = _cv(_knownorig_reference(shared), "knownOrig d2H by country")
    else:
        result["skipped"] = (
            "../shared/data/origin absent: assignR equivalence, QA split and knownOrig CV not run"
        )
    result["assign_speed"] = _speed()
    return result


def _cv_lines(cv: dict) -> list[str]:
    lines = [
        f"Cross-validation of `verify` on {cv['data']} ({cv['samples']} samples, 5 folds):",
        "",
        "| split | FRR @99% | FAR @99% | FAR @1% FRR (typicality) | FAR @1% FRR (LR) "
        "| FAR @5% FRR (LR) | bal. acc. decision | bal. acc. assignment |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split in ("grouped_by_site", "random_split"):
        a, b = cv[f"{split}_frr1"], cv[f"{split}_frr5"]
        lines.append(
            f"| {split} | {a['frr']:.3f} | {a['far']:.3f} | {a['far_at_target_typicality']:.3f} | "
            f"{a['far_at_target_lr']:.3f} | {b['far_at_target_lr']:.3f} | "
            f"{a['balanced_accuracy_decision']:.3f} | "
            f"{a['balanced_accuracy_assignment']:.3f} |"
        )
    return [*lines, ""]


def summarize(result: dict) -> str:
    """Markdown summary."""
    lines = _cv_lines(result["simulated_cotton_cv"])
    if "knownorig_cv" in result:
        lines += _cv_lines(result["knownorig_cv"])
    eq = result.get("assignr_equivalence")
    if eq:
        lines += [
            "assignR equivalence (Charadrius montanus):",
            f"- coefficients vs reported 6-dp values: max diff "
            f"{max(eq['coefficient_abs_diff_vs_reported_6dp'].values()):.2e}",
            f"- posterior maps: max per-cell diff {eq['posterior_max_abs_diff_per_cell']:.2e}",
            f"- QA curves: max diff {eq['qa_curves_max_abs_diff']:.2e}; "
            "probability at origin max relative diff "
            f"{eq['pd_at_origin_max_rel_diff']:.2e}",
            f"- calibrate {eq['calibrate_seconds']} s; "
            f"QA (546 samples, by=5) {eq['qa_recal_false_seconds_546_samples']} s",
            "",
        ]
        cmp_ = result["qa_in_sample_vs_held_out"]
        lines.append(
            "| QA | median density / random | share > random | byArea 0.10 | byArea 0.25 | byArea 0.50 |"
        )
        lines.append("|---|---|---|---|---|---|")
        for name in ("in_sample", "held_out_by_site"):
            s = cmp_[name]
            lines.append(
                f"| {name} | {s['median_ratio_to_random']:.3f} | {s['share_above_random']:.3f} | "
                f"{s['by_area_0.10']:.4f} | {s['by_area_0.25']:.4f} | {s['by_area_0.50']:.4f} |"
            )
        lines.append(f"\nHeld-out QA: {cmp_['held_out_iterations']} sites, {cmp_['held_out_seconds']} s.\n")
    else:
        lines.append(result.get("skipped", ""))
    sp = result["assign_speed"]
    lines.append(
        f"Assignment speed: {sp['samples']} samples x {sp['cells']} cells in {sp['seconds']} s "
        f"({sp['cell_samples_per_second']:,} cell-samples/s), peak RSS {sp['peak_rss_mib']} MiB."
    )
    return "\n".join(lines)
