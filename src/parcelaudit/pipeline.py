"""Compose the check stage: read from the store, run the rules, screening, duty and decisions, persist, write.

`evaluate` is the pure part (Arrow in, Arrow out); `run_check` adds the store; `write_outputs` the files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.csv_safety import write_table
from parcelaudit.decide import DECISIONS, SeverityPolicy, decide_relations, load_severity_policy
from parcelaudit.hashing import file_sha256
from parcelaudit.outputs import begin_outputs, write_manifest
from parcelaudit.reference.currency import load_rates_file
from parcelaudit.reference.hts import HtsSchedule, normalise_hts
from parcelaudit.rules.context import FINDING_SCHEMA, RuleContext, conform
from parcelaudit.rules.duty import line_duty_table, shipment_duty_sql
from parcelaudit.rules.parties import party_screener, screen_parties
from parcelaudit.rules.policy import Policy
from parcelaudit.rules.registry import all_rules
from parcelaudit.rules.values import money_in_usd
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS
from parcelaudit.store import utc_now
from parcelaudit.tracing.link import sku_verdict_table

FINDINGS_COLUMNS = ["shipment_id", "line_no", "rule_id", "severity", "message", "citation", "evidence"]
DECISIONS_COLUMNS = ["shipment_id", "decision", "reasons", "duty_owed", "duty_at_risk"]
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
BATCH_ROWS = 250_000


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

    @property
    def rules_seconds(self) -> float:
        """Seconds spent on rules, duty and decisions (screening excluded)."""
        return sum(v for k, v in self.timings.items() if k != "screening")

    def counts(self) -> dict[str, int]:
        """Shipments per decision."""
        found = _tally(self.decisions["decision"])
        return {d: found.get(d, 0) for d in DECISIONS}

    def findings_per_rule(self) -> dict[str, int]:
        """Findings per rule id, most first (ties by rule id)."""
        return dict(sorted(_tally(self.findings["rule_id"]).items(), key=lambda pair: (-pair[1], pair[0])))


def _tally(column: pa.ChunkedArray) -> dict[str, int]:
    """How often each value occurs in a column (vectorised: no Python list of a million values)."""
    counted = pc.value_counts(column)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True))


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
    screener: object | None = None,
    dispositions: list | None = None,
) -> CheckResult:
    """Run every rule (or rule_ids), screening, duty and decisions; scope limits which shipments are reported.

    traces: supply-chain verdicts by SKU (parcelaudit.tracing.link.sku_verdict_table), for FL-TRACE.
    rates: exchange rates (a rates file path or table; None: the ECB reference series), see rules.values.
    screener: the restricted-list screener (None: the downloaded or bundled lists); dispositions: analysts'
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
    snapshots: list[dict] = []
    try:
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
            screener = screener if screener is not None else party_screener()
            parts.append(screen_parties(ctx, screener, dispositions))
            snapshots = screener.snapshots() if screener is not None else []
            timings["screening"] = time.perf_counter() - started
        findings = pa.concat_tables(parts) if parts else FINDING_SCHEMA.empty_table()
        if progress:
            progress("duty and decisions")
        started = time.perf_counter()
        line_duty = line_duty_table(ctx)
        ctx.con.register("run_findings", findings)
        ctx.con.execute(f"CREATE TEMP TABLE shipment_duty AS {shipment_duty_sql(ctx, 'run_findings')}")
        ids = "shipment_duty"  # one row per shipment
        if scope is not None:
            in_scope = pa.table({"shipment_id": scope})
            ctx.con.register("scope_ids", in_scope)
            ids = "scope_ids"
            findings = _restrict(findings, in_scope)
            line_duty = _restrict(line_duty, in_scope)
            ctx.con.register("run_findings", findings)
        rated, decisions = decide_relations(ctx.con, ids, "run_findings", "shipment_duty", policy)
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


def canonical_order(table: pa.Table, keys: list[str]) -> pa.Table:
    """The table sorted by keys (nulls first): DuckDB returns rows in thread order, outputs need one order."""
    order = pc.sort_indices(table, sort_keys=[(k, "ascending", "at_start") for k in keys])
    return table.take(order)


