"""Instructions executed by Screener.screen on the speed benchmark's names on no list, load-independent.

    valgrind --tool=callgrind --instr-atstart=no --toggle-collect=CPyPy_screener___Screener___screen \
        --callgrind-out-file=screen.cg .venv/bin/python -m bench.screening_instructions [dev|fresh]
    callgrind_annotate screen.cg | grep "PROGRAM TOTALS"

The index is built uninstrumented (valgrind runs it several times slower, not fifty); instrumentation is
switched on just before the 10,000 screens (caches cleared, as in bench_screening.speed) and only what runs
inside the compiled Screener.screen is counted (the hot path compiled with `make compile`). CPU time under a
loaded machine varied by a third from run to run; this count does not, though it weighs a cache miss like
any other instruction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from bench.bench_screening import FRESH_DIR, _read, _read_commented
from parcelaudit.paths import shared_data_dir
from parcelaudit.screening import Screener, load_bundled_lists, load_list


def _callgrind(switch: str) -> None:
    """Turn callgrind's instrumentation on or off for this process (a no-op outside valgrind)."""
    tool = shutil.which("callgrind_control")
    if tool is None or "valgrind" not in os.environ.get("LD_PRELOAD", ""):
        return
    control = subprocess.Popen([tool, "-i", switch, str(os.getpid())], stdout=subprocess.DEVNULL)
    spin = 0
    while control.poll() is None:  # valgrind takes the command while this process runs code
        spin += 1


def main(which: str) -> None:
    base = shared_data_dir()
    if base is None:
        raise SystemExit("../shared/data is absent")
    lists_dir = base / "lists"
    lists = [
        load_list(lists_dir / "ofac_sdn_2024-05-03.csv"),
        load_list(lists_dir / "un_consolidated_2026-02.xml"),
        next(lst for lst in load_bundled_lists() if lst.code == "UFLPA"),
    ]
    screener = Screener(lists)
    if which == "dev":
        names = [r["full_name"] for r in _read(base / "screening" / "person_negatives_dev.csv")]
    else:
        names = [r["full_name"] for r in _read_commented(FRESH_DIR / "fresh_person_negatives.csv")]
    screener.clear_caches()
    _callgrind("on")
    started = time.process_time()
    for name in names:
        screener.screen(name)
    seconds = time.process_time() - started
    _callgrind("off")
    print(f"{which}: {len(names)} names, {seconds:.2f} s CPU, load {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dev")
