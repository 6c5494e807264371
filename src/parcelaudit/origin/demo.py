"""Demo hook: one origin verification from simulated data, without ../shared (the report is a face:
parcelaudit.reports.origin_report.write_verify_report)."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.origin.raster import read_isoscape
from parcelaudit.origin.samples import read_samples
from parcelaudit.origin.simulated import write_simulated
from parcelaudit.origin.workflow import OriginRun, run_origin


def run_demo(out_dir: Path) -> OriginRun:
    """Simulate a cotton reference set and three lab results (written under out_dir) and verify the claims."""
    out_dir = Path(out_dir)
    paths = write_simulated(out_dir / "origin-data")
    return run_origin(
        read_samples(paths["results"]),
        read_samples(paths["reference"]),
        isoscape=read_isoscape(paths["isoscape"], marker="d2H"),
        marker="d2H",
        validate=True,
    )
