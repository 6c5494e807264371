"""`parcelaudit demo` end to end on a small dataset: every stage runs and writes what it promises."""

from __future__ import annotations

import os
import subprocess
import sys

from parcelaudit.store import Store


def test_demo_runs_every_stage_and_writes_reports(store_target, tmp_path):
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "parcelaudit",
            "demo",
            "--out",
            "demo",
            "--parcels",
            "3000",
            "--db",
            store_target,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped" not in result.stderr, result.stderr
    out = tmp_path / "demo"
    with Store.open(store_target, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM shipments") == 3000
        assert store.scalar("SELECT count(*) FROM trace_verdicts") > 0
        assert store.scalar("SELECT count(*) FROM audit_results") > 0
    for name in ("findings.csv", "decisions.csv", "report.html"):
        assert (out / "check" / name).stat().st_size > 0
    pdfs = sorted(p.relative_to(out).parts[0] for p in out.rglob("*.pdf"))
    assert {"check", "trace", "origin", "audit"} <= set(pdfs)
    assert all(p.read_bytes().startswith(b"%PDF") for p in out.rglob("*.pdf"))
    assert "hold" in result.stdout and "duty owed" in result.stdout
