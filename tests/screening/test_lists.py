"""List loaders: each format read from a small real file, detection, errors, and the bundled snapshot."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from parcelaudit.errors import ReferenceDataError
from parcelaudit.reference.lists import BUNDLED_LISTS, detect_format
from parcelaudit.screening import load_bundled_lists, load_list
from tests.support import require_shared


def test_detects_every_format(list_dir: Path) -> None:
    expected = {
        "sdn.csv": "sdn",
        "csl.csv": "csl",
        "un.xml": "un",
        "uflpa_page.html": "uflpa_dhs",
        "wro.csv": "wro",
    }
    for name, fmt in expected.items():
        assert detect_format(list_dir / name) == fmt, name
    assert detect_format(BUNDLED_LISTS / "uflpa_entity_list.csv") == "uflpa"


def test_sdn_reads_aliases_and_addresses_from_companions(list_dir: Path) -> None:
    sdn = load_list(list_dir / "sdn.csv")
    assert sdn.code == "SDN" and len(sdn) == 3
    by_id = {e.entry_id: e for e in sdn.entries}
    assert by_id["36"].aliases == ("AERO-CARIBBEAN",)
    assert by_id["36"].countries == ("CU",) and by_id["36"].program == "CUBA"
    assert by_id["7157"].kind == "person" and by_id["7157"].remarks == "DOB 07 Oct 1952"
    assert by_id["9001"].countries == ("CN",)
    assert "ALT" in sdn.source and "ADD" in sdn.source


def test_companion_file_alone_is_a_clear_error(list_dir: Path) -> None:
    with pytest.raises(ReferenceDataError, match="companion"):
        load_list(list_dir / "alt.csv")


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(ReferenceDataError, match="unknown list format"):
        load_list(odd)
    with pytest.raises(ReferenceDataError, match="not found"):
        load_list(tmp_path / "absent.csv")


def test_csl_un_dhs_and_wro(list_dir: Path) -> None:
    csl = load_list(list_dir / "csl.csv")
    assert csl.entries[0].aliases == ("Example Optical", "EOC") and csl.entries[0].countries == ("CN",)
    un = load_list(list_dir / "un.xml")
    assert un.snapshot_date == "2026-02-27"
    person, entity = un.entries
    assert person.name == "ERIC BADEGE" and person.aliases == ("Eric Badeghe",) and person.kind == "person"
    assert set(person.countries) == {"CD", "RW"} and person.listed_on == "2012-12-31"
    assert entity.aliases == ("ANSARALLAH",) and entity.countries == ("YE",)
    dhs = load_list(list_dir / "uflpa_page.html")
    first, second = dhs.entries
    assert first.name == "Hetian Example Apparel Co., Ltd." and first.aliases == ("Hotan Example Garments",)
    assert first.program == "2(d)(2)(B)(i)" and first.listed_on == "2022-06-21"
    assert second.program == "2(d)(2)(B)(v)" and second.listed_on == "2024-05-17"
    wro = load_list(list_dir / "wro.csv")
    assert [e.kind for e in wro.entries] == ["entity", "merchandise"]
    assert wro.entries[0].countries == ("CN",)


def test_bundled_snapshot_is_labelled_partial_and_well_formed() -> None:
    uflpa, wro = load_bundled_lists()
    assert (uflpa.code, wro.code) == ("UFLPA", "WRO")
    assert uflpa.partial and wro.partial and "partial" in (uflpa.note or "")
    assert len(uflpa) == 87 and len(wro) == 46
    section = re.compile(r"^2\(d\)\(2\)\(B\)\((i|ii|iii|iv|v)\)( ?; ?2\(d\)\(2\)\(B\)\((i|ii|iii|iv|v)\))*$")
    for entry in uflpa.entries + wro.entries:
        assert entry.listed_on is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.listed_on), entry
        assert entry.name.strip() == entry.name and entry.name
    for entry in uflpa.entries:
        assert entry.program is None or section.match(entry.program), entry.program
    # Every bundled row names where it came from.
    for name in ("uflpa_entity_list.csv", "cbp_wro_findings.csv"):
        with (BUNDLED_LISTS / name).open(encoding="utf-8") as handle:
            assert all(row["source_url"].strip() for row in csv.DictReader(handle))


def test_real_lists_load_with_their_counts() -> None:
    folder = require_shared("lists/ofac_sdn_2024-05-03.csv").parent
    sdn = load_list(folder / "ofac_sdn_2024-05-03.csv")
    assert len(sdn) == 14965 and sdn.alias_count > 10000 and sdn.snapshot_date == "2024-05-03"
    un = load_list(folder / "un_consolidated_2026-02.xml")
    assert len(un) > 900 and un.snapshot_date == "2026-02-27"
    assert len(load_list(folder / "csl_subset_2019.csv")) == 115


def test_un_xml_nested_deep_is_refused_not_loaded_empty(tmp_path: Path) -> None:
    # Issue 18 #7: 200,000 levels of nesting loaded 0 entries without a word.
    deep = tmp_path / "un_deep.xml"
    deep.write_text(
        '<?xml version="1.0"?><CONSOLIDATED_LIST>'
        + "<a>" * 200_000
        + "</a>" * 200_000
        + "</CONSOLIDATED_LIST>"
    )
    with pytest.raises(ReferenceDataError, match="nested more than"):
        load_list(deep)
    empty = tmp_path / "un_empty.xml"
    empty.write_text('<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>')
    with pytest.raises(ReferenceDataError, match="no <INDIVIDUAL> or <ENTITY>"):
        load_list(empty)


def test_dhs_page_aliases_in_a_column_and_its_last_updated_date(tmp_path: Path) -> None:
    page = tmp_path / "uflpa.html"
    page.write_text(
        "<html><body><h2>Section 2(d)(2)(B)(v)</h2><table>"
        "<tr><th>Entity Name</th><th>Also Known As</th><th>Effective Date</th></tr>"
        "<tr><td>Xinjiang Daqo New Energy Co., Ltd. (also known as Xinjiang Great New Energy Co., Ltd.; "
        "and Xinjiang Daqin Energy Co., Ltd.)</td><td>Daqo Xinjiang</td><td>11/25/2024</td></tr>"
        "</table><div>Last Updated: 01/14/2025</div></body></html>"
    )
    (entry,) = load_list(page).entries
    assert entry.aliases == (
        "Xinjiang Great New Energy Co., Ltd.",
        "Xinjiang Daqin Energy Co., Ltd.",
        "Daqo Xinjiang",
    )
    loaded = load_list(page)
    assert loaded.snapshot_date == "2025-01-14" and loaded.date_basis == "the page's Last Updated date"
