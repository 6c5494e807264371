"""The one summary of a check run: shipments per decision, findings and parcels per rule, duty totals.

The CLI, the demo, the check report and the stored run (check_runs) all take their figures from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.arrow_sql import exact_sum, run_sql
from parcelaudit.decide import DECISIONS


@dataclass(frozen=True)
class RunSummary:
    """A check run in figures (money summed exactly, see arrow_sql.exact_sum)."""

    shipments: int
    findings: int
    decisions: dict[str, int]  # hold / review / release -> shipments
    duty_owed: float
    duty_at_risk: float
    fees: float  # the entries' fees (MPF, dutiable mail fee, HMF; none where a de minimis claim stands)
    findings_per_rule: dict[str, int]  # most first, ties by rule id
    parcels_per_rule: dict[str, int]  # shipments with a finding of the rule, most first, ties by rule id

    @property
    def held(self) -> int:
        """Shipments held."""
        return self.decisions["hold"]

    @property
    def reviewed(self) -> int:
        """Shipments sent to review."""
        return self.decisions["review"]

    @property
    def released(self) -> int:
        """Shipments released."""
        return self.decisions["release"]


def _tally(column: pa.ChunkedArray | pa.Array) -> dict:
    """How often each value occurs in a column (vectorised: no Python list of a million values)."""
    counted = pc.value_counts(column)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True))


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def summarise(findings: pa.Table, decisions: pa.Table) -> RunSummary:
    """The summary of a run from its findings (shipment_id, rule_id ...) and decisions (decision, duty_*)."""
    found = _tally(decisions["decision"])
    duty = run_sql(
        f"SELECT coalesce({exact_sum('duty_owed')}, 0) AS owed, coalesce({exact_sum('duty_at_risk')}, 0) AS risk, "
        f"coalesce({exact_sum('fees')}, 0) AS fees FROM d",
        {"d": decisions.select(["duty_owed", "duty_at_risk", "fees"])},
    ).to_pylist()[0]
    pairs = findings.select(["shipment_id", "rule_id"]).group_by(["rule_id", "shipment_id"]).aggregate([])
    return RunSummary(
        shipments=decisions.num_rows,
        findings=findings.num_rows,
        decisions={d: found.get(d, 0) for d in DECISIONS},
        duty_owed=duty["owed"],
        duty_at_risk=duty["risk"],
        fees=duty["fees"],
        findings_per_rule=_most_first(_tally(findings["rule_id"])),
        parcels_per_rule=_most_first(_tally(pairs["rule_id"])),
    )


def summary_of_figures(figures: dict) -> RunSummary:
    """The summary of a stored run from its figures (store.checks.run_figures), ordered as summarise() orders."""
    return RunSummary(
        shipments=figures["shipments"],
        findings=figures["findings"],
        decisions={d: figures["decisions"].get(d, 0) for d in DECISIONS},
        duty_owed=figures["duty_owed"],
        duty_at_risk=figures["duty_at_risk"],
        fees=figures["fees"],
        findings_per_rule=_most_first(figures["findings_per_rule"]),
        parcels_per_rule=_most_first(figures["parcels_per_rule"]),
    )
