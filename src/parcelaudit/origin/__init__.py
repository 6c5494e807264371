"""Origin verification: isotope / trace-element lab results against isoscapes and reference groups.

Public API: `calibrate`, `assign`, `qa`, `verify` (plus readers, regions and odds ratios). The
isoscape statistics follow assignR (Ma et al. 2020) and are tested against its own outputs.
"""

from __future__ import annotations

from parcelaudit.origin.assignment import OddsRatio, Posterior, assign, odds_ratio, region_mask
from parcelaudit.origin.calibration import Calibration, calibrate
from parcelaudit.origin.qa import QAResult, qa
from parcelaudit.origin.raster import Grid, Isoscape, read_isoscape, write_layers
from parcelaudit.origin.samples import marker_columns, read_knownorig, read_samples
from parcelaudit.origin.shapes import box, read_polygons

__all__ = [
    "Calibration",
    "Grid",
    "Isoscape",
    "OddsRatio",
    "Posterior",
    "QAResult",
    "assign",
    "box",
    "calibrate",
    "marker_columns",
    "odds_ratio",
    "qa",
    "read_isoscape",
    "read_knownorig",
    "read_polygons",
    "read_samples",
    "region_mask",
    "write_layers",
]
