"""Compose the check stage: rules, screening, duty and decisions over Arrow (evaluate), a run against the
store (run_check), the run's summary, and one parcel's explanation. The files a run writes are a face's
(parcelaudit.reports.check_outputs).
"""

from parcelaudit.pipeline.evaluate import evaluate
from parcelaudit.pipeline.explain import explain_shipment
from parcelaudit.pipeline.result import (
    DECISIONS_COLUMNS,
    FINDINGS_COLUMNS,
    FINDINGS_ORDER,
    CheckResult,
    canonical_order,
    list_snapshot_rows,
)
from parcelaudit.pipeline.run import run_check
from parcelaudit.pipeline.summary import RunSummary, summarise

__all__ = [
    "DECISIONS_COLUMNS",
    "FINDINGS_COLUMNS",
    "FINDINGS_ORDER",
    "CheckResult",
    "RunSummary",
    "canonical_order",
    "evaluate",
    "explain_shipment",
    "list_snapshot_rows",
    "run_check",
    "summarise",
]
