"""What a check run produced (CheckResult) and the column contract of its outputs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.decide import SeverityPolicy
from parcelaudit.pipeline.summary import RunSummary, summarise

FINDINGS_COLUMNS = ["shipment_id", "line_no", "rule_id", "severity", "message", "citation", "evidence"]
DECISIONS_COLUMNS = ["shipment_id", "decision", "reasons", "duty_owed", "duty_at_risk", "fees"]
# Findings are ordered by every column, so no two distinct findings tie and the order is total.
FINDINGS_ORDER = [
    "shipment_id",
    "line_no",
    "rule_id",
    "variant",
    "severity",
    "message",
    "citation",
    "evidence",
]


@dataclass
class CheckResult:
    """Everything a check run produced, plus timings and the shipments it judged."""

    findings: pa.Table  # FINDINGS_COLUMNS + variant
    decisions: pa.Table  # DECISIONS_COLUMNS
    line_duty: pa.Table
    shipments: pa.Table
    timings: dict[str, float] = field(default_factory=dict)
    policy: SeverityPolicy | None = None
    hts_source: str = ""
    hts_complete: bool = False
    screening: bool = False
    run_id: int | None = None
    # The restricted-list snapshots screening used (list, source, date and its basis, SHA-256 ...).
    list_snapshots: list[dict] = field(default_factory=list)
    # The analysts' decisions applied (check --dispositions): source, sha256, decisions; None when none.
    dispositions_used: dict | None = None
    # Decisions this run changed (parcel, before, after, rules added and removed; pipeline.changes).
    changed: pa.Table | None = None
    since: str | None = None  # an incremental run: what --since named
    partitions: int = 1  # the partitions the run was judged in
    # True: the run's findings, decisions and changes are in the store only (run_check(keep_results=False));
    # the tables here are empty, summary() holds the stored figures, changed_count the changes.
    stored_only: bool = False
    changed_count: int = 0
    _summary: RunSummary | None = field(default=None, repr=False, compare=False)

    @property
    def rules_seconds(self) -> float:
        """Seconds spent on rules, duty and decisions (screening excluded)."""
        return sum(v for k, v in self.timings.items() if k != "screening")

    def summary(self) -> RunSummary:
        """Shipments per decision, findings and parcels per rule, duty totals (parcelaudit.pipeline.summary);
        computed once, from the findings and decisions the result holds."""
        if self._summary is None:
            self._summary = summarise(self.findings, self.decisions)
        return self._summary

    def counts(self) -> dict[str, int]:
        """Shipments per decision."""
        return self.summary().decisions

    def findings_per_rule(self) -> dict[str, int]:
        """Findings per rule id, most first (ties by rule id)."""
        return self.summary().findings_per_rule


def canonical_order(table: pa.Table, keys: list[str]) -> pa.Table:
    """The table sorted by keys (nulls first): DuckDB returns rows in thread order, outputs need one order."""
    order = pc.sort_indices(table, sort_keys=[(k, "ascending", "at_start") for k in keys])
    return table.take(order)


def list_snapshot_rows(snapshots: list[dict]) -> list[dict]:
    """What a run records and shows of each list snapshot: list, source, date and its basis, SHA-256, entries."""
    keys = ("list", "source", "snapshot_date", "date_basis", "sha256", "entries")
    return [{k: snap.get(k) for k in keys} for snap in snapshots]
