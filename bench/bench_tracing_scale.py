"""Tracing at volume: validate and trace one EPCIS document of a garment season at 10k, 100k and 1M events.

The documents come from parcelaudit.generate.supply_season (16 events per seed-cotton lot, every garment lot
one product, so the trace walks the whole document; 10 of the 56 sites are in Xinjiang, so the verdict is
"exposed"). Each run is a fresh process; the figures are its wall time, CPU time and peak RSS (CPU and
peak from the kernel's accounting of the child, os.wait4). `trace-validate` is the streaming validation alone, `trace` the whole job (validation, graph, analysis, verdict.json, dossier HTML,
PDF and annexes). Issue 16's target: 1,000,000 events traced in under 2 minutes and 2 GiB.

Sizes: TRACING_SCALE_EVENTS (comma-separated, default 10000,100000,1000000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from parcelaudit.generate.supply_season import PRODUCT_GTIN, write_facilities, write_season

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
TARGET_SECONDS, TARGET_MIB = 120.0, 2048.0


def _sizes() -> list[int]:
    raw = os.environ.get("TRACING_SCALE_EVENTS")
    return [int(x) for x in raw.split(",")] if raw else list(DEFAULT_SIZES)


def _run(args: list[str]) -> dict:
    """Run `python -m parcelaudit ARGS` in a child process: its wall seconds, CPU seconds (user + system,
    from the kernel's accounting: the figure to compare when the machine is loaded) and peak RSS (the
    kernel's high-water mark, not a poll)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "parcelaudit", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    return {
        "exit": child.returncode,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mib": round(usage.ru_maxrss / 1024),  # ru_maxrss is in KiB on Linux
        "error": stderr.strip().splitlines()[-1] if child.returncode and stderr.strip() else "",
    }


def run(work_dir: Path) -> dict:
    """Generate each document, then time streaming validation and the whole trace of it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()
    facilities = write_facilities(work_dir / "facilities.csv")
    rows = []
    for events in _sizes():
        document = work_dir / f"season_{events}.json"
        written = write_season(document, events)
        validate = _run(["trace-validate", str(document)])
        out = work_dir / f"trace_{events}"
        traced = _run(
            [
                "trace",
                str(document),
                "--product",
                PRODUCT_GTIN,
                "--out",
                str(out),
                "--facilities",
                str(facilities),
            ]
        )
        verdict = ""
        if (out / "verdict.json").is_file():
            verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))["verdict"]
        rows.append(
            {
                "events": written["events"],
                "document_mib": round(document.stat().st_size / 2**20, 1),
                "validate": validate,
                "trace": traced,
                "verdict": verdict,
            }
        )
        document.unlink()
    return {
        "rows": rows,
        "load_average_at_start": load_at_start,
        "load_average": os.getloadavg(),
        "target": {"seconds": TARGET_SECONDS, "mib": TARGET_MIB},
    }


def summarize(result: dict) -> str:
    """Markdown table of time and memory per size."""
    lines = [
        "| events | document MiB | validate s | validate CPU s | validate peak MiB | trace s | trace CPU s "
        "| trace peak MiB | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        v, t = row["validate"], row["trace"]
        lines.append(
            f"| {row['events']:,} | {row['document_mib']} | {v['seconds']} | {v.get('cpu_seconds', '')} | "
            f"{v['peak_mib']:,} | {t['seconds']} | {t.get('cpu_seconds', '')} | {t['peak_mib']:,} | "
            f"{row['verdict'] or t['error']} |"
        )
    load = ", ".join(f"{x:.1f}" for x in result["load_average"])
    start = ", ".join(f"{x:.1f}" for x in result.get("load_average_at_start", ()))
    lines.append(
        f"\nTarget (issue 16): 1,000,000 events in < 2 min and < 2 GiB. Load average at the start: {start}; "
        f"at the end: {load}. On a loaded machine compare CPU seconds, not wall seconds."
    )
    return "\n".join(lines)