def _restrict(table: pa.Table, in_scope: pa.Table) -> pa.Table:
    mask = pc.is_in(table["shipment_id"], value_set=in_scope["shipment_id"].combine_chunks())
    return table.filter(mask)


def _read_batches(store, sql: str, params: list) -> pa.Table:
    """Stream a query's result in Arrow record batches (bounded memory per batch) into one table."""
    reader = store.con.sql(sql, params=params or None).to_arrow_reader(BATCH_ROWS)
    return pa.Table.from_batches(list(reader), schema=reader.schema)


def load_inputs(
    store, date_from: date | None = None, date_to: date | None = None
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Array]:
    """Shipments in the window plus the other parcels of their orders (group rules need them), their lines,
    their orders, and the ids of the shipments in the window."""
    window = "arrival_date BETWEEN coalesce(?, DATE '0001-01-01') AND coalesce(?, DATE '9999-12-31')"
    cols = ", ".join(SHIPMENTS.names)
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE check_scope AS
        SELECT shipment_id FROM shipments WHERE {window}
    """,
        [date_from, date_to],
    )
    shipments = _read_batches(
        store,
        f"""
        SELECT {cols} FROM shipments WHERE {window}
           OR order_id IN (SELECT order_id FROM shipments WHERE {window} AND order_id IS NOT NULL)
    """,
        [date_from, date_to, date_from, date_to],
    )
    store.con.register("check_ids", shipments.select(["shipment_id", "order_id"]))
    lines = _read_batches(
        store,
        f"SELECT {', '.join('l.' + c for c in LINES.names)} FROM lines l "
        "SEMI JOIN check_ids USING (shipment_id)",
        [],
    )
    orders = _read_batches(
        store,
        f"SELECT {', '.join('o.' + c for c in ORDERS.names)} FROM orders o "
        "WHERE o.order_id IN (SELECT order_id FROM check_ids)",
        [],
    )
    scope = store.con.sql("SELECT shipment_id FROM check_scope").to_arrow_table()["shipment_id"]
    store.con.unregister("check_ids")
    return shipments, lines, orders, scope


def run_check(
    store,
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
    shipments, lines, orders, scope = load_inputs(store, date_from, date_to)
    traces = sku_verdict_table(store)
    decided = _load_dispositions(dispositions) if dispositions is not None else None
    result = evaluate(
        shipments,
        lines,
        orders,
        policy=severity,
        screening=screening,
        scope=scope,
        progress=progress,
        traces=traces if traces.num_rows else None,
        rates=load_rates_file(rates) if rates else None,
        dispositions=decided,
    )
    if dispositions is not None:
        result.dispositions_used = {
            "source": str(Path(dispositions).resolve()),
            "sha256": file_sha256(Path(dispositions)),
            "decisions": len(decided or []),
        }
    if persist:
        result.run_id = _persist(store, result, started_at, date_from, date_to)
    return result


def _load_dispositions(path: Path) -> list:
    """Analysts' decisions from a dispositions CSV (the screening package reads and checks it)."""
    from parcelaudit.screening.dispositions import load_dispositions

    return load_dispositions(Path(path))


def list_snapshot_rows(snapshots: list[dict]) -> list[dict]:
    """What a run records and shows of each list snapshot: list, source, date and its basis, SHA-256, entries."""
    keys = ("list", "source", "snapshot_date", "date_basis", "sha256", "entries")
    return [{k: snap.get(k) for k in keys} for snap in snapshots]


