"""Screener and screen_party_table over the bundled snapshot and small list files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pytest

from parcelaudit.screening import (
    HIT_SCHEMA,
    MATCH_THRESHOLD,
    Entry,
    RestrictedList,
    Screener,
    load_bundled_lists,
    load_list,
    screen_party_table,
)


@pytest.fixture(scope="module")
def bundled() -> Screener:
    """A screener over the bundled UFLPA and WRO snapshot."""
    return Screener(load_bundled_lists())


def test_variants_of_listed_entities_are_found_with_an_explanation(bundled: Screener) -> None:
    for variant in (
        "HOSHINE SILICON INDUSTRY SHANSHAN CO LTD",
        "Shanshan Hoshine Silicon Industry Company Limited",
        "xinjiang daqo new enrgy co ltd",
        "Changji Esquel Textile Co.,Ltd",
    ):
        hits = bundled.screen(variant)
        assert hits and hits[0].list == "UFLPA", variant
        assert hits[0].score >= MATCH_THRESHOLD and "matched" in hits[0].explanation
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_clean_trading_companies_and_merchandise_rows_do_not_hit(bundled: Screener) -> None:
    for clean in (
        "Ningbo Hongda Trading Co., Ltd.",
        "Shenzhen Meixin Technology Co Ltd",
        "XinXing Industrial Park Trading Co., Ltd.",
        "Yiwu Ruifeng Import and Export Co., Ltd.",
        "Xinjiang Trading Co., Ltd.",
        "Co., Ltd.",
        "",
    ):
        assert bundled.screen(clean) == [], clean
    assert all(e.kind != "merchandise" for e in bundled.entries)


def test_country_corroborates_or_weakens(list_dir: Path) -> None:
    screener = Screener([load_list(list_dir / "sdn.csv")])
    same = screener.screen("Shenzhen Example Technology Co Ltd", "CN")[0]
    other = screener.screen("Shenzhen Example Technology Co Ltd", "VN", min_score=0.0)[0]
    plain = screener.screen("Shenzhen Example Technology Co Ltd", min_score=0.0)[0]
    assert same.score >= plain.score > other.score
    assert "agrees" in same.explanation and "not in CN" in other.explanation


def test_index_finds_what_exhaustive_comparison_finds(list_dir: Path) -> None:
    lists = [load_list(list_dir / n) for n in ("sdn.csv", "un.xml", "csl.csv")] + load_bundled_lists()
    screener = Screener(lists)
    for query in (
        "Vladimir Putin",
        "PUTIN VLADIMIR",
        "Eric Badegh",
        "Aero Caribbean",
        "Example Optical",
        "Hetian Taida Apparel",
        "Kim Sok Jin",
    ):
        fast = {(h.list, h.entry_id) for h in screener.screen(query)}
        full = {(h.list, h.entry_id) for h in screener.screen(query, exhaustive=True)}
        assert fast == full, query


def test_screen_party_table_screens_each_distinct_pair_once(bundled: Screener) -> None:
    parties = pa.table(
        {
            "name": [
                "Xinjiang Daqo New Energy Co Ltd",
                "Xinjiang Daqo New Energy Co Ltd",
                None,
                "Ningbo Hongda Trading Co Ltd",
            ],
            "country": ["CN", "CN", "CN", "CN"],
        }
    )
    hits = screen_party_table(parties, bundled)
    assert hits.schema == HIT_SCHEMA
    assert hits.num_rows == 1
    row = hits.to_pylist()[0]
    assert (
        row["list"] == "UFLPA" and row["country"] == "CN" and row["matched_name"].startswith("Xinjiang Daqo")
    )


def test_screen_party_table_default_screener_uses_bundled_lists(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path))
    from parcelaudit.screening.lists import default_screener

    default_screener.cache_clear()
    hits = screen_party_table(pa.table({"name": ["Hoshine Silicon Industry (Shanshan) Co., Ltd."]}))
    default_screener.cache_clear()
    assert hits.column("list").to_pylist() == ["UFLPA"] and hits.column("country").to_pylist() == [None]


def test_address_corroborates(list_dir: Path) -> None:
    screener = Screener([load_list(list_dir / "sdn.csv")])
    with_address = screener.screen("Shenzhen Exampel Technology Co Ltd", address="1 Nanshan Road, Shenzhen")[
        0
    ]
    without = screener.screen("Shenzhen Exampel Technology Co Ltd")[0]
    assert with_address.score > without.score and "address shares nanshan" in with_address.explanation


def test_joined_pairs_carry_the_position_of_their_first_token() -> None:
    """The candidate bound weighs a joined pair by its own tokens, even when a legal form precedes it."""
    from parcelaudit.screening.index import _joined_pairs
    from parcelaudit.screening.names import prepare

    name = prepare("Limited Yk Ake Trading")
    pairs = dict((joined, i) for i, joined in _joined_pairs(name))
    assert name.tokens[pairs["ykake"]] == "yk" and name.tokens[pairs["ykake"] + 1] == "ake"


def test_common_names_within_a_longer_listed_name_need_corroboration() -> None:
    # Issue 13 #2: "Carlos Hernandez" scored 0.94 against HERNANDEZ, Juan Carlos.
    listed = [
        Entry("SDN", f"P{i}", f"HERNANDEZ, {given} Carlos", kind="person", countries=("MX",))
        for i, given in enumerate(["Juan", "Jose", "Luis", "Pedro", "Mario"])
    ]
    listed += [
        Entry("SDN", f"Q{i}", f"{given} HERNANDEZ", kind="person") for i, given in enumerate(["Ana", "Eva"])
    ]
    listed += [Entry("SDN", "R1", "VEKSELBERG, Viktor Feliksovich", kind="person", countries=("RU",))]
    listed += [Entry("SDN", "Z1", "ZHANG, Jian", kind="person", countries=("CN",))]
    screener = Screener([RestrictedList("SDN", "SDN", listed, source="test")])
    assert screener.screen("Carlos Hernandez") == []
    near = screener.screen("Carlos Hernandez", min_score=0.0)
    assert near and "needs corroboration" in near[0].explanation and near[0].score < screener.threshold
    # The country corroborates; a rare surname needs nothing more; a whole common Chinese name needs it too.
    assert screener.screen("Carlos Hernandez", country="MX")[0].entry_id.startswith("P")
    assert screener.screen("Viktor Vekselberg")[0].entry_id == "R1"
    assert screener.screen("Zhang Jian") == [] and screener.screen("Zhang Jian", country="CN")


def test_a_chinese_name_meets_a_listed_translation_through_its_meaning() -> None:
    listed = RestrictedList(
        "TEST",
        "test list",
        [Entry("TEST", "1", "Anhui Conch Cement Company Limited"), Entry("TEST", "2", "East Hope Group")],
        "test",
    )
    screener = Screener([listed])
    hits = screener.screen("安徽海螺水泥股份有限公司")
    assert [h.entry_id for h in hits] == ["1"]
    assert "read by meaning" in hits[0].explanation
    assert [h.entry_id for h in screener.screen("上海东方希望集团")] == ["2"]
    assert screener.screen("上海西方希望集团") == []


def _persons(*names: tuple[str, str, tuple[str, ...]]) -> Screener:
    entries = [
        Entry("TEST", entry_id, name, countries=countries, kind="person")
        for entry_id, name, countries in names
    ]
    return Screener([RestrictedList("TEST", "test list", entries, "test")])


def test_common_names_need_corroboration_before_they_hit() -> None:
    # Issue 13 #2: innocent people with common names (US census tables, Chinese given names of two
    # syllables) met only part of a listed name, or a whole Chinese name, and hit.
    screener = _persons(
        ("1", "BARRERA, Robert", ("MX",)),
        ("2", "REYES GARZA, Agustin", ("MX",)),
        ("3", "LI, Guihua", ("CN",)),
        ("4", "ZARQAWI, Abu Musab", ("JO",)),
    )
    assert screener.screen("Shannon Robert Barrera") == []
    assert screener.screen("Austin Reyes") == []
    assert screener.screen("李桂花") == []
    near = screener.screen("李桂花", min_score=0.5)
    assert near and "needs corroboration" in near[0].explanation
    # Corroborated by the country, or a rare name, they still hit.
    assert [h.entry_id for h in screener.screen("李桂花", "CN")] == ["3"]
    assert [h.entry_id for h in screener.screen("Robert Barrera", "MX")] == ["1"]
    assert [h.entry_id for h in screener.screen("Abu Musab Zarqawi")] == ["4"]


def test_an_arabic_script_name_meets_its_listed_latin_spelling() -> None:
    screener = _persons(
        ("1", "AHMADI, Mohammad", ("IR",)),
        ("2", "NASRALLAH, Hassan", ("LB",)),
        ("3", "SOLEIMANI, Qasem", ("IR",)),
    )
    hits = screener.screen("محمد احمدی")
    assert [h.entry_id for h in hits] == ["1"]
    assert "consonant skeleton" in hits[0].explanation
    assert [h.entry_id for h in screener.screen("حسن نصر الله")] == ["2"]
    assert [h.entry_id for h in screener.screen("قاسم سلیمانی")] == ["3"]
    assert screener.screen("قاسم سلمان") == []


def test_a_persons_common_names_on_a_company_or_vessel_need_corroboration() -> None:
    # Fresh innocent persons (issue 13) that hit companies and vessels named like people.
    listed = [
        Entry("SDN", "C1", "GOMEZ MARIN LTDA.", kind="entity", countries=("CO",)),
        Entry("SDN", "V1", "HAO FAN 2", kind="vessel"),
        Entry("SDN", "V2", "SILVIA I", kind="vessel"),
    ]
    screener = Screener([RestrictedList("SDN", "SDN", listed, source="test")])
    for name in ("Martin Gomez", "帆 郝", "Silvia Irizarry"):
        assert screener.screen(name) == [], name
        near = screener.screen(name, min_score=0.0)
        assert near and "needs corroboration" in near[0].explanation, name
    # the company's own name, word for word, and a corroborated one still hit
    assert screener.screen("Gomez Marin Ltda")[0].entry_id == "C1"
    assert screener.screen("Martin Gomez", country="CO")[0].entry_id == "C1"
