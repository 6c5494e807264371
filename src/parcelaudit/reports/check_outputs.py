"""A check run's files: findings.csv, decisions.csv, the report and manifest.json (recorded with the run)."""

from __future__ import annotations

import json
from pathlib import Path

from parcelaudit.csv_safety import write_batches, write_table
from parcelaudit.outputs import begin_outputs, write_manifest
from parcelaudit.pipeline.changes import CHANGED_COLUMNS
from parcelaudit.pipeline.result import DECISIONS_COLUMNS, FINDINGS_COLUMNS, CheckResult, list_snapshot_rows
from parcelaudit.reports.check_report import write_check_report
from parcelaudit.store import Store, utc_now
from parcelaudit.store.checks import read_run_for_report, record_check_outputs, stream_run


def write_outputs(
    result: CheckResult, out_dir: Path, *, report: bool = True, store: Store | None = None
) -> list[Path]:
    """Write findings.csv, decisions.csv, changed_decisions.csv (the decisions the run changed; spreadsheet-safe), report.html (+ report.pdf) and, last,
    manifest.json with their SHA-256 into out_dir; each file whole or absent (see parcelaudit.outputs).

    With a store, the files and their hashes are also recorded with the run (check_outputs). A result kept in
    the store only (run_check(keep_results=False)) is streamed from the store, a batch at a time.
    """
    if result.stored_only and (store is None or result.run_id is None):
        raise ValueError("a result kept in the store only is written from its store")
    out_dir = begin_outputs(out_dir)
    files = {
        "findings.csv": ("check_findings", FINDINGS_COLUMNS, result.findings),
        "decisions.csv": ("check_decisions", DECISIONS_COLUMNS, result.decisions),
        "changed_decisions.csv": ("check_changed_decisions", CHANGED_COLUMNS, result.changed),
    }
    paths = []
    for name, (table, columns, held) in files.items():
        if held is None and not result.stored_only:
            continue
        path = out_dir / name
        # In memory the tables are in canonical order (evaluate); the store streams them in the same order,
        # so the files are byte-reproducible either way.
        if result.stored_only:
            write_batches(path, columns, stream_run(store, table, result.run_id, columns))
        else:
            write_table(path, held.select(columns))
        paths.append(path)
    if report:
        tables = read_run_for_report(store, result.run_id) if result.stored_only else None
        paths += write_check_report(result, out_dir, tables)
    manifest = write_manifest(
        out_dir,
        paths,
        command="check",
        run_id=result.run_id,
        written_at=utc_now(),
        list_snapshots=list_snapshot_rows(result.list_snapshots),
    )
    if store is not None and result.run_id is not None:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        record_check_outputs(store, result.run_id, str(out_dir.resolve()), files)
    return [*paths, manifest]
