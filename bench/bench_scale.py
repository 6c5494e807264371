"""Scale benchmark (issue 16): check's peak memory as the store grows (flat within 25% is the target),
incremental latency for a batch of new parcels on a large store (ingest + `check --since last`, target < 5 s
for 10,000 on 4,000,000), and a national day end to end: generate + ingest + check with screening of one
day of parcels, with peak memory (target < 3 min and < 4 GiB for 4,000,000).

Each step runs in a fresh process (bench.memory.measure). Environment:
PARCELAUDIT_SCALE_SIZES  store sizes in parcels over 240 days, comma-separated (default 1000000,4000000)
PARCELAUDIT_SCALE_BATCH  parcels in the incremental batch, added to the largest store (default 10000; 0 skips):
                         two batches, each ingested and checked (`--since last`) in ONE process, as `watch` does;
                         the second batch's latency is the warm one (tariff schedule, lists, screener loaded)
PARCELAUDIT_SCALE_DAY    parcels in the end-to-end day (default 4000000; 0 skips)
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

from bench.generated import generator_version
from bench.memory import measure

START, DAYS = date(2025, 3, 1), 240
TABLES = ("shipments", "lines", "orders")


def _sizes() -> list[int]:
    return [int(n) for n in os.environ.get("PARCELAUDIT_SCALE_SIZES", "1000000,4000000").split(",") if n]


def _generate(folder: Path, parcels: int, days: int, seed: int) -> dict:
    from parcelaudit.generate import generate_dataset

    return generate_dataset(folder, parcels=parcels, days=days, start=START, seed=seed)


def _ingest(db: Path, folder: Path) -> dict:
    from parcelaudit.ingest import ingest_file
    from parcelaudit.store import Store

    stored = {}
    with Store.open(db) as store:
        for name in TABLES:
            result = ingest_file(store, folder / f"{name}.csv", rejects_dir=folder / "rejects")
            stored[name] = result.rows_read
    return stored


def _check(db: Path, screening: bool, since: str | None = None) -> dict:
    from parcelaudit.pipeline import run_check
    from parcelaudit.store import Store

    with Store.open(db) as store:
        started = time.perf_counter()
        result = run_check(store, screening=screening, since=since, keep_results=False)
        seconds = time.perf_counter() - started
    summary = result.summary()
    return {
        "run_seconds": round(seconds, 2),  # run_check alone (no process start, imports, store opening)
        "run_id": result.run_id,
        "partitions": result.partitions,
        "judged": summary.shipments,
        "findings": summary.findings,
        "held": summary.held,
        "changed": result.changed_count,
    }


def _batches(db: Path, folders: list[Path]) -> list[dict]:
    """Each folder ingested then checked (`--since last`, screening) in this one process, as `watch` runs:
    per batch the wall seconds and CPU seconds (process, all threads) of ingest and check, and the load."""
    from parcelaudit.ingest import ingest_file
    from parcelaudit.pipeline import run_check
    from parcelaudit.store import Store

    timed = []
    with Store.open(db) as store:
        for folder in folders:
            wall, cpu = time.perf_counter(), time.process_time()
            for name in TABLES:
                ingest_file(store, folder / f"{name}.csv", rejects_dir=folder / "rejects")
            ingested, ingest_cpu = time.perf_counter(), time.process_time()
            result = run_check(store, since="last", keep_results=False)
            done, done_cpu = time.perf_counter(), time.process_time()
            timed.append(
                {
                    "ingest_seconds": round(ingested - wall, 2),
                    "check_seconds": round(done - ingested, 2),
                    "seconds": round(done - wall, 2),
                    "ingest_cpu": round(ingest_cpu - cpu, 2),
                    "check_cpu": round(done_cpu - ingest_cpu, 2),
                    "judged": result.summary().shipments,
                    "changed": result.changed_count,
                    "load": _load(),
                }
            )
    return timed


def _step(name: str, target, *args) -> dict:
    value, seconds, peak = measure(target, *args)
    print(f"  {name}: {seconds:.1f} s, peak {peak:.0f} MiB, {value}", flush=True)
    return {"step": name, "seconds": round(seconds, 2), "peak_mib": round(peak), "result": value}


def _store(work: Path, parcels: int) -> tuple[Path, list[dict]]:
    """A DuckDB store of `parcels` generated parcels over 240 days, built once per generator version."""
    db = work / f"store_{parcels}_{generator_version()}.duckdb"
    steps = []
    if not db.exists():
        data = work / f"data_{parcels}"
        steps.append(_step(f"generate {parcels:,}", _generate, data, parcels, DAYS, 7))
        partial = db.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        steps.append(_step(f"ingest {parcels:,}", _ingest, partial, data))
        partial.rename(db)
        shutil.rmtree(data)
    return db, steps


def _load() -> list[float]:
    return [round(x, 1) for x in os.getloadavg()]


def run(work_dir: Path) -> dict:
    """Measure check memory per store size, incremental latency on the largest, and the national day."""
    work_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"load_before": _load(), "sizes": [], "incremental": None, "day": None}
    sizes = _sizes()
    for parcels in sizes:
        db, steps = _store(work_dir, parcels)
        check = _step(f"check {parcels:,} (no screening)", _check, db, False)
        result["sizes"].append({"parcels": parcels, "build": steps, "check": check, "load": _load()})
    batch = int(os.environ.get("PARCELAUDIT_SCALE_BATCH", "10000"))
    if batch and sizes:
        db, _ = _store(work_dir, max(sizes))
        copy = work_dir / "incremental.duckdb"
        shutil.copyfile(db, copy)
        folders = [work_dir / "batch1", work_dir / "batch2"]
        for seed, data in zip((29, 31), folders, strict=True):
            shutil.rmtree(data, ignore_errors=True)
            # another seed: other ids, on the store's first day (where 1/240 of the store arrived)
            _generate(data, batch, 1, seed)
        # the store holds the full check measured above, so --since last judges each batch and its groups
        step = _step(
            f"2 batches of {batch:,} new parcels, ingest + check --since last", _batches, copy, folders
        )
        result["incremental"] = {
            "store": max(sizes),
            "batch": batch,
            "steps": [step],
            "batches": step["result"],
            "latency_seconds": step["result"][-1]["seconds"],
            "load": _load(),
        }
        copy.unlink()
        for data in folders:
            shutil.rmtree(data)
    day = int(os.environ.get("PARCELAUDIT_SCALE_DAY", "4000000"))
    if day:
        data, db = work_dir / "day", work_dir / "day.duckdb"
        shutil.rmtree(data, ignore_errors=True)
        db.unlink(missing_ok=True)
        steps = [
            _step(f"generate a day of {day:,}", _generate, data, day, 1, 13),
            _step("ingest", _ingest, db, data),
            _step("check with screening", _check, db, True),
        ]
        result["day"] = {
            "parcels": day,
            "steps": steps,
            "seconds": round(sum(s["seconds"] for s in steps), 1),
            "peak_mib": max(s["peak_mib"] for s in steps),
            "load": _load(),
        }
        shutil.rmtree(data)
        db.unlink()
    result["load_after"] = _load()
    return result


def summarize(result: dict) -> str:
    """Markdown: check memory per store size, incremental latency, the national day."""
    lines = [
        f"Load average before {result['load_before']}, after {result['load_after']} (2 cores, shared): "
        "seconds are upper bounds.",
        "",
        "| store parcels | check seconds | check peak MiB | partitions |",
        "|---|---|---|---|",
    ]
    for size in result["sizes"]:
        c = size["check"]
        lines.append(
            f"| {size['parcels']:,} | {c['seconds']} | {c['peak_mib']} | {c['result']['partitions']} |"
        )
    if len(result["sizes"]) > 1:
        peaks = [s["check"]["peak_mib"] for s in result["sizes"]]
        lines.append(
            f"\nPeak memory, largest store over smallest: {peaks[-1] / peaks[0]:.2f}x (target <= 1.25x)."
        )
    inc = result.get("incremental")
    if inc:
        lines.append(
            f"\nIncremental: batches of {inc['batch']:,} new parcels on a store of {inc['store']:,}, ingested "
            "and checked (`--since last`, screening) in one process as `watch` runs; the second is warm "
            f"(target < 5 s): {inc['latency_seconds']} s; peak {inc['steps'][0]['peak_mib']} MiB."
        )
        for number, b in enumerate(inc["batches"], 1):
            lines.append(
                f"- batch {number}: ingest {b['ingest_seconds']} s (CPU {b['ingest_cpu']} s) + check "
                f"{b['check_seconds']} s (CPU {b['check_cpu']} s) = {b['seconds']} s; judged {b['judged']:,}, "
                f"changed {b['changed']}; load {b['load']}"
            )
    day = result.get("day")
    if day:
        lines.append(
            f"\nA day of {day['parcels']:,} parcels end to end: {day['seconds']} s, peak {day['peak_mib']} MiB "
            f"(target < 180 s, < 4096 MiB); load {day['load']}."
        )
        lines += _steps(day["steps"])
    return "\n".join(lines)


def _steps(steps: list[dict]) -> list[str]:
    return [f"- {s['step']}: {s['seconds']} s, peak {s['peak_mib']} MiB" for s in steps]
