"""Spark engine benchmark: one generated arrival day judged by `check` on DuckDB (one process) and by
`check --engine spark` in local mode on 1 and 2 cores, from the same data (the store, and its
`export --parquet` folder); seconds, parcels/s, peak memory (the Spark figure is the whole process tree:
driver, JVM and Python workers), and whether the three runs decided every parcel alike.

A unit of the Spark engine is one arrival day, judged by one Python worker: one day cannot use a second
core, so the scaling from local[1] to local[2] shows on several days (PARCELAUDIT_BENCH_SPARK_DAYS).

Environment: PARCELAUDIT_BENCH_SPARK_PARCELS (default 4,000,000: a national day; set it lower on a loaded
machine), PARCELAUDIT_BENCH_SPARK_DAYS (default 1: the parcels spread over that many arrival days),
PARCELAUDIT_BENCH_SPARK_CORES (default "1,2": the local[N] masters to run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import psutil

from bench.generated import generated_store
from bench.memory import measure

PARCELS = int(os.environ.get("PARCELAUDIT_BENCH_SPARK_PARCELS", "4000000"))
DAYS = int(os.environ.get("PARCELAUDIT_BENCH_SPARK_DAYS", "1"))
CORES = [int(n) for n in os.environ.get("PARCELAUDIT_BENCH_SPARK_CORES", "1,2").split(",")]
# Before the 2025 suspensions, so the de minimis group rules (DM-AGG, DM-SPLIT) have work to do.
DAY, SEED = date(2025, 3, 3), 7


def _source(work_dir: Path) -> tuple[Path, Path]:
    """The generated days as a store and as its partitioned export, built once per generator version and size."""
    from parcelaudit.partitioned.export import export_parquet
    from parcelaudit.store import Store

    db = generated_store(work_dir, PARCELS, DAYS, DAY, SEED)
    parquet = db.parent / "parquet"
    if not (parquet / "manifest.json").exists():
        with Store.open(str(db), read_only=True) as store:
            export_parquet(store, parquet)
    return db, parquet


def _decisions(decisions) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in decisions["decision"].to_pylist():
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _duckdb(db: str) -> dict:
    from parcelaudit.pipeline import run_check
    from parcelaudit.store import Store

    with Store.open(db) as store:
        result = run_check(store, persist=False)
    return {"decisions": _decisions(result.decisions), "findings": result.findings.num_rows}


class _TreePeak:
    """The largest summed RSS of this process and its descendants (the JVM, Spark's Python workers)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.5):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def __enter__(self) -> _TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _spark(parquet: str, out: str, cores: int) -> dict:
    from parcelaudit.engines.spark import check_with_spark

    with _TreePeak() as tree:
        started = time.perf_counter()
        check, result = check_with_spark(Path(parquet), Path(out), master=f"local[{cores}]")
        seconds = time.perf_counter() - started
    return {
        "decisions": _decisions(result.decisions),
        "findings": result.findings.num_rows,
        "days": check.days,
        "inner_seconds": round(seconds, 2),
        "tree_peak_rss_mib": round(tree.peak / 2**20),
    }


def run(work_dir: Path) -> dict:
    """Build the day (cached), then time the DuckDB check and the Spark check on each local[N], each in a
    child process."""
    from parcelaudit.engines.spark import java_missing

    work_dir.mkdir(parents=True, exist_ok=True)
    reason = java_missing()
    if reason:
        return {"skipped": reason}
    db, parquet = _source(work_dir)
    load_before = os.getloadavg()
    local, seconds, peak = measure(_duckdb, str(db))
    runs = {
        "duckdb": {
            **local,
            "seconds": round(seconds, 2),
            "parcels_per_second": round(PARCELS / seconds),
            "peak_rss_mib": round(peak),
        },
    }
    for cores in CORES:
        out = work_dir / f"out_local{cores}"
        shutil.rmtree(out, ignore_errors=True)
        figures, seconds, _ = measure(_spark, str(parquet), str(out), cores)
        runs[f"spark_local_{cores}"] = {
            **figures,
            "seconds": round(seconds, 2),
            "parcels_per_second": round(PARCELS / seconds),
        }
    load_after = os.getloadavg()
    same = len({(r["findings"], tuple(r["decisions"].items())) for r in runs.values()}) == 1
    return {
        "parcels": PARCELS,
        "days": DAYS,
        "first_day": DAY.isoformat(),
        "runs": runs,
        "same_findings_and_decisions": same,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def summarize(result: dict) -> str:
    """Markdown lines for the summary."""
    if "skipped" in result:
        return f"Skipped: {result['skipped']}."
    rows = ["| engine | seconds | parcels/s | peak RSS MiB | findings |", "|---|---|---|---|---|"]
    for name, r in result["runs"].items():
        peak = r.get("peak_rss_mib", r.get("tree_peak_rss_mib"))
        rows.append(f"| {name} | {r['seconds']} | {r['parcels_per_second']:,} | {peak} | {r['findings']:,} |")
    runs = result["runs"]
    scaling = ""
    if "spark_local_1" in runs and "spark_local_2" in runs:
        scaling = f" local[1] -> local[2]: {runs['spark_local_1']['seconds'] / runs['spark_local_2']['seconds']:.2f}x."
    return "\n".join(
        [
            f"{result['parcels']:,} generated parcels arriving over {result['days']} day(s) from "
            f"{result['first_day']}, checked with screening by the "
            "local engine (DuckDB, one process; peak RSS of that process) and by Spark in local mode (peak RSS "
            "of driver, JVM and Python workers together).",
            "",
            *rows,
            "",
            f"Same findings and decisions on every engine: {result['same_findings_and_decisions']}.{scaling}",
            f"Load average (1, 5, 15 min) before: {result['load_average_before']}, "
            f"after: {result['load_average_after']} (2 cores shared): seconds are upper bounds.",
        ]
    )