def _persist(
    store, result: CheckResult, started_at: datetime, date_from: date | None, date_to: date | None
) -> int:
    policy_path = Path(result.policy.source) if result.policy else None
    digest = file_sha256(policy_path) if policy_path and policy_path.exists() else ""
    counts = result.counts()
    with store.transaction():
        con = store.con
        run_id = con.execute("SELECT nextval('check_run_seq')").fetchall()[0][0]
        con.execute(
            "INSERT INTO check_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                started_at,
                utc_now(),
                date_from,
                date_to,
                result.policy.source if result.policy else "",
                digest,
                result.hts_source,
                result.hts_complete,
                result.screening,
                result.decisions.num_rows,
                result.findings.num_rows,
                counts["hold"],
                counts["review"],
                counts["release"],
                result.rules_seconds,
            ],
        )
        con.register("run_f", result.findings)
        con.execute(
            "INSERT INTO check_findings SELECT ?, shipment_id, line_no, rule_id, severity, variant, "
            "message, citation, evidence FROM run_f",
            [run_id],
        )
        con.register("run_d", result.decisions)
        con.execute(
            "INSERT INTO check_decisions SELECT ?, shipment_id, decision, reasons, duty_owed, duty_at_risk "
            "FROM run_d",
            [run_id],
        )
        con.register("run_l", result.line_duty)
        con.execute(
            "INSERT INTO check_duty_lines SELECT ?, shipment_id, line_no, hts, origin, rate, duty, "
            "verified, measures FROM run_l",
            [run_id],
        )
        for snap in result.list_snapshots:
            con.execute(
                "INSERT INTO check_list_snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    snap["list"],
                    snap["source"] or "",
                    snap["snapshot_date"],
                    snap["date_basis"],
                    snap["sha256"],
                    json.dumps(snap["files"]),
                    snap["entries"],
                ],
            )
        used = result.dispositions_used
        if used is not None:
            con.execute(
                "INSERT INTO check_dispositions VALUES (?, ?, ?, ?)",
                [run_id, used["source"], used["sha256"], used["decisions"]],
            )
        for name in ("run_f", "run_d", "run_l"):
            con.unregister(name)
    return run_id


def write_outputs(result: CheckResult, out_dir: Path, *, report: bool = True, store=None) -> list[Path]:
    """Write findings.csv, decisions.csv (spreadsheet-safe), report.html (+ report.pdf) and, last,
    manifest.json with their SHA-256 into out_dir; each file whole or absent (see parcelaudit.outputs).

    With a store, the files and their hashes are also recorded with the run (check_outputs).
    """
    out_dir = begin_outputs(out_dir)
    findings_path, decisions_path = out_dir / "findings.csv", out_dir / "decisions.csv"
    # The result's tables are already in canonical order (evaluate), so the files are byte-reproducible.
    write_table(findings_path, result.findings.select(FINDINGS_COLUMNS))
    write_table(decisions_path, result.decisions.select(DECISIONS_COLUMNS))
    paths = [findings_path, decisions_path]
    if report:
        from parcelaudit.reports.check_report import write_check_report

        paths += write_check_report(result, out_dir)
    manifest = write_manifest(
        out_dir,
        paths,
        command="check",
        run_id=result.run_id,
        written_at=utc_now(),
        list_snapshots=list_snapshot_rows(result.list_snapshots),
    )
    if store is not None and result.run_id is not None:
        _record_outputs(store, result.run_id, out_dir, manifest)
    return [*paths, manifest]


def _record_outputs(store, run_id: int, out_dir: Path, manifest: Path) -> None:
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    folder = str(out_dir.resolve())
    with store.transaction():
        con = store.con
        for entry in files:
            con.execute(
                "INSERT INTO check_outputs VALUES (?, ?, ?, ?, ?)",
                [run_id, folder, entry["name"], entry["bytes"], entry["sha256"]],
            )


def demo_check(store, out_dir: Path) -> list[Path]:
    """Demo hook: check the whole store, write the outputs into out_dir, return their paths."""
    result = run_check(store)
    return write_outputs(result, Path(out_dir), store=store)


