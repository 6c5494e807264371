"""Run the benchmarks: `python -m bench.run [NAME ...]` (default: all bench/bench_*.py).

Each module bench/bench_NAME.py exposes `run(work_dir: Path) -> dict` returning measured figures
(plain JSON types) and optionally `summarize(result: dict) -> str` giving markdown lines. Results go
to bench/results/NAME.json and bench/results/SUMMARY.md. Benchmarks are not tests: they measure.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = BENCH_DIR / "work"


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "cpus": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
    }


def _available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def main(argv: list[str], suffix: str = "") -> int:
    """Run the named benchmarks (all when none named) and write JSON results plus a markdown summary
    (to NAME{suffix}.json and .md: a run at a size other than the default keeps its own files)."""
    names = argv or _available()
    unknown = sorted(set(names) - set(_available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(_available())}")
        return 2
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== bench {name}", flush=True)
        started = time.perf_counter()
        result = module.run(WORK_DIR / name)
        result = {
            "benchmark": name,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - started, 2),
            "machine": _machine(),
            **result,
        }
        kept = RESULTS_DIR / f"{name}{suffix}.json"
        if "skipped" in result and kept.is_file() and "skipped" not in json.loads(kept.read_text()):
            # A bench that could not run (no ../shared/data, no server) must not replace measured figures.
            print(f"warning: bench {name} skipped ({result['skipped']}); kept the earlier result {kept}")
            continue
        kept.write_text(json.dumps(result, indent=2, default=str) + "\n")
        summary = module.summarize(result) if hasattr(module, "summarize") else json.dumps(result, indent=2)
        (RESULTS_DIR / f"{name}{suffix}.md").write_text(f"## {name}{suffix}\n\n{summary}\n")
        print(summary, flush=True)
    parts = [p.read_text() for p in sorted(RESULTS_DIR.glob("*.md")) if p.name != "SUMMARY.md"]
    (RESULTS_DIR / "SUMMARY.md").write_text("# Benchmark results\n\n" + "\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
