"""Original-script aliases (issue 13): the bundled supplement of Chinese names for listed Chinese entities is used
by every screener as aliases of their entries, explained with their source, kept through `lists update`, and
checked row by row when read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from parcelaudit.errors import InputError
from parcelaudit.reference.list_sources import installed_lists, update_list
from parcelaudit.screening import Screener, load_bundled_lists
from parcelaudit.screening.supplement import SUPPLEMENT_FILE, bundled_supplement, entry_key, load_supplement


@pytest.fixture(scope="module")
def bundled() -> Screener:
    """A screener over the bundled UFLPA and WRO snapshot, with the bundled supplement."""
    return Screener(load_bundled_lists())


def test_a_chinese_brand_name_with_no_phonetic_link_meets_its_listing_through_the_supplement(
    bundled: Screener,
) -> None:
    # 纳思达 is not "Ninestar" by sound, nor 中粮 "COFCO", nor 今创 "KTK": text comparison alone misses them.
    for query, listed in (
        ("纳思达股份有限公司", "Ninestar Corporation"),
        ("中粮糖业控股股份有限公司", "COFCO Sugar Holding Co. Ltd."),
        ("今创集团", "KTK Group"),
        ("新疆協鑫新能源材料科技有限公司", "Xinjiang GCL New Energy Material Technology Co., Ltd."),
    ):
        without = Screener(load_bundled_lists(), supplement=())
        assert not any(h.entry.name == listed for h in without.screen(query)), query
        hits = bundled.screen(query)
        assert hits and hits[0].entry.name == listed, query
        assert "Chinese name from supplement (" in hits[0].explanation
    unverified = bundled.screen("溢达集团")
    assert unverified[0].entry.name == "Esquel Group" and "unverified)" in unverified[0].explanation


def test_a_sister_company_of_a_supplemented_entity_does_not_hit(bundled: Screener) -> None:
    # Same group, other place: Hoshine's Luzhou company is not the listed Shanshan one.
    assert not bundled.screen("合盛硅业（泸州）有限公司")
    assert not bundled.screen("新疆天山畜牧生物工程股份有限公司")


def test_the_supplement_covers_the_bundled_uflpa_list_and_every_row_names_a_source() -> None:
    rows = bundled_supplement()
    uflpa = next(lst for lst in load_bundled_lists() if lst.code == "UFLPA")
    keys = {entry_key(n) for e in uflpa.entries for n in e.names}
    supplemented = {r.listed_name for r in rows if r.list_code == "UFLPA"}
    assert all(entry_key(name) in keys for name in supplemented), "a row names no bundled UFLPA entry"
    assert len(supplemented) >= 50
    assert all(r.source for r in rows)
    assert all(r.source.startswith("http") for r in rows if r.verified)


def test_a_run_records_the_supplement_it_used(bundled: Screener) -> None:
    snap = next(s for s in bundled.snapshots() if s["list"] == "SUPPLEMENT")
    assert snap["sha256"] and snap["aliases"] >= 50 and snap["partial"] is True


def test_lists_update_keeps_the_supplement_names_of_an_entry_the_source_spells_differently(
    tmp_path: Path, monkeypatch
) -> None:
    # The official file spells the entry its own way (no comma before Ltd, a different case); the supplement is
    # paired by the name's words, so the downloaded list gets the Chinese names too.
    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path / "home"))
    source = tmp_path / "uflpa.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["name", "aliases", "section", "effective_date", "location", "industry", "source_url"]
        )
        writer.writerow(["NINESTAR CORPORATION", "", "2(d)(2)(B)(ii)", "2023-06-09", "", "", "https://x"])
        writer.writerow(
            ["Hoshine Silicon Industry (Shanshan) Co. Ltd", "", "2(d)(2)(B)(i)", "2022-06-21", "", "", "x"]
        )
    update_list("UFLPA", {"UFLPA": source.as_uri()})
    screener = Screener(installed_lists())
    hits = screener.screen("纳思达股份有限公司")
    assert hits and hits[0].entry.name == "NINESTAR CORPORATION"
    assert "Chinese name from supplement" in hits[0].explanation
    assert screener.screen("合盛硅业(鄯善)股份有限公司")[0].entry.name.startswith("Hoshine")


def test_a_bad_supplement_row_names_file_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text(
        "# comment\nlist,listed_name,name,source,verified\nUFLPA,Ninestar Corporation,纳思达,https://x,yes\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as error:
        load_supplement(path)
    assert error.value.row == 3 and error.value.field == "verified" and str(path) in str(error.value)
    path.write_text("list,listed_name,name,source,verified\nXYZ,Ninestar Corporation,纳思达,x,true\n")
    with pytest.raises(InputError, match="unknown list"):
        load_supplement(path)
    path.write_text("list,listed_name,name,verified\nUFLPA,Ninestar Corporation,纳思达,true\n")
    with pytest.raises(InputError, match="source"):
        load_supplement(path)
    assert load_supplement(SUPPLEMENT_FILE) == bundled_supplement()
