"""Supply-chain tracing to raw material: EPCIS / CSV import, graph, coverage, forced-labor exposure,
quantity reconciliation, date order, missing documents and verdict; link to parcel lines. The dossier and
the files a trace writes are a face's (parcelaudit.reports.trace_dossier, parcelaudit.reports.trace_outputs)."""

from __future__ import annotations

from parcelaudit.tracing.epcis_import import read_epcis
from parcelaudit.tracing.epcis_validate import validate_document
from parcelaudit.tracing.link import load_verdicts, verdicts_for_skus
from parcelaudit.tracing.quantities import load_yields
from parcelaudit.tracing.verdict import REASON_CODES, TraceResult, load_chain, trace

__all__ = [
    "REASON_CODES",
    "TraceResult",
    "load_chain",
    "load_verdicts",
    "load_yields",
    "read_epcis",
    "trace",
    "validate_document",
    "verdicts_for_skus",
]
