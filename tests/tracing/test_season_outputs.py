"""A generated mid-size season traces to the same verdict.json and dossier annexes, byte for byte, as the
code before the tracing-at-volume work (issue 16 item 4) did: the speed and memory changes must not change
an answer. The digests were taken from commit 61f2208 (before that work) on this exact season; the standard
chains' verdicts and reason codes are pinned in test_standard.py.

150 seed lots (2,400 events) make every dossier table longer than MAX_ROWS, so each annex is written whole.
"""

from __future__ import annotations

import hashlib

from parcelaudit.generate.supply_season import EVENTS_PER_LOT, PRODUCT_GTIN, write_facilities, write_season
from parcelaudit.reports.trace_dossier import dossier_tables
from parcelaudit.tracing.quantities import load_yields
from parcelaudit.tracing.verdict import load_chain, trace

# file -> (sha256, lines), from commit 61f2208.
BEFORE = {
    "dossier_checklist.csv": ("9b581718186c69c896ff00fff6f1cd133ae7ee63f510024b56d1a49649324e58", 4651),
    "dossier_documents.csv": ("a9d8a2714035ffec492ff226a9ac03e5cb82ac97ea1ad77991c0f3a1827bb0dc", 5101),
    "dossier_stages.csv": ("60e62f9f9b873e81858debacddb0947299f6c1f55bcfb07d12bcbd3472da5303", 751),
    "dossier_steps.csv": ("e080e432cc0eea7a7b2b65d732c41d7768fea04deb2dfc0def7ccbf10ff694cf", 601),
    "dossier_uncopied.csv": ("5e4f9db920bcf0083577f6770567d601845c47a7a1ef6bab9664c902ee461317", 5101),
    "verdict.json": ("3e559724c7f99d0856c2b0500bc1528e5115eefafac6f1cc1ad6e507c79fdfc9", 782),
}


def test_a_mid_size_season_gives_the_outputs_it_gave_before(tmp_path):
    season, out = tmp_path / "season.json", tmp_path / "out"
    write_season(season, 150 * EVENTS_PER_LOT)
    chain = load_chain([season], write_facilities(tmp_path / "facilities.csv"))
    result = trace(chain, PRODUCT_GTIN, load_yields(None), screen=None)
    result.write_verdict(out / "verdict.json")
    for table in dossier_tables(result).values():
        table.write_annex(out)
    found = {}
    for path in sorted(out.iterdir()):
        data = path.read_bytes()
        found[path.name] = (hashlib.sha256(data).hexdigest(), data.count(b"\n"))
    assert found == BEFORE
