"""The pure part of a check: rules, screening, duty and decisions over Arrow tables, Arrow out."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.decide import SeverityPolicy, decide, load_severity_policy
from parcelaudit.pipeline.result import FINDINGS_ORDER, CheckResult, canonical_order
from parcelaudit.pipeline.screen import RunScreener, screen_parties
from parcelaudit.reference.hts import HtsSchedule
from parcelaudit.rules.context import FINDING_SCHEMA, RuleContext
from parcelaudit.rules.duty import line_duty_table, shipment_duty
from parcelaudit.rules.policy import Policy
from parcelaudit.rules.registry import all_rules
from parcelaudit.screening import Screener
from parcelaudit.screening.dispositions import Disposition


def evaluate(
    shipments: pa.Table,
    lines: pa.Table,
    orders: pa.Table | None = None,
    *,
    policy: SeverityPolicy | None = None,
    policy_data: Policy | None = None,
    hts: HtsSchedule | None = None,
    screening: bool = True,
    rule_ids: list[str] | None = None,
    scope: pa.Array | None = None,
    progress: Callable[[str], None] | None = None,
    traces: pa.Table | None = None,
    rates: pa.Table | str | None = None,
    screener: Screener | RunScreener | None = None,
    dispositions: list[Disposition] | None = None,
) -> CheckResult:
    """Run every rule (or rule_ids), screening, duty and decisions; scope limits which shipments are reported.

    traces: supply-chain verdicts by SKU (parcelaudit.tracing.link.sku_verdict_table), for FL-TRACE.
    rates: exchange rates (a rates file path or table; None: the ECB reference series), see rules.values.
    screener: the restricted-list screener (None: the downloaded or bundled lists; a RunScreener screens each
    name once over the partitions of a run); dispositions: analysts'
    decisions on hits (parcelaudit.screening.dispositions), a false positive on an unchanged entry is no finding.
    """
    policy = policy or load_severity_policy()
    started = time.perf_counter()
    ctx = RuleContext(
        shipments,
        lines,
        orders,
        policy=policy_data,
        hts=hts,
        settings=policy.settings,
        traces=traces,
        rates=rates,
    )
    timings: dict[str, float] = {"context": time.perf_counter() - started}
    try:
        snapshots: list[dict] = []
        parts = []
        rules = all_rules()
        for rule_id in rule_ids or list(rules):
            if progress:
                progress(rule_id)
            started = time.perf_counter()
            parts.append(rules[rule_id].run(ctx))
            timings[rule_id] = time.perf_counter() - started
        if screening:
            if progress:
                progress("screening")
            started = time.perf_counter()
            found, snapshots = screen_parties(ctx, screener, dispositions)
            parts.append(found)
            timings["screening"] = time.perf_counter() - started
        findings = pa.concat_tables(parts) if parts else FINDING_SCHEMA.empty_table()
        if progress:
            progress("duty and decisions")
        started = time.perf_counter()
        line_duty = line_duty_table(ctx)
        # Duty is judged with every finding of the context (a split order outside the window still counts).
        duty = shipment_duty(ctx, line_duty, findings)
        ids = None  # every shipment of the context (one duty row each)
        if scope is not None:
            in_scope = pa.table({"shipment_id": scope})
            ids = scope
            findings = _restrict(findings, in_scope)
            line_duty = _restrict(line_duty, in_scope)
        rated, decisions = decide(ids, findings, duty, policy, session=ctx.sql)
        timings["duty_and_decisions"] = time.perf_counter() - started
        return CheckResult(
            findings=canonical_order(rated, FINDINGS_ORDER),
            decisions=canonical_order(decisions, ["shipment_id"]),
            line_duty=canonical_order(line_duty, ["shipment_id", "line_no"]),
            shipments=ctx.shipments,
            timings=timings,
            policy=policy,
            hts_source=ctx.hts.source,
            hts_complete=ctx.hts.complete,
            screening=screening,
            list_snapshots=snapshots,
        )
    finally:
        ctx.close()


def _restrict(table: pa.Table, in_scope: pa.Table) -> pa.Table:
    mask = pc.is_in(table["shipment_id"], value_set=in_scope["shipment_id"].combine_chunks())
    return table.filter(mask)
