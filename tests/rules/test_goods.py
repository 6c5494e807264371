"""HTS validity and description, origin against manufacturer, UFLPA sectors: each finds its case and
leaves a compliant line clean."""

from __future__ import annotations

import json
from datetime import date

from parcelaudit.reference.hts import BUNDLED_SUBSET, load_hts, parse_usitc_csv
from tests.rules.builders import parcels
from tests.rules.conftest import run_rule

SUBSET = parse_usitc_csv(BUNDLED_SUBSET.read_text(encoding="utf-8"), str(BUNDLED_SUBSET), complete=False)
FULL_FROM_SUBSET = parse_usitc_csv(
    BUNDLED_SUBSET.read_text(encoding="utf-8"), "subset-as-full", complete=True
)


def _variants(rule_id, shipments, lines, **kwargs):
    return [(f["shipment_id"], f["variant"]) for f in run_rule(rule_id, shipments, lines, **kwargs)]


def test_hts_missing_malformed_and_unknown_against_a_complete_schedule():
    shipments, lines = parcels(
        {"entry_type": "11", "lines": [{"hts_code": None}]},
        {"entry_type": "321", "lines": [{"hts_code": None}]},  # a manifest 321 claim needs no HTS
        {"lines": [{"hts_code": "61091000X2"}]},
        {"lines": [{"hts_code": "6109100"}]},
        {"lines": [{"hts_code": "7712345678"}]},
        {"lines": [{"hts_code": "6109.10.0012"}]},  # dots are fine
        {"lines": [{"hts_code": "610910"}]},  # a 6-digit subheading that exists
    )
    assert _variants("HTS-INVALID", shipments, lines, hts=FULL_FROM_SUBSET) == [
        ("S1", "missing"),
        ("S3", "malformed"),
        ("S4", "malformed"),
        ("S5", "unknown"),
    ]


def test_unknown_code_is_unverified_not_invalid_against_a_partial_schedule():
    shipments, lines = parcels(
        {"lines": [{"hts_code": "7712345678"}]}, {"lines": [{"hts_code": "8802300000"}]}
    )
    assert _variants("HTS-INVALID", shipments, lines, hts=SUBSET) == []
    assert SUBSET.status("8802300000") == "unverified"
    assert FULL_FROM_SUBSET.status("8802300000") == "invalid"


def test_full_schedule_validates_real_codes(shared_data):
    schedule = load_hts(str(shared_data / "hts" / "tariff_database_2025_06062025.csv"))
    assert schedule.complete and len(schedule.lines) > 12000
    assert schedule.status("6109100012") == "valid" and schedule.status("7700000000") == "invalid"
    assert schedule.lookup("6109100012").mfn_ad_valorem == 0.165


def test_description_inconsistent_with_chapter():
    shipments, lines = parcels(
        {"lines": [{"description": "Men's cotton T-shirt, crew neck", "hts_code": "8517130000"}]},
        {"lines": [{"description": "Men's cotton T-shirt, crew neck", "hts_code": "6109100012"}]},
        {
            "lines": [{"description": "Porcelain coffee mug", "hts_code": "6912004810"}]
        },  # 'mug' allows chapter 69
        {
            "lines": [{"description": "Hand-painted figurine", "hts_code": "6109100012"}]
        },  # no keyword: no opinion
        {"lines": [{"description": "Canvas SNEAKERS with rubber sole", "hts_code": "9503000073"}]},
        {
            "lines": [{"description": "LED desk lamp", "hts_code": "8518302000"}]
        },  # heading-level: not a speaker
        {"lines": [{"description": "Wooden side table", "hts_code": "8471300100"}]},
    )
    findings = run_rule("HTS-DESC", shipments, lines)
    assert [f["shipment_id"] for f in findings] == ["S1", "S5", "S6", "S7"]
    assert '"chapter":"85"' in findings[0]["evidence"] and "61" in findings[0]["message"]


def test_description_keywords_need_every_article_to_fit_and_skip_unknown_codes():
    shipments, lines = parcels(
        {"lines": [{"description": "LED desk lamp", "hts_code": "9405424010"}]},  # clean
        {
            "lines": [{"description": "Notebook computer 14 inch", "hts_code": "8471300100"}]
        },  # longest keyword
        {"lines": [{"description": "Paper notebook A5", "hts_code": "8471300100"}]},
        {
            "lines": [{"description": "Cotton T-shirt", "hts_code": "7712345678"}]
        },  # invalid code: HTS-INVALID's
    )
    assert [f["shipment_id"] for f in run_rule("HTS-DESC", shipments, lines, hts=FULL_FROM_SUBSET)] == ["S3"]


def test_origin_mismatch_and_clean():
    shipments, lines = parcels(
        {"lines": [{"country_of_origin": "VN", "manufacturer_country": "CN"}]},
        {"lines": [{"country_of_origin": "VN", "manufacturer_country": "VN"}]},
        {"lines": [{"country_of_origin": "VN", "manufacturer_country": None}]},  # unknown is not a mismatch
    )
    assert _variants("ORIG-MISMATCH", shipments, lines) == [("S1", "country")]


