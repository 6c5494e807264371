"""A check run against the store, partition by partition: plan the partitions (store.checks.plan_partitions),
read each one's inputs with the context its group rules need, evaluate, store its results, and mark the run
complete at the end (one transaction: an interrupted run leaves nothing). Incremental runs (`since`) judge
the parcels imported after a point plus the groups they join, and report every decision they change."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.decide import SeverityPolicy, load_severity_policy
from parcelaudit.hashing import file_sha256
from parcelaudit.parallel import worker_pool
from parcelaudit.pipeline.changes import CHANGED_SCHEMA, changed_decisions
from parcelaudit.pipeline.evaluate import evaluate
from parcelaudit.pipeline.result import FINDINGS_ORDER, CheckResult, canonical_order
from parcelaudit.pipeline.screen import RunScreener
from parcelaudit.pipeline.summary import summary_of_figures
from parcelaudit.reference.currency import load_rates_file
from parcelaudit.store import Store, utc_now
from parcelaudit.store.checks import (
    DEFAULT_ROW_BUDGET,
    CheckRunRecord,
    begin_check_run,
    current_judgements,
    day_counts,
    finish_check_run,
    judged_since,
    newest_import,
    plan_partitions,
    read_scope_inputs,
    run_figures,
    save_changed_decisions,
    save_check_results,
    save_check_run,
    since_condition,
    staged_scope_condition,
)
from parcelaudit.store.memory import capped_memory
from parcelaudit.store.traces import read_trace_verdicts
from parcelaudit.tracing.link import sku_verdict_table

_IDS = "check_scope_ids"
# DuckDB's own memory while a run reads its partitions and holds its uncommitted results (past it, spilled).
CHECK_MEMORY_LIMIT = "1GB"
# The shipment columns a run keeps for its report (the rest of each partition's context is dropped).
_REPORT_COLUMNS = ["shipment_id", "arrival_date", "seller_name"]


@dataclass(frozen=True)
class _Unit:
    """One partition of a run: the SQL condition on shipments selecting the parcels it judges."""

    sql: str
    params: list
    ids: pa.Table | None = None  # staged as check_scope_ids while the unit runs (incremental runs)


def run_check(
    store: Store,
    date_from: date | None = None,
    date_to: date | None = None,
    policy: Path | str | SeverityPolicy | None = None,
    *,
    screening: bool = True,
    persist: bool = True,
    progress: Callable[[str], None] | None = None,
    rates: Path | str | None = None,
    dispositions: Path | None = None,
    since: str | None = None,
    row_budget: int = DEFAULT_ROW_BUDGET,
    keep_results: bool = True,
    workers: int | None = None,
) -> CheckResult:
    """Check the shipments arriving in [date_from, date_to] (all when None) and store the run's results.

    The store is judged in partitions of about row_budget parcels (whole days, or a large day split by
    consignee house number), each with the context its group rules need, so memory follows the budget and not
    the store; the results are the same as one pass over the window. progress receives "partition 3/16" as
    each partition starts, then the steps of evaluate().
    since: judge only the parcels imported after 'last' (the latest run), a run id or an ISO timestamp, plus
    the groups they join (store.checks.judged_since); result.changed lists every decision the run changed.
    keep_results: False keeps nothing of the partitions in memory (persist only): the result's tables are empty
    and its summary comes from the store; outputs are then written from the store (reports.check_outputs).
    rates: a rates file (date,currency,usd_per_unit); without one, the ECB reference series (approximate).
    dispositions: an analysts' decisions CSV (screen-dispose); false positives on unchanged entries are dropped.
    workers: processes for the run's CPU-bound steps (parcelaudit.parallel; None: PARCELAUDIT_WORKERS, else 1);
    the results are the same for any number."""
    if not (persist or keep_results):
        raise ValueError("a run that is not stored must keep its results")
    started_at = utc_now()
    severity = policy if isinstance(policy, SeverityPolicy) else load_severity_policy(policy)
    last_import = newest_import(store)
    traces = sku_verdict_table(read_trace_verdicts(store))
    decided = _load_dispositions(dispositions) if dispositions is not None else None
    rates_table = load_rates_file(rates) if rates else None
    screener = RunScreener() if screening else None
    with (
        worker_pool(workers),
        capped_memory(store, CHECK_MEMORY_LIMIT),
        store.transaction() if persist else nullcontext(),
    ):
        units = _plan(store, date_from, date_to, since, row_budget)
        run_id = begin_check_run(store) if persist else None
        parts: dict[str, list[pa.Table]] = {"f": [], "d": [], "l": [], "s": [], "c": []}
        result = None
        timings: dict[str, float] = {}
        changed_count = 0
        for number, unit in enumerate(units, 1):
            if progress:
                progress(f"partition {number}/{len(units)}")
            with store.staged(_IDS, unit.ids) if unit.ids is not None else nullcontext():
                inputs = read_scope_inputs(store, unit.sql, unit.params)
                before = current_judgements(store, unit.sql, unit.params)
            result = evaluate(
                inputs.shipments,
                inputs.lines,
                inputs.orders,
                policy=severity,
                screening=screening,
                scope=inputs.scope,
                progress=progress,
                traces=traces if traces.num_rows else None,
                rates=rates_table,
                screener=screener,
                dispositions=decided,
            )
            changed = changed_decisions(before, result.decisions)
            if persist:
                save_check_results(store, run_id, result.findings, result.decisions, result.line_duty)
                save_changed_decisions(store, run_id, changed)
            for step, seconds in result.timings.items():
                timings[step] = timings.get(step, 0.0) + seconds
            changed_count += changed.num_rows
            if keep_results:
                parts["f"].append(result.findings)
                parts["d"].append(result.decisions)
                parts["s"].append(_judged(result.shipments, inputs.scope))
                parts["c"].append(changed)
                parts["l"].append(result.line_duty)
        if result is None:
            result = _empty_result(store, severity, screening)
        else:
            result = _run_result(result, parts if keep_results else None, store, run_id)
        result.timings = timings or result.timings
        result.changed_count = changed_count
        result.run_id = run_id if units or since is None else None
        result.since = since
        result.partitions = len(units)
        if dispositions is not None:
            result.dispositions_used = dispositions_record(dispositions, decided or [])
        if persist and (units or since is None):  # an incremental run with nothing new stores no run
            record = _run_record(result, started_at, date_from, date_to, last_import, since)
            finish_check_run(store, run_id, record, result.list_snapshots, result.dispositions_used)
    return result


def _plan(
    store: Store, date_from: date | None, date_to: date | None, since: str | None, row_budget: int
) -> list[_Unit]:
    """The run's partitions: the window's days (plan_partitions), or the shipments an incremental run judges."""
    if since is not None:
        new_sql, params = since_condition(store, since)
        judged = judged_since(store, new_sql, params)
        if judged.num_rows == 0:
            return []
        sql, params = staged_scope_condition(_IDS, date_from, date_to)
        return [_Unit(sql, params, judged)]
    plan = plan_partitions(day_counts(store, date_from, date_to), row_budget)
    return [_Unit(*p.condition()) for p in plan]


def _judged(shipments: pa.Table, scope: pa.ChunkedArray) -> pa.Table:
    """The report's columns of the shipments a partition judged (its context dropped)."""
    keep = pc.is_in(shipments["shipment_id"], value_set=scope.combine_chunks())
    columns = [c for c in [*_REPORT_COLUMNS, "value_basis"] if c in shipments.column_names]
    return shipments.filter(keep).select(columns)


