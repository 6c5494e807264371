"""Origin reports (HTML + PDF): verdicts, probability maps, calibration and QA charts. A face, not a stage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from parcelaudit import __version__
from parcelaudit.origin.assignment import OddsRatio, Posterior
from parcelaudit.origin.calibration import Calibration
from parcelaudit.origin.qa import QAResult
from parcelaudit.origin.raster import WGS84, Grid
from parcelaudit.origin.verify import NOT_PROOF
from parcelaudit.origin.workflow import OriginRun
from parcelaudit.reports.render import chart_data_uri, new_figure, write_html_and_pdf
from parcelaudit.text_safety import mpl_text

MAX_MAPS = 6  # keep reports readable: maps for the first samples only


def _map_chart(
    prob: np.ndarray, grid: Grid, region: np.ndarray | None, sites: pa.Table | None, title: str
) -> str:
    fig, ax = new_figure(6.4, 3.4)
    ax.grid(False)
    left, bottom, right, top = grid.bounds()
    image = ax.imshow(prob, extent=(left, right, bottom, top), cmap="viridis", interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8, label="posterior probability per cell")
    if region is not None:
        ax.contour(
            region.astype(float),
            levels=[0.5],
            colors="#ff5252",
            linewidths=1.2,
            extent=(left, right, top, bottom),
        )
    if sites is not None and "lon" in sites.column_names and grid.crs == WGS84:
        ax.scatter(sites["lon"].to_numpy(), sites["lat"].to_numpy(), s=4, c="white", alpha=0.6)
    ax.set_title(mpl_text(title), fontsize=9)
    return chart_data_uri(fig)


def _posterior_chart(verdict) -> str:
    fig, ax = new_figure(4.2, 2.0)
    groups = list(verdict.posterior)
    colors = ["#c62828" if g == verdict.claimed else "#607d8b" for g in groups]
    ax.barh([mpl_text(g) for g in groups], [verdict.posterior[g] for g in groups], color=colors)
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior probability (claimed group in red)")
    return chart_data_uri(fig)


def _calibration_chart(cal: Calibration) -> str:
    fig, ax = new_figure(4.8, 3.0)
    ax.scatter(cal.isoscape_values, cal.sample_values, s=8, alpha=0.6, color="#37474f")
    xs = np.linspace(cal.isoscape_values.min(), cal.isoscape_values.max(), 2)
    ax.plot(xs, cal.intercept + cal.slope * xs, color="#c62828")
    ax.set_xlabel("isoscape value at site")
    ax.set_ylabel(mpl_text(f"sample {cal.marker}"))
    return chart_data_uri(fig)


def _base_context(title: str, simulated: bool) -> dict:
    return {
        "title": title,
        "version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "simulated": simulated,
        "not_proof": NOT_PROOF,
    }


def write_verify_report(run: OriginRun, out_dir: Path, stem: str = "origin_report") -> tuple[Path, Path]:
    """Write the verification report (verdict per sample, probability maps when an isoscape was used)."""
    samples = []
    for i, verdict in enumerate(run.verdicts):
        item = {
            "verdict": verdict,
            "explanation": verdict.explanation(),
            "posterior_chart": _posterior_chart(verdict),
            "map": None,
            "odds": None,
        }
        if run.posterior is not None and verdict.sample_id in run.posterior.ids and i < MAX_MAPS:
            k = run.posterior.ids.index(verdict.sample_id)
            region = run.regions[k] if k < len(run.regions) else None
            title = f"{verdict.sample_id}: {run.posterior.markers[0]} origin probability"
            item["map"] = _map_chart(run.posterior.maps[k], run.posterior.grid, region, run.reference, title)
            odds = run.odds[k] if k < len(run.odds) else None
            item["odds"] = odds.explanation() if odds else None
        samples.append(item)
    context = _base_context("Origin verification", run.simulated) | {
        "samples": samples,
        "group_by": run.group_by,
        "groups": sorted({str(g) for g in run.reference[run.group_by].to_pylist() if g is not None}),
        "n_reference": run.reference.num_rows,
        "calibration": run.calibration.summary() if run.calibration else None,
        "calibration_chart": _calibration_chart(run.calibration) if run.calibration else None,
        "notes": run.notes,
        "cv": [c.as_dict() for c in run.cross_validation],
    }
    return write_html_and_pdf("origin_verify.html", context, Path(out_dir), stem)


def _qa_chart(result: QAResult) -> str:
    curves = result.curves()
    fig, ax = new_figure(5.0, 3.2)
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.plot(curves["threshold"], curves["by_prob"], label="inside top-probability region")
    ax.plot(curves["threshold"], curves["by_area"], label="inside top-area region")
    ax.plot(curves["threshold"], curves["precision"], label="share of map in region", ls="--")
    ax.set_xlabel("threshold")
    ax.set_ylabel("share of validation samples")
    ax.legend(fontsize=7)
    return chart_data_uri(fig)


def write_qa_report(
    result: QAResult, out_dir: Path, source: str, stem: str = "origin_qa"
) -> tuple[Path, Path]:
    """Write the QA report: curves, probability at origin relative to random, and the split used."""
    curves = result.curves()
    rows = [
        {"threshold": t, "by_prob": p, "by_area": a, "precision": q}
        for t, p, a, q in zip(
            curves["threshold"], curves["by_prob"], curves["by_area"], curves["precision"], strict=True
        )
    ]
    context = _base_context(
        "Origin assignment quality (held-out validation)", "simulated" in source.lower()
    ) | {
        "source": source,
        "summary": result.summary(),
        "rows": rows,
        "chart": _qa_chart(result),
        "recal": result.recal,
    }
    return write_html_and_pdf("origin_qa.html", context, Path(out_dir), stem)


def write_assign_report(
    posterior: Posterior,
    out_dir: Path,
    calibration: Calibration | None = None,
    regions: list[np.ndarray] | None = None,
    odds: list[OddsRatio | None] | None = None,
    known: pa.Table | None = None,
    simulated: bool = False,
    stem: str = "origin_assign",
) -> tuple[Path, Path]:
    """Write the assignment report: a probability map per sample, odds of the claimed region, calibration."""
    maps = []
    for k, sample_id in enumerate(posterior.ids[:MAX_MAPS]):
        region = regions[k] if regions and k < len(regions) else None
        title = f"{sample_id}: {', '.join(posterior.markers)} origin probability"
        item_odds = odds[k] if odds and k < len(odds) else None
        maps.append(
            {
                "sample_id": sample_id,
                "map": _map_chart(posterior.maps[k], posterior.grid, region, known, title),
                "odds": item_odds.explanation() if item_odds else None,
            }
        )
    context = _base_context("Origin assignment", simulated) | {
        "maps": maps,
        "n_samples": len(posterior.ids),
        "max_maps": MAX_MAPS,
        "calibration": calibration.summary() if calibration else None,
        "calibration_chart": _calibration_chart(calibration) if calibration else None,
    }
    return write_html_and_pdf("origin_assign.html", context, Path(out_dir), stem)