def test_forced_labor_sector_by_origin_manufacturer_and_date():
    tee = {"hts_code": "6109100012", "description": "Cotton T-shirt"}
    shipments, lines = parcels(
        {"lines": [{**tee, "country_of_origin": "CN", "manufacturer_country": "CN"}]},
        {"lines": [{**tee, "country_of_origin": "VN", "manufacturer_country": "VN"}]},  # clean
        {"lines": [{**tee, "country_of_origin": "VN", "manufacturer_country": None}]},
        {
            "lines": [{**tee, "country_of_origin": "CN", "manufacturer_country": "CN"}],
            "arrival_date": date(2022, 6, 20),
        },
        {
            "lines": [
                {
                    "hts_code": "7615105020",
                    "description": "Aluminum pan",
                    "country_of_origin": "CN",
                    "manufacturer_country": "CN",
                }
            ],
            "arrival_date": date(2024, 7, 8),
        },  # aluminum added 2024-07-09
        {
            "lines": [
                {
                    "hts_code": "7615105020",
                    "description": "Aluminum pan",
                    "country_of_origin": "CN",
                    "manufacturer_country": "CN",
                }
            ],
            "arrival_date": date(2024, 7, 9),
        },
    )
    assert _variants("FL-SECTOR", shipments, lines) == [
        ("S1", "china"),
        ("S3", "unknown-manufacturer"),
        ("S6", "china"),
    ]


def test_hts_desc_reads_the_article_not_single_keywords():
    # Correct lines a keyword matcher flagged: "X for Y" and "Y-operated X" name the article X.
    shipments, lines = parcels(
        {"lines": [{"description": "Moisturizing body wash", "hts_code": "3401300000"}]},
        {"lines": [{"description": "Laptop bag for 15.6 inch laptops", "hts_code": "4202920000"}]},
        {"lines": [{"description": "Wine glass set of 4", "hts_code": "7013280000"}]},
        {"lines": [{"description": "Battery-operated toy car", "hts_code": "9503000073"}]},
        {"lines": [{"description": "Phone case for iPhone 15, shockproof", "hts_code": "3926909990"}]},
        {"lines": [{"description": "Cotton T-shirt for men", "hts_code": "8517130000"}]},  # wrong: a shirt
    )
    findings = run_rule("HTS-DESC", shipments, lines)
    assert [f["shipment_id"] for f in findings] == ["S6"]
    evidence = json.loads(findings[0]["evidence"])
    assert evidence["article"] == "t-shirt" and evidence["suggested_headings"][0].startswith("61")


def test_description_stems_agree_between_descriptions_and_schedule_texts():
    from parcelaudit.rules.description import head_phrase, stem

    assert [stem(w) for w in ("cases", "case", "glasses", "washing", "bags", "batteries")] == [
        "case",
        "case",
        "glass",
        "wash",
        "bag",
        "battery",
    ]
    assert head_phrase("Battery-operated toy car for kids, red") == "toy car"


def test_a_code_of_an_earlier_edition_is_not_invalid_on_its_own_date():
    # 8541.40.60 (solar cells) was split in the 2022 revision; the 2025 edition lacks it. On a 2021 parcel it
    # is unverified (no finding: the 2021 edition is not loaded); on a 2025 parcel it is unknown.
    edition_2025 = parse_usitc_csv(
        BUNDLED_SUBSET.read_text(encoding="utf-8"), "tariff_database_2025_as_full.csv", complete=True
    )
    assert edition_2025.year == 2025
    shipments, lines = parcels(
        {"arrival_date": date(2021, 6, 1), "lines": [{"hts_code": "8541406020"}]},
        {"arrival_date": date(2025, 6, 2), "lines": [{"hts_code": "8541406020"}]},
    )
    assert _variants("HTS-INVALID", shipments, lines, hts=edition_2025) == [("S2", "unknown")]
    assert edition_2025.status("8541406020", date(2021, 6, 1)) == "unverified"


def test_an_unknown_subheading_is_invalid_on_any_date_of_the_editions_hs_revision():
    # 1234.56 is no subheading of HS 2022, which the US schedule carried from 2022-01-27 (Proclamation 10326):
    # the 2025 edition can say so for a 2024 parcel. An unknown 8-digit line under a known subheading stays
    # unverified there (lines change between annual editions), and before 2022-01-27 nothing is judged.
    edition_2025 = parse_usitc_csv(
        BUNDLED_SUBSET.read_text(encoding="utf-8"), "tariff_database_2025_as_full.csv", complete=True
    )
    shipments, lines = parcels(
        {"arrival_date": date(2024, 5, 8), "lines": [{"hts_code": "1234567890"}]},
        {"arrival_date": date(2022, 1, 26), "lines": [{"hts_code": "1234567890"}]},
        {"arrival_date": date(2024, 5, 8), "lines": [{"hts_code": "8517139999"}]},
    )
    assert _variants("HTS-INVALID", shipments, lines, hts=edition_2025) == [("S1", "unknown")]
    assert edition_2025.status("1234567890", date(2024, 5, 8)) == "invalid"
    assert edition_2025.status("1234567890", date(2022, 1, 26)) == "unverified"
    assert edition_2025.status("8517139999", date(2024, 5, 8)) == "unverified"


def test_hts_desc_has_no_opinion_on_a_heading_a_partial_schedule_lacks():
    # Without the full USITC table (no ../shared, no `reference update`) the bundled subset may lack the
    # declared heading: a body wash under 3401 or a wine glass under 7013 is then not judged, never flagged.
    assert SUBSET.lookup("3401300000") is None and SUBSET.lookup("7013280000") is None
    shipments, lines = parcels(
        {"lines": [{"description": "Moisturizing body wash", "hts_code": "3401300000"}]},
        {"lines": [{"description": "Wine glass set of 4", "hts_code": "7013280000"}]},
        {
            "lines": [{"description": "Cotton T-shirt for men", "hts_code": "8517130000"}]
        },  # 8517 is in the subset
    )
    assert [f["shipment_id"] for f in run_rule("HTS-DESC", shipments, lines, hts=SUBSET)] == ["S3"]
