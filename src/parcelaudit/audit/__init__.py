"""Regulatory audit: sampling statistics, books-and-records reconciliation and the stored audit workflow.

The statistics are pure functions (no storage, no I/O). The workflow's steps (lifecycle, plan, sampling,
results, evaluate) read and write through parcelaudit.store.audits; the report and workpaper are faces in
parcelaudit.reports.
"""

from parcelaudit.audit.attributes import (
    appraise_attribute,
    attribute_sample_size,
    hypergeometric_upper_limit,
    upper_deviation_limit,
)
from parcelaudit.audit.mus import mus_sample_size, stringer_bound
from parcelaudit.audit.penalties import penalty_bases, penalty_exposure
from parcelaudit.audit.projection import project
from parcelaudit.audit.selection import select_pps, select_random
from parcelaudit.audit.variables import (
    appraise_stratified,
    appraise_variable,
    variable_sample_size,
    variable_sample_size_error_rate,
)

__all__ = [
    "appraise_attribute",
    "appraise_stratified",
    "appraise_variable",
    "attribute_sample_size",
    "hypergeometric_upper_limit",
    "mus_sample_size",
    "penalty_bases",
    "penalty_exposure",
    "project",
    "select_pps",
    "select_random",
    "stringer_bound",
    "upper_deviation_limit",
    "variable_sample_size",
    "variable_sample_size_error_rate",
]