def explain_shipment(
    store, shipment_id: str, policy: Path | str | None = None, rates: Path | str | None = None
) -> dict:
    """Everything behind one parcel's decision: its data, the rules in force on its date, findings, duty.

    Uses the latest stored check run that judged the parcel; without one, checks the parcel's arrival
    day (and the other parcels of its order) now, without storing the result.
    """
    from parcelaudit.duty.coverage import measures_in_force
    from parcelaudit.errors import ParcelAuditError
    from parcelaudit.rules.duty import quote_parts
    from parcelaudit.rules.policy import load_policy

    rows = store.read_table("shipments", "shipment_id = ?", [shipment_id]).to_pylist()
    if not rows:
        raise ParcelAuditError(
            f"no shipment {shipment_id!r} in the store",
            file=store.location,
            field="shipment_id",
            hint="check the id, or ingest the data first",
        )
    shipment = rows[0]
    lines = store.read_table("lines", "shipment_id = ? ORDER BY line_no", [shipment_id]).to_pylist()
    run = store.con.execute(
        "SELECT max(run_id) FROM check_decisions WHERE shipment_id = ?", [shipment_id]
    ).fetchall()[0][0]
    if run is not None:
        key = "run_id = ? AND shipment_id = ?"
        findings = store.read_table(
            "check_findings", f"{key} ORDER BY rule_id, line_no", [run, shipment_id]
        ).to_pylist()
        decision = store.read_table("check_decisions", key, [run, shipment_id]).to_pylist()[0]
        duty = store.read_table("check_duty_lines", f"{key} ORDER BY line_no", [run, shipment_id]).to_pylist()
        for line in duty:
            line["measures"] = line.pop("components")
    else:
        day = shipment["arrival_date"]
        result = run_check(store, day, day, policy, persist=False, rates=rates)
        keep = pc.equal(result.findings["shipment_id"], shipment_id)
        findings = result.findings.filter(keep).to_pylist()
        decision = result.decisions.filter(
            pc.equal(result.decisions["shipment_id"], shipment_id)
        ).to_pylist()[0]
        duty = result.line_duty.filter(pc.equal(result.line_duty["shipment_id"], shipment_id)).to_pylist()
    severity = load_severity_policy(policy)
    [money], money_lines = money_in_usd(
        conform(pa.Table.from_pylist(rows), SHIPMENTS.arrow_schema),
        conform(pa.Table.from_pylist(lines), LINES.arrow_schema),
        load_rates_file(rates) if rates else None,
        int(severity.settings.max_rate_age_days),
    )
    usd_of_line = {line["line_no"]: line for line in money_lines}
    for line in lines:
        line["value_usd"] = usd_of_line[line["line_no"]]["value"]
        line["value_basis"] = usd_of_line[line["line_no"]]["value_basis"]
    data = load_policy()
    on = shipment["arrival_date"]
    for line in duty:
        line["parts"] = quote_parts(line["hts"], line["origin"], on)
    origins = sorted({line["country_of_origin"] or shipment["country_of_shipment"] for line in lines})
    codes = [normalise_hts(line["hts_code"] or "") for line in lines]

    def applies(row: dict) -> bool:
        prefix = row.get("hts_prefix", "*")
        return prefix == "*" or any(code.startswith(prefix) for code in codes)

    in_force = {
        "de_minimis_thresholds": [
            r
            for r in data.in_force("de_minimis_thresholds", on)
            if r["country"] in ("*", shipment["country_of_shipment"])
        ],
        "de_minimis_suspensions": [
            r for r in data.in_force("de_minimis_suspensions", on) if r["country"] in ("*", *origins)
        ],
        "additional_duties": measures_in_force(on, origins, codes),
        "excluded_goods": [r for r in data.in_force("excluded_goods", on) if applies(r)],
        "uflpa_sectors": [r for r in data.in_force("uflpa_sectors", on) if applies(r)],
    }
    rules = [(r.rule_id, r.scope, r.title, r.citation) for r in all_rules().values()]
    return {
        "shipment": shipment,
        "money": money,
        "lines": lines,
        "run_id": run,
        "findings": findings,
        "decision": decision,
        "duty": duty,
        "in_force": in_force,
        "rules": rules,
        **run_screening_sources(store, run),
    }


def run_screening_sources(store, run_id: int | None) -> dict:
    """The list snapshots a stored check run screened against and the dispositions file it applied
    (list_snapshots: rows of check_list_snapshots; dispositions: the check_dispositions row or None).
    Without a stored run: no snapshots and no dispositions."""
    if run_id is None:
        return {"list_snapshots": [], "dispositions": None}
    snapshots = store.read_table("check_list_snapshots", "run_id = ? ORDER BY list", [run_id]).to_pylist()
    used = store.read_table("check_dispositions", "run_id = ?", [run_id]).to_pylist()
    return {"list_snapshots": snapshots, "dispositions": used[0] if used else None}
