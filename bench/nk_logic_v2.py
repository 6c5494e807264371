"""Score name pairs with OpenSanctions' logic-v2 matcher; run by bench_screening in its own environment.

nomenklatura cannot share ParcelAudit's venv (it pins duckdb<2 while we pin duckdb 2.x), so the benchmark
runs this file with the interpreter of a separate venv. Input on stdin: JSON list of [schema, name1, name2];
output on stdout: JSON {"scores": [...], "seconds": float, "version": str}.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version


def main() -> None:
    """Read pairs, compare each once with logic-v2 (default config), print scores and the time taken."""
    from followthemoney import model
    from nomenklatura.matching.logic_v2.model import LogicV2

    pairs = json.load(sys.stdin)
    config = LogicV2.default_config()
    entities = []
    for number, (schema, left, right) in enumerate(pairs):
        schema = (
            schema
            if schema in ("Person", "Company", "Organization", "LegalEntity", "Vessel")
            else "LegalEntity"
        )
        a = model.make_entity(schema)
        a.id = f"q{number}"
        a.add("name", left)
        b = model.make_entity(schema)
        b.id = f"r{number}"
        b.add("name", right)
        entities.append((a, b))
    if entities:  # the first call loads rigour's name data; keep that out of the timing
        LogicV2.compare(*entities[0], config)
    started = time.perf_counter()
    scores = [LogicV2.compare(a, b, config).score for a, b in entities]
    seconds = time.perf_counter() - started
    json.dump({"scores": scores, "seconds": seconds, "version": version("nomenklatura")}, sys.stdout)


if __name__ == "__main__":
    main()
