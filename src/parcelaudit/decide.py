"""Findings -> release / review / hold per shipment, under a user-editable severity policy (TOML).

The bundled policy is rules/data/severity_policy.toml; `parcelaudit check --policy FILE` replaces it.
Every decision lists the rule ids behind it, most severe first.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import pyarrow as pa

from parcelaudit.arrow_sql import ArrowSQL
from parcelaudit.errors import ReferenceDataError
from parcelaudit.rules.context import Settings

DEFAULT_POLICY = Path(__file__).resolve().parent / "rules" / "data" / "severity_policy.toml"
SEVERITIES = ("critical", "high", "medium", "low", "info")  # most serious first
DECISIONS = ("hold", "review", "release")


@dataclass(frozen=True)
class SeverityPolicy:
    """Severity per rule (and rule/variant), which severities hold or review, and the checks' tolerances."""

    severities: dict[str, str]
    hold: frozenset[str]
    review: frozenset[str]
    default: str = "medium"
    settings: Settings = field(default_factory=Settings)
    source: str = str(DEFAULT_POLICY)


def load_severity_policy(path: Path | str | None = None) -> SeverityPolicy:
    """Read and validate a severity policy TOML (default: the bundled one)."""
    path = Path(path) if path else DEFAULT_POLICY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ReferenceDataError(
            "policy file not found", file=str(path), hint="pass an existing --policy file"
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ReferenceDataError(f"policy file is not valid TOML: {error}", file=str(path)) from error
    severity = dict(data.get("severity", {}))
    default = severity.pop("default", "medium")
    for key, value in [*severity.items(), ("default", default)]:
        if value not in SEVERITIES:
            raise ReferenceDataError(
                f"unknown severity {value!r} for {key}",
                file=str(path),
                field=key,
                hint=f"use one of {', '.join(SEVERITIES)}",
            )
    decision = data.get("decision", {})
    hold, review = (
        frozenset(decision.get("hold", ["critical", "high"])),
        frozenset(decision.get("review", ["medium"])),
    )
    bad = (hold | review) - set(SEVERITIES)
    if bad or hold & review:
        raise ReferenceDataError(
            "decision.hold / decision.review must list distinct known severities",
            file=str(path),
            field="decision",
            hint=f"use {', '.join(SEVERITIES)}",
        )
    # Every figure declared in Settings may be set under [tolerances]; absent ones keep Settings' default.
    tolerances = data.get("tolerances", {})
    settings = Settings(**{f.name: float(tolerances.get(f.name, f.default)) for f in fields(Settings)})
    return SeverityPolicy(severity, hold, review, default, settings, str(path))


def _policy_table(policy: SeverityPolicy) -> pa.Table:
    keys = list(policy.severities)
    return pa.table(
        {
            "rule_id": [k.split("/", 1)[0] for k in keys],
            "variant": [k.split("/", 1)[1] if "/" in k else None for k in keys],
            "severity": list(policy.severities.values()),
        }
    )


def decide(
    shipment_ids: pa.Array | pa.ChunkedArray | None,
    findings: pa.Table,
    duty: pa.Table | None,
    policy: SeverityPolicy,
    session: ArrowSQL | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Assign severities to findings and decide each shipment; return (findings with severity, decisions).

    decisions: shipment_id, decision, reasons (';'-separated rule ids, most severe first), duty_owed,
    duty_at_risk, fees (the entry's fees, USD). duty (shipment_id, duty_owed, duty_at_risk and optionally
    fees) may be None (zeros); shipment_ids None decides
    every shipment of duty (one row each). session: an open in-process session to work in (the check
    context's), else one is opened for the call.
    """
    if duty is None:
        duty = pa.table(
            {
                "shipment_id": pa.array([], pa.string()),
                "duty_owed": pa.array([], pa.float64()),
                "duty_at_risk": pa.array([], pa.float64()),
                "fees": pa.array([], pa.float64()),
            }
        )
    elif "fees" not in duty.column_names:
        duty = duty.append_column("fees", pa.array([0.0] * duty.num_rows, pa.float64()))
    tables = {
        "f": findings,
        "duty": duty,
        "severity_policy": _policy_table(policy),
        "severity_ranks": pa.table({"severity": list(SEVERITIES), "rank": list(range(len(SEVERITIES)))}),
    }
    if shipment_ids is not None:
        tables["ids"] = pa.table({"shipment_id": shipment_ids})
    # Without ids every shipment has a duty row: read duty once rather than join a million rows to itself.
    ids, duty_join, d = (
        ("duty", "", "i") if shipment_ids is None else ("ids", "LEFT JOIN duty d USING (shipment_id)", "d")
    )
    if session is None:
        with ArrowSQL() as own:
            return _decide(own, tables, policy, ids, duty_join, d)
    return _decide(session, tables, policy, ids, duty_join, d)


def _decide(
    session: ArrowSQL, tables: dict[str, pa.Table], policy: SeverityPolicy, ids: str, duty_join: str, d: str
) -> tuple[pa.Table, pa.Table]:
    """decide() in a session: rate the findings, then decide per shipment."""
    hold = ", ".join(f"'{s}'" for s in policy.hold) or "NULL"
    review = ", ".join(f"'{s}'" for s in policy.review) or "NULL"
    with session.scope(tables) as scope:
        scope.create(
            "rated_findings",
            f"""
            SELECT f.shipment_id, f.line_no, f.rule_id, coalesce(v.severity, r.severity, '{policy.default}')
                   AS severity, f.variant, f.message, f.citation, f.evidence
            FROM f
            LEFT JOIN severity_policy v ON v.rule_id = f.rule_id AND v.variant = f.variant
            LEFT JOIN severity_policy r ON r.rule_id = f.rule_id AND r.variant IS NULL
            """,
        )
        decisions = scope.query(f"""
            WITH per_rule AS (
                SELECT shipment_id, rule_id, min(k.rank) AS rank FROM rated_findings JOIN severity_ranks k USING (severity)
                GROUP BY shipment_id, rule_id
            ), per_shipment AS (
                SELECT shipment_id,
                       CASE WHEN bool_or(k.severity IN ({hold})) THEN 'hold'
                            WHEN bool_or(k.severity IN ({review})) THEN 'review' ELSE 'release' END AS decision,
                       string_agg(rule_id, ';' ORDER BY p.rank, rule_id) AS reasons
                FROM per_rule p JOIN severity_ranks k USING (rank) GROUP BY shipment_id
            )
            SELECT i.shipment_id, coalesce(p.decision, 'release') AS decision, coalesce(p.reasons, '') AS reasons,
                   coalesce({d}.duty_owed, 0.0) AS duty_owed, coalesce({d}.duty_at_risk, 0.0) AS duty_at_risk,
                   coalesce({d}.fees, 0.0) AS fees
            FROM {ids} i LEFT JOIN per_shipment p USING (shipment_id) {duty_join}
        """)
        return scope.query("SELECT * FROM rated_findings"), decisions
