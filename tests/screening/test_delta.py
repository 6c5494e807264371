"""Re-screening on list change: only the entries an update changed, and which stored parties it affects."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pcsv
import typer
from typer.testing import CliRunner

from parcelaudit.commands.screening import register
from parcelaudit.ingest import ingest_file
from parcelaudit.reference.lists import BUNDLED_LISTS
from parcelaudit.screening import Entry, RestrictedList
from parcelaudit.screening.delta import changed_entries, rescreen_delta
from parcelaudit.store import Store
from tests.rules.builders import parcels

OLD = RestrictedList(
    "UFLPA",
    "UFLPA",
    [
        Entry("UFLPA", "U1", "Xinjiang Lihua Cotton Industry Co., Ltd."),
        Entry("UFLPA", "U2", "Hoshine Silicon Industry (Shanshan) Co., Ltd"),
        Entry("UFLPA", "U3", "Changji Esquel Textile Co., Ltd."),
    ],
    source="test",
)
# The update removes U1, adds U4 and gives U3 an alias (a changed entry; its Chinese name comes from the
# supplement before and after, so a party written in it is not a change).
NEW = RestrictedList(
    "UFLPA",
    "UFLPA",
    [
        OLD.entries[1],
        Entry("UFLPA", "U3", "Changji Esquel Textile Co., Ltd.", aliases=("Kunlun Harbor Yarn Co., Ltd.",)),
        Entry("UFLPA", "U4", "Xinjiang Tianshan Wool Textile Co., Ltd."),
    ],
    source="test",
)
PARTIES = [
    ("新疆利华棉业股份有限公司", "CN"),
    ("昌吉溢达纺织有限公司", "CN"),
    ("KUNLUN HARBOR YARN CO LTD", "CN"),
    ("XINJIANG TIANSHAN WOOL TEXTILE CO LTD", None),
    ("Hoshine Silicon Industry Shanshan Co Ltd", "CN"),
    ("Hanoi Home Goods Co", "VN"),
]


def test_only_changed_entries_are_rescreened_and_only_changes_reported() -> None:
    gone, came = changed_entries(OLD, NEW)
    assert [e.entry_id for e in gone] == ["U1", "U3"] and [e.entry_id for e in came] == ["U3", "U4"]
    delta = {(row["name"], row["entry_id"]): row["change"] for row in rescreen_delta(OLD, NEW, PARTIES)}
    assert delta == {
        ("新疆利华棉业股份有限公司", "U1"): "no longer hits",
        ("KUNLUN HARBOR YARN CO LTD", "U3"): "now hits",
        ("XINJIANG TIANSHAN WOOL TEXTILE CO LTD", "U4"): "now hits",
    }  # Hoshine, and 昌吉溢达 (U3's Chinese name from the supplement), hit before and after: not reported


def test_lists_update_with_a_store_prints_only_real_changes(
    store_target: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "250")  # the delta table on one line per party
    shipments, lines = parcels(
        {
            "seller_name": "XINJIANG TIANSHAN WOOL TEXTILE CO LTD",
            "seller_country": "CN",
            "lines": [
                {"manufacturer_name": "BAODING LYSZD TRADE AND BUSINESS CO LTD", "manufacturer_country": "CN"}
            ],
        }
    )
    pcsv.write_csv(shipments, tmp_path / "shipments.csv")
    pcsv.write_csv(lines, tmp_path / "lines.csv")
    db = store_target
    with Store.open(db) as store:
        for name in ("shipments", "lines"):
            ingest_file(store, tmp_path / f"{name}.csv", rejects_dir=None)
    # The update: the bundled list with its first row gone, so every later row's id moves up by one.
    bundled = (BUNDLED_LISTS / "uflpa_entity_list.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(i for i, line in enumerate(bundled) if line.startswith("name,"))
    listed = tmp_path / "uflpa.csv"
    listed.write_text("".join(bundled[: header + 1] + bundled[header + 2 :]), encoding="utf-8")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(
        app,
        ["lists", "update", "UFLPA", "--url", f"UFLPA={listed.as_uri()}", "--db", db],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    # Baoding's row is gone; Xinjiang Tianshan's row moved up (its id changed) but the entry did not.
    text = " ".join(result.output.split())
    assert "BAODING" in text and "no longer hits" in text
    assert "TIANSHAN" not in text and "now hits" not in text
