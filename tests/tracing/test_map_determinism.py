"""The dossier's supply-chain map is the same picture in every process: node order, and so the layout, must not
follow Python's per-process string hashing (the oversold chain, where one lot goes to two buyers, drew its
facilities in another order from run to run)."""

from __future__ import annotations

import os
import subprocess
import sys

DRAW = """
from tests.tracing.standard_chains import expected_cases, trace_case
from parcelaudit.reports.trace_dossier import map_figure
from parcelaudit.reports.render import chart_data_uri
product, cases = expected_cases()
case = next(c for c in cases if c["chain"] == "oversold")
print(chart_data_uri(map_figure(trace_case(case, product))))
"""


def _drawn(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", DRAW], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_supply_chain_map_does_not_depend_on_string_hashing():
    pictures = {_drawn(seed) for seed in ("1", "2", "3", "4")}
    assert len(pictures) == 1
