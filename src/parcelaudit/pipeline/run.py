"""A check run against the store: read the inputs, evaluate, store the results (parcelaudit.store.checks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from parcelaudit.decide import SeverityPolicy, load_severity_policy
from parcelaudit.hashing import file_sha256
from parcelaudit.pipeline.evaluate import evaluate
from parcelaudit.pipeline.result import CheckResult
from parcelaudit.reference.currency import load_rates_file
from parcelaudit.store import Store, utc_now
from parcelaudit.store.checks import CheckRunRecord, read_check_inputs, save_check_run
from parcelaudit.store.traces import read_trace_verdicts
from parcelaudit.tracing.link import sku_verdict_table


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
) -> CheckResult:
    """Check the shipments arriving in [date_from, date_to] (all when None) and store the run's results.

    rates: a rates file (date,currency,usd_per_unit); without one, the ECB reference series (approximate).
    dispositions: an analysts' decisions CSV (screen-dispose); false positives on unchanged entries are dropped."""
    started_at = utc_now()
    severity = policy if isinstance(policy, SeverityPolicy) else load_severity_policy(policy)
    if progress:
        progress("reading")
    inputs = read_check_inputs(store, date_from, date_to)
    traces = sku_verdict_table(read_trace_verdicts(store))
    decided = _load_dispositions(dispositions) if dispositions is not None else None
    result = evaluate(
        inputs.shipments,
        inputs.lines,
        inputs.orders,
        policy=severity,
        screening=screening,
        scope=inputs.scope,
        progress=progress,
        traces=traces if traces.num_rows else None,
        rates=load_rates_file(rates) if rates else None,
        dispositions=decided,
    )
    if dispositions is not None:
        result.dispositions_used = dispositions_record(dispositions, decided or [])
    if persist:
        result.run_id = store_result(store, result, started_at, date_from, date_to)
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
        _run_record(result, started_at, date_from, date_to),
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
    result: CheckResult, started_at, date_from: date | None, date_to: date | None
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
    )