def _run_result(
    last: CheckResult, parts: dict[str, list[pa.Table]] | None, store: Store, run_id: int | None
) -> CheckResult:
    """One CheckResult for the run (policy and sources of the last partition): the partitions' tables joined
    in canonical order, or, with parts None (nothing kept), empty tables and the summary of the stored run."""

    def joined(key: str, template: pa.Table, order: list[str]) -> pa.Table:
        if parts is None or not parts[key]:
            return template.slice(0, 0)
        return canonical_order(pa.concat_tables(parts[key]), order)

    result = CheckResult(
        findings=joined("f", last.findings, FINDINGS_ORDER),
        decisions=joined("d", last.decisions, ["shipment_id"]),
        line_duty=joined("l", last.line_duty, ["shipment_id", "line_no"]),
        shipments=pa.concat_tables(parts["s"]) if parts else last.shipments.slice(0, 0),
        policy=last.policy,
        hts_source=last.hts_source,
        hts_complete=last.hts_complete,
        screening=last.screening,
        list_snapshots=last.list_snapshots,
        changed=joined("c", CHANGED_SCHEMA.empty_table(), ["shipment_id"]),
        stored_only=parts is None,
    )
    if parts is None:
        result._summary = summary_of_figures(run_figures(store, run_id))
    return result


def _empty_result(store: Store, severity: SeverityPolicy, screening: bool) -> CheckResult:
    """The result of a run that had nothing to judge (evaluate() over no shipments)."""
    inputs = read_scope_inputs(store, "FALSE", [])
    result = evaluate(inputs.shipments, inputs.lines, inputs.orders, policy=severity, screening=False)
    result.screening = screening
    result.changed = CHANGED_SCHEMA.empty_table()
    return result


def dispositions_record(path: Path, decided: list) -> dict:
    """What a run records of the dispositions file it applied: its path, SHA-256 and number of decisions."""
    return {"source": str(Path(path).resolve()), "sha256": file_sha256(Path(path)), "decisions": len(decided)}


def store_result(
    store: Store, result: CheckResult, started_at, date_from: date | None, date_to: date | None
) -> int:
    """Save a result as one check run (check_runs and its findings, decisions, duty lines, list snapshots and
    dispositions, store.checks.save_check_run); its run id."""
    return save_check_run(
        store,
        _run_record(result, started_at, date_from, date_to, None, None),
        result.findings,
        result.decisions,
        result.line_duty,
        result.list_snapshots,
        result.dispositions_used,
    )


def _load_dispositions(path: Path) -> list:
    """Analysts' decisions from a dispositions CSV (the screening package reads and checks it)."""
    from parcelaudit.screening.dispositions import load_dispositions

    return load_dispositions(Path(path))


def _run_record(
    result: CheckResult,
    started_at,
    date_from: date | None,
    date_to: date | None,
    last_import: int | None,
    since: str | None,
) -> CheckRunRecord:
    """The check_runs row of a result: what it read, with what policy and schedule, and its figures."""
    policy_path = Path(result.policy.source) if result.policy else None
    summary = result.summary()
    return CheckRunRecord(
        started_at=started_at,
        date_from=date_from,
        date_to=date_to,
        policy_source=result.policy.source if result.policy else "",
        policy_sha256=file_sha256(policy_path) if policy_path and policy_path.exists() else "",
        hts_source=result.hts_source,
        hts_complete=result.hts_complete,
        screening=result.screening,
        shipments=summary.shipments,
        findings=summary.findings,
        held=summary.held,
        reviewed=summary.reviewed,
        released=summary.released,
        rules_seconds=result.rules_seconds,
        last_import_id=last_import,
        since=since,
    )
