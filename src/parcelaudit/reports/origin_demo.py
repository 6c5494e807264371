"""Demo hook: one origin verification report (HTML + PDF) from simulated data, without ../shared."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.origin.raster import read_isoscape
from parcelaudit.origin.samples import read_samples
from parcelaudit.origin.simulated import write_simulated
from parcelaudit.origin.workflow import run_origin
from parcelaudit.reports.origin_report import write_verify_report


def run_demo(out_dir: Path) -> list[Path]:
    """Simulate a cotton reference set and three lab results, verify the claims, write the report."""
    out_dir = Path(out_dir)
    paths = write_simulated(out_dir / "origin-data")
    run = run_origin(
        read_samples(paths["results"]),
        read_samples(paths["reference"]),
        isoscape=read_isoscape(paths["isoscape"], marker="d2H"),
        marker="d2H",
        validate=True,
    )
    html, pdf = write_verify_report(run, out_dir, stem="origin_report")
    return [html, pdf]
