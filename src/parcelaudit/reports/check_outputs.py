"""A check run's files: findings.csv, decisions.csv, the report and manifest.json (recorded with the run)."""

from __future__ import annotations

import json
from pathlib import Path

from parcelaudit.csv_safety import write_table
from parcelaudit.outputs import begin_outputs, write_manifest
from parcelaudit.pipeline.changes import CHANGED_COLUMNS
from parcelaudit.pipeline.result import DECISIONS_COLUMNS, FINDINGS_COLUMNS, CheckResult, list_snapshot_rows
from parcelaudit.reports.check_report import write_check_report
from parcelaudit.store import Store, utc_now
from parcelaudit.store.checks import record_check_outputs


def write_outputs(
    result: CheckResult, out_dir: Path, *, report: bool = True, store: Store | None = None
) -> list[Path]:
    """Write findings.csv, decisions.csv, changed_decisions.csv (the decisions the run changed; spreadsheet-safe), report.html (+ report.pdf) and, last,
    manifest.json with their SHA-256 into out_dir; each file whole or absent (see parcelaudit.outputs).

    With a store, the files and their hashes are also recorded with the run (check_outputs).
    """
    out_dir = begin_outputs(out_dir)
    findings_path, decisions_path = out_dir / "findings.csv", out_dir / "decisions.csv"
    # The result's tables are already in canonical order (evaluate), so the files are byte-reproducible.
    write_table(findings_path, result.findings.select(FINDINGS_COLUMNS))
    write_table(decisions_path, result.decisions.select(DECISIONS_COLUMNS))
    paths = [findings_path, decisions_path]
    if result.changed is not None:
        changed_path = out_dir / "changed_decisions.csv"
        write_table(changed_path, result.changed.select(CHANGED_COLUMNS))
        paths.append(changed_path)
    if report:
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
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        record_check_outputs(store, result.run_id, str(out_dir.resolve()), files)
    return [*paths, manifest]
