"""The Xinjiang detector: positives in every script, DOMAIN.md's known collisions, data invariants."""

from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelaudit.reference.xinjiang import (
    GAZETTEER_FILE,
    THRESHOLD,
    WEIGHTS,
    assess_address,
    uscc_check_digit_ok,
)
from tests.support import require_shared

POSITIVES = [
    ("新疆维吾尔自治区喀什地区疏附县托克扎克镇", "CN", "chinese-script: 新疆维吾尔自治区"),
    ("No. 8 Beijing Road, Urumqi, Xinjiang 830000", "CN", "postcode: 830000"),
    ("Wulumuqi Shi, Shuimogou Qu", None, "romanised: wulumuqi shi"),
    ("Kashgar", None, "romanised: kashgar"),
    ("Korla Economic Development Zone, Bayingolin", "CN", "romanised: korla"),
    ("Kuerle, Xinjiang", "China", "romanised: kuerle"),
    ("Hotan Prefecture", None, "romanised: hotan"),
    ("Khotan, Karakax", None, "romanised: khotan"),
    ("Shihezi Economic Zone", "CN", "romanised: shihezi"),
    ("Turfan Industrial Park", "CN", "romanised: turfan"),
    ("Kumul Industrial Park", "CN", "romanised: kumul"),
    ("Aksu 843000", "CN", "postcode: 843000"),
    ("Bole City", "CN", "romanised: bole city"),
    ("Yining, Ili Kazakh Autonomous Prefecture", "CN", "romanised: ili"),
    ("石河子市北四路", None, "chinese-script: 石河子市"),
    ("第八师一四三团", "CN", "xpcc-division: 第八师"),
    ("XPCC Fourth Division, Kokdala", None, "romanised: xpcc"),
]

NEGATIVES = [
    ("XinXing Industrial Park, Ningbo", "CN"),  # DOMAIN.md known collision
    ("8 Xinxing Road, Ningbo, Zhejiang 315000", None),
    ("12 Le Loi, Thu Duc, Ho Chi Minh City 840000", "VN"),  # Vietnam postcode 840000
    ("12 Le Loi, Thu Duc 840000", None),  # no country: a postcode is never evidence
    ("Aksu Mahallesi, Muratpasa, Antalya", "TR"),  # Aksu in Turkey
    ("Aksu, Akmola Region", "KZ"),  # Aksu in Kazakhstan
    ("Aksu", None),
    ("Kashi Vishwanath Temple Road, Varanasi", "IN"),  # Kashi = Varanasi
    ("Kashi Vishwanath Temple Road, Varanasi", None),
    ("Bole Road, Addis Ababa", "ET"),  # Bole, Addis Ababa
    ("Bole Sub City, Addis Ababa", None),
    ("新疆路8号, 青岛市, 山东", "CN"),  # a road named after Xinjiang
    ("Urumqi Middle Road 200, Shanghai", "CN"),
    ("Yiwu International Trade City, Yiwu, Zhejiang", "CN"),  # Yiwu (义乌), not Yiwu (伊吾)
    ("Shanshan Road 9, Ningbo", "CN"),
    ("Tianshan Industrial Zone, Shawan Town, Panyu, Guangzhou", "CN"),
    ("第一师范学院, 长沙", "CN"),  # 师范 = normal school, not an XPCC division
    ("和田玉市场, 苏州", "CN"),  # Hotan jade sold elsewhere
    ("Block 4, Xinxing Industrial Zone C, Gongming Town", "CN"),
    ("Beitun District, Taichung", "TW"),
]


@pytest.mark.parametrize(("address", "country", "signal"), POSITIVES)
def test_xinjiang_addresses_are_found_with_the_expected_signal(address, country, signal):
    result = assess_address(address, country)
    assert result.is_xinjiang, result.explanation
    assert result.score >= THRESHOLD
    assert any(s.startswith(signal) for s in result.signals), result.signals


@pytest.mark.parametrize(("address", "country"), NEGATIVES)
def test_known_collisions_are_not_xinjiang(address, country):
    result = assess_address(address, country)
    assert not result.is_xinjiang, result.explanation


def test_one_weak_or_medium_signal_never_decides_alone():
    for address in ("Hami", "Hetian", "Yili", "Xinxing", "Shawan", "Yiwu"):
        result = assess_address(address, "CN")
        assert len(result.signals) == 1
        assert result.score < THRESHOLD, result.explanation


def test_uscc_with_xinjiang_admin_part_is_a_signal_and_check_digit_is_validated():
    body = "91650100" + "MA7751234"
    check = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if uscc_check_digit_ok(body + c))
    code = body + check
    assert uscc_check_digit_ok(code)
    result = assess_address("Building 3, Industrial Park", "CN", uscc=code)
    assert result.is_xinjiang
    assert any(s.startswith("usci-prefix: 65") and "valid" in s for s in result.signals)
    wrong = body + ("0" if check != "0" else "1")
    assert not uscc_check_digit_ok(wrong)
    assert not assess_address("Building 3", "CN", uscc=wrong).is_xinjiang  # invalid code: medium only
    # A real published code (Shenzhen): outside Xinjiang, check digit valid.
    assert uscc_check_digit_ok("91440300708461136T")


def test_foreign_country_halves_place_name_weight_and_says_so():
    result = assess_address("Urumqi", "US")
    assert not result.is_xinjiang
    assert any("not China" in s for s in result.signals)


def test_empty_address_is_not_xinjiang():
    result = assess_address(None, None)
    assert not result.is_xinjiang and result.signals == [] and result.explanation == "no Xinjiang signal"


def test_gazetteer_invariants():
    with open(GAZETTEER_FILE, encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) >= 100
    for row in rows:
        assert re.fullmatch(r"65\d{4}", row["code"]), row
        assert row["zh_strength"] in WEIGHTS, row
        assert row["source"], row
        for item in filter(None, row["latin"].split("|")):
            assert item.rsplit(":", 1)[1] in {*WEIGHTS, "foreign"}, row
    kinds = {r["kind"] for r in rows}
    assert {"region", "prefecture", "pref_city", "county", "xpcc_city"} <= kinds
    assert sum(r["kind"] == "xpcc_city" for r in rows) == 12


def test_no_false_positive_on_open_supply_hub_china_facilities():
    folder = require_shared("facilities/osh_lists")
    checked = 0
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                if row["country"].strip().upper() in ("CHINA", "CN"):
                    checked += 1
                    result = assess_address(row["address"], row["country"])
                    assert not result.is_xinjiang, (row["address"], result.explanation)
    assert checked > 400


@given(st.text(max_size=80), st.sampled_from([None, "CN", "US", "VN"]))
def test_any_text_gets_an_assessment_that_agrees_with_its_score(text, country):
    result = assess_address(text, country)
    assert result.score >= 0
    assert result.is_xinjiang == (result.score >= THRESHOLD)
    assert (result.signals == []) == (result.explanation == "no Xinjiang signal")


@given(st.sampled_from(["解放路", "Industrial Park", "No. 8"]), st.integers(1, 999))
def test_the_region_in_chinese_script_is_always_decisive_in_china(street, number):
    assert assess_address(f"新疆维吾尔自治区{street}{number}", "CN").is_xinjiang
