"""The fresh labelled name pairs (issue 13) are built from a UN list file's own aliases and look-alike entries."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

_SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "data" / "make_fresh_name_pairs.py"

_UN = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST>
 <INDIVIDUALS>
  <INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>ABDUL RAHMAN</FIRST_NAME><SECOND_NAME>YASIN</SECOND_NAME>
   <REFERENCE_NUMBER>QDi.1</REFERENCE_NUMBER>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abdul Rahman Yasin</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abdul Rahman Said Yasin</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Khalid Omar</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Aboud Yasin</ALIAS_NAME></INDIVIDUAL_ALIAS>
  </INDIVIDUAL>
  <INDIVIDUAL><DATAID>2</DATAID><FIRST_NAME>ABDUL RAHMAN</FIRST_NAME><SECOND_NAME>YASSIN</SECOND_NAME>
   <REFERENCE_NUMBER>QDi.2</REFERENCE_NUMBER>
   <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
  </INDIVIDUAL>
 </INDIVIDUALS>
 <ENTITIES>
  <ENTITY><DATAID>3</DATAID><FIRST_NAME>KOREA KUMRYONG TRADING CORPORATION</FIRST_NAME>
   <REFERENCE_NUMBER>KPe.1</REFERENCE_NUMBER>
   <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Kumryong Trading</ALIAS_NAME></ENTITY_ALIAS>
  </ENTITY>
 </ENTITIES>
</CONSOLIDATED_LIST>
"""


def _script():
    spec = importlib.util.spec_from_file_location("make_fresh_name_pairs", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_alias_pairs_match_look_alike_entries_do_not(tmp_path: Path) -> None:
    un = tmp_path / "un.xml"
    un.write_text(_UN, encoding="utf-8")
    rows = _script().build(un)
    labels = {(r["name1"], r["name2"]): (r["is_match"], r["quality"]) for r in rows}
    # A written variant of the name is STRONG; part of the name MEDIUM; a nom de guerre, a Low alias, an f.k.a. WEAK.
    assert labels[("ABDUL RAHMAN YASIN", "Abdul Rahman Said Yasin")] == ("true", "STRONG")
    assert labels[("ABDUL RAHMAN YASIN", "Khalid Omar")] == ("true", "WEAK")
    assert labels[("ABDUL RAHMAN YASIN", "Aboud Yasin")] == ("true", "WEAK")
    assert labels[("KOREA KUMRYONG TRADING CORPORATION", "Kumryong Trading")] == ("true", "WEAK")
    # The alias that only changes case is no pair; two entries whose names look alike are a non-match.
    assert ("ABDUL RAHMAN YASIN", "Abdul Rahman Yasin") not in labels
    assert labels[("ABDUL RAHMAN YASIN", "ABDUL RAHMAN YASSIN")] == ("false", "MEDIUM")


def test_the_committed_set_is_the_script_output_format() -> None:
    path = _SCRIPT.with_name("fresh_name_pairs.csv")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    assert rows and {r["is_match"] for r in rows} == {"true", "false"}
    assert {r["quality"] for r in rows} <= {"STRONG", "MEDIUM", "WEAK"}
    assert all(r["notes"].startswith("UN ") for r in rows)
