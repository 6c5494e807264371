"""The duty API beyond the timeline: coverage honesty, statuses, exemptions, stacking, preferences, postal
methods, fees by fiscal year, money rounding, input errors and the invariants of the tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from parcelaudit.duty import coverage_rows, coverage_summary, quote
from parcelaudit.duty.entry import quote_entry
from parcelaudit.duty.quote import special_rates
from parcelaudit.duty.tables import load_tables
from parcelaudit.errors import ParcelAuditError

TEE = "6109100012"


def _parts(q):
    return {c.measure: c for c in q.components}


def test_a_line_the_tables_do_not_cover_is_never_verified():
    # 9403.60.00 is no line of the 2025 edition the Section 301 lists are keyed to
    q = quote("9403600000", "CN", date(2021, 6, 1), 100)
    assert _parts(q)["S301-CN-NOT-COVERED"].status == "unverified"
    assert not q.verified and "S301-CN-NOT-COVERED" in q.unverified
    # an HTS code missing from the schedule has no MFN rate and is unverified, not silently 0 and verified
    unknown = quote("7712345678", "VN", date(2024, 6, 1), 100)
    assert _parts(unknown)["MFN"].status == "unverified" and not unknown.verified
    # a date after the last loaded policy change is flagged
    assert _parts(quote(TEE, "VN", date(2027, 1, 4), 100))["HORIZON-NOT-COVERED"].status == "unverified"


def test_section_301_lists_are_loaded_in_full(shared_data):
    # 9403.60.80 is on List 3 (9903.88.03): 10% from 2018-09-24, 25% from 2019-05-10
    l3 = _parts(quote("9403608081", "CN", date(2019, 6, 1), 100))["S301-L3-25"]
    assert l3.rate == Decimal("0.25") and l3.status == "verified" and "84 FR 20459" in l3.citation
    # 3003.49.00 (medicaments) is on no list: no Section 301 duty, verifiably so
    free = _parts(quote("3003490000", "CN", date(2024, 6, 1), 100))["S301-CN-NOT-LISTED"]
    assert free.rate == 0 and free.status == "verified"
    # toys (9503.00.00) and ceramic tableware (6912.00.48) are on List 4B, which never took effect
    for hts in ("9503000073", "6912004810"):
        toys = _parts(quote(hts, "CN", date(2024, 6, 1), 100))["S301-4B-SUSPENDED"]
        assert toys.rate == 0 and toys.status == "verified" and "9903.88.16" in toys.citation
    # a line whose text changed after the lists were drawn (8517.13, new in 2022) is not listed, unconfirmed
    changed = _parts(quote("8517130000", "CN", date(2024, 6, 1), 100))["S301-CN-NOT-LISTED"]
    assert changed.rate == 0 and changed.status == "unverified" and "2022-01-27" in changed.note
    # before the first list took effect, nothing is claimed either way
    assert not any(m.startswith("S301") for m in _parts(quote("9403608081", "CN", date(2018, 7, 5), 100)))
    # a line raised by the four-year review: its earlier list is not recorded, so it is said, not guessed
    gap = _parts(quote("2504101000", "CN", date(2025, 6, 1), 100))["S301-CN-NOT-COVERED"]
    assert gap.status == "unverified" and "9903.91.06" in gap.note
    # a line the file puts on two lists (split at the 10-digit level) is unverified
    split = _parts(quote("8517620090", "CN", date(2024, 6, 1), 100))
    assert split["S301-L3G-25"].status == "unverified" and "several lists" in split["S301-L3G-25"].note


def test_mfn_is_verified_only_where_the_loaded_edition_shows_the_rate_in_force(shared_data):
    # 6109.10.00 has carried 16.5% since 2021-01-01 (begin_effect_date in the 2025 edition)
    assert _parts(quote(TEE, "VN", date(2021, 6, 1), 100))["MFN"].status == "verified"
    older = _parts(quote(TEE, "VN", date(2019, 6, 1), 100))["MFN"]
    assert older.status == "unverified" and "no edition for 2019" in older.note
    assert _parts(quote(TEE, "VN", date(2026, 6, 1), 100))["MFN"].status == "unverified"


def test_ieepa_components_are_refundable_and_left_out_of_the_loss():
    q = quote(TEE, "CN", date(2025, 3, 10), 100)
    fent = _parts(q)["IEEPA-FENT-PRC-20"]
    assert fent.status == "refundable" and fent.refundable and "90 FR 11463" in fent.citation
    assert q.amount == Decimal("44.00") and q.refundable_amount == Decimal("20.00")
    assert q.loss_basis == Decimal("24.00") + q.fees_amount


def test_china_measures_name_hong_kong_and_macau_per_measure():
    hk = _parts(quote(TEE, "HK", date(2025, 5, 20), 100))
    assert "S301-CN-NOT-COVERED" not in hk and not any(m.startswith("S301") for m in hk)
    assert hk["IEEPA-FENT-PRC-20"].rate == Decimal("0.20") and hk["IEEPA-RECIP-CN-10B"].rate == Decimal(
        "0.10"
    )
    mo = _parts(quote(TEE, "MO", date(2025, 5, 20), 100))
    assert "IEEPA-RECIP-CN-10B" in mo and not any(m.startswith("IEEPA-FENT") for m in mo)


def test_canada_and_mexico_are_never_charged_reciprocal_duties():
    for origin in ("CA", "MX"):
        for day in (date(2025, 4, 5), date(2025, 4, 10), date(2025, 9, 1)):
            assert not any(p.startswith("IEEPA-RECIP") for p in _parts(quote(TEE, origin, day, 100)))


def test_exempt_goods_show_the_exemption_and_its_source():
    phone = _parts(quote("8517130000", "CN", date(2025, 4, 20), 500))["IEEPA-RECIP-CN-125"]
    assert phone.rate == 0 and "CSMS 64724565" in phone.citation and "exempt" in phone.note


def test_section_232_goods_do_not_stack_reciprocal_or_section_122_duties():
    recip = _parts(quote("7323930080", "VN", date(2025, 6, 4), 100))
    assert recip["IEEPA-RECIP-PAUSE"].rate == 0 and "not stacked" in recip["IEEPA-RECIP-PAUSE"].note
    s122 = _parts(quote("7323930080", "VN", date(2026, 3, 2), 100))
    assert s122["S122-10"].rate == 0 and s122["S232-STEEL-DER-50"].rate == Decimal("0.50")


def test_section_232_derivatives_pay_on_their_metal_content():
    # from 2025-06-04 a chapter 73 derivative pays 50% on its steel content (Proclamation 10947)
    unknown = _parts(quote("7323930080", "VN", date(2025, 9, 1), 1000, mode="cargo"))["S232-STEEL-DER-50"]
    assert unknown.rate == Decimal("0.50") and unknown.status == "unverified" and "not given" in unknown.note
    known = quote("7323930080", "VN", date(2025, 9, 1), 1000, mode="cargo", metal_value=400)
    assert (
        _parts(known)["S232-STEEL-DER-50"].rate == Decimal("0.20")
        and _parts(known)["S232-STEEL-DER-50"].status == "verified"
    )
    # steel mill articles of chapter 72 pay on full value whatever the metal value
    mill = quote("7208101500", "VN", date(2025, 9, 1), 1000, mode="cargo", metal_value=400)
    assert _parts(mill)["S232-STEEL-50"].rate == Decimal("0.50")
    # a derivative line added on 2025-08-18 (refrigerators, 8418.10) is on the list from that date
    fridge = _parts(quote("8418100010", "VN", date(2025, 9, 1), 1000, mode="cargo", metal_value=200))
    assert fridge["S232-ALU-DER-2508"].rate == Decimal("0.100")
    assert "S232-ALU-DER-2508" not in _parts(quote("8418100010", "VN", date(2025, 8, 17), 1000, mode="cargo"))
    with pytest.raises(ParcelAuditError):
        quote("7323930080", "VN", date(2025, 9, 1), 1000, metal_value=-1)
    # the Section 122 surcharge applies to the part of a derivative Section 232 does not reach (para. (4))
    s122 = _parts(quote("7323930080", "VN", date(2026, 3, 2), 1000, mode="cargo", metal_value=400))
    assert s122["S232-STEEL-DER-50"].rate == Decimal("0.20") and s122["S122-10"].rate == Decimal("0.06")
    whole = _parts(quote("7323930080", "VN", date(2026, 3, 2), 1000, mode="cargo"))
    assert whole["S122-10"].rate == 0 and whole["S122-10"].status == "verified"


def test_preference_claims_come_from_the_special_column(shared_data):
    assert special_rates("Free (AU,BH,CL,S,SG) 4.9% (E)") == {
        "AU": 0,
        "BH": 0,
        "CL": 0,
        "S": 0,
        "SG": 0,
        "E": Decimal("0.049"),
    }
    claimed = quote(TEE, "MX", date(2025, 9, 1), 100, preference="USMCA")
    assert claimed.amount == 0 and "column 1 special" in _parts(claimed)["MFN"].citation
    wrong_country = quote(TEE, "VN", date(2025, 9, 1), 100, preference="USMCA")
    assert "not available for origin VN" in _parts(wrong_country)["MFN"].note and wrong_country.amount > 0


def test_postal_methods_follow_their_dates():
    # before the suspension, mail up to $800 passes free; China's de minimis ended 2025-05-02
    assert quote(TEE, "VN", date(2025, 6, 1), 50, mode="postal").amount == 0
    cn = quote(TEE, "CN", date(2025, 5, 5), 50, mode="postal", postal_method="specific")
    assert _parts(cn)["POSTAL-PRC-120"].amount == Decimal("100.00")
    # China and Hong Kong from 2025-05-14: 54% or $100 per item (EO 14298 sec. 4)
    cut = _parts(quote(TEE, "HK", date(2025, 6, 2), 50, mode="postal", postal_method="specific"))
    assert cut["POSTAL-PRC-54"].amount == Decimal("100.00") and cut["POSTAL-PRC-54"].status == "refundable"
    # from 2026-02-24 postal items pay the Section 122 rate on their value and nothing else
    s122 = quote(TEE, "VN", date(2026, 3, 2), 50, mode="postal")
    assert s122.rate == Decimal("0.10") and _parts(s122)["MFN"].rate == 0
    assert not _parts(s122)["POSTAL-S122"].refundable
    # mail over $800 would not have qualified for de minimis: it pays the duties of any entry
    dear = quote(TEE, "VN", date(2025, 9, 1), 900, mode="postal")
    assert dear.rate == Decimal("0.365") and not any(c.program == "POSTAL" for c in dear.components)
    # after the surcharge expired the postal method is not confirmed: the quote says so
    after = _parts(quote(TEE, "VN", date(2026, 8, 3), 50, mode="postal"))
    assert after["POSTAL-AFTER-IEEPA"].status == "unverified"


def test_fees_by_fiscal_year_and_entry_kind():
    formal = quote(TEE, "VN", date(2025, 10, 15), 100_000, mode="cargo")
    fees = {f.fee: f for f in formal.fees}
    assert formal.entry_type == "01" and fees["MPF-FORMAL"].amount == Decimal("346.40")
    assert fees["HMF"].amount == Decimal("125.00") and "24.24" in fees["HMF"].citation
    capped = {f.fee: f for f in quote(TEE, "VN", date(2025, 10, 15), 1_000_000, mode="cargo").fees}
    assert capped["MPF-FORMAL"].amount == Decimal("651.50")
    floor = {f.fee: f for f in quote(TEE, "VN", date(2019, 1, 15), 3_000, mode="cargo").fees}
    assert floor["MPF-FORMAL"].amount == Decimal("26.22")
    express = {f.fee: f for f in quote(TEE, "VN", date(2025, 10, 15), 100).fees}
    assert express["MPF-EXPRESS"].amount == Decimal("1.34") and express["MPF-EXPRESS"].status == "verified"
    informal = {f.fee: f for f in quote(TEE, "VN", date(2021, 11, 1), 100, mode="cargo").fees}
    assert informal["MPF-INFORMAL"].amount == Decimal("2.22")
    missing = {f.fee: f for f in quote(TEE, "VN", date(2021, 1, 15), 100).fees}
    assert missing["MPF-EXPRESS"].status == "unverified"  # FY2021 express fee not loaded: said, not guessed
    # FY2027 (from 2026-10-01): no adjustment notice found, FY2026 amounts stand, said to be unverified
    today = {f.fee: f for f in quote(TEE, "VN", date(2026, 12, 7), 100).fees}
    assert today["MPF-EXPRESS"].amount == Decimal("1.34") and today["MPF-EXPRESS"].status == "unverified"
    assert "carried forward" in today["MPF-EXPRESS"].citation


def test_money_is_exact_rounded_once_half_up_and_order_free():
    # 33.33 x 36.5% = 12.16545 -> 12.17 (half-up)
    assert quote(TEE, "VN", date(2025, 9, 1), "33.33").amount == Decimal("12.17")
    # 0.03 x (16.5% + 20%) = 0.01095 -> 0.01 once; rounding each part first would give 0.00 + 0.01 = 0.01 too,
    # 0.05 x 36.5% = 0.01825 -> 0.02 once, where per-part rounding gives 0.01 + 0.01 = 0.02: same; but
    # 0.07 x 36.5% = 0.02555 -> 0.03 once, where per-part rounding gives 0.01 + 0.01 = 0.02
    assert quote(TEE, "VN", date(2025, 9, 1), "0.07").amount == Decimal("0.03")
    assert quote(TEE, "VN", date(2025, 9, 1), 0.1).amount == quote(TEE, "VN", date(2025, 9, 1), "0.1").amount


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("12AB", "CN", date(2025, 1, 1), 1), "hts"),
        ((TEE, "China", date(2025, 1, 1), 1), "origin"),
        ((TEE, "CN", date(2025, 1, 1), -1), "value"),
    ],
)
def test_bad_inputs_name_the_field(args, field):
    with pytest.raises(ParcelAuditError) as error:
        quote(*args)
    assert error.value.field == field
    with pytest.raises(ParcelAuditError):
        quote(TEE, "CN", date(2025, 1, 1), 1, mode="sea")


def test_tables_hold_their_invariants():
    tables = load_tables()
    assert all(m.citation and m.status in ("verified", "unverified") for m in tables.measures)
    # within a program, two rows never apply to the same origin, HTS prefix and day with the same strength
    for program in tables.programs:
        rows = [m for m in tables.measures if m.program == program]
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if a.hts_scope != b.hts_scope or a.end < b.start or b.end < a.start:
                    continue
                shared = (
                    (a.countries or {"*"}) & (b.countries or {"*"}) if a.countries and b.countries else True
                )
                if not a.countries and not b.countries:
                    shared = False  # both 'all except': their except lists keep them apart by design
                assert (
                    not shared or (a.except_countries & b.countries) or (b.except_countries & a.countries)
                ), (
                    a.measure_id,
                    b.measure_id,
                )
    assert all(f.citation for f in tables.fees) and all(e.citation for e in tables.exemptions)


def test_coverage_report_names_every_program_and_its_gaps():
    summary = {row["program"]: row for row in coverage_summary()}
    assert set(summary) == set(load_tables().programs)
    assert summary["S122"]["to"] == "2026-07-23" and summary["IEEPA-RECIP"]["countries"].startswith("all")
    assert summary["S301-CN"]["hts"].startswith(
        "full list: 10,404 lines of the 2025 edition (s301_lines.csv)"
    )
    assert "partial list: 538 lines" in summary["S301-CN"]["hts"]
    assert summary["S232-ALU"]["hts"].startswith("partial list: ")
    rows = coverage_rows()
    assert {r["kind"] for r in rows} == {"measure", "list measure", "list", "exemption", "postal", "fee"}
    assert all(r["citation"] for r in rows)
    l3 = next(r for r in rows if r["id"] == "S301-L3-25")
    assert l3["hts"].startswith("5,") and l3["from"] == "2019-05-10" and l3["status"] == "verified"


def test_quotes_meet_floats_and_iso_dates():
    q = quote(TEE, "CN", "2025-04-05", 100)
    assert q.rate == pytest.approx(0.54) and q.rate == 0.54 and q.amount == 54.0
    assert q.components[0].rate == 0.165 and q.fees[0].amount >= 0.0
    with pytest.raises(ParcelAuditError):
        quote(TEE, "CN", "5 April", 100)


def test_wood_products_under_section_232_from_2025_10_14():
    # upholstered wooden seats: 25% (Proclamation 10976), no reciprocal duty on top (clause 4)
    seat = _parts(quote("9401614011", "VN", date(2025, 11, 3), 100))
    assert seat["S232-WOOD-UPH-25"].rate == Decimal("0.25") and seat["IEEPA-RECIP-VN-20"].rate == 0
    # the United Kingdom pays at most 10%; the EU 15% with the column 1 rate (clause 7)
    assert _parts(quote("9401614011", "GB", date(2025, 11, 3), 100))["S232-WOOD-UK"].rate == Decimal("0.10")
    assert _parts(quote("9401614011", "DE", date(2025, 11, 3), 100))["S232-WOOD-EUJP"].rate == Decimal("0.15")
    # before 2025-10-14 nothing; programs not loaded say so for their headings
    assert "S232-WOOD-UPH-25" not in _parts(quote("9401614011", "VN", date(2025, 10, 13), 100))
    assert (
        _parts(quote("8708994000", "VN", date(2025, 6, 2), 100))["S232-AUTOS-NOT-COVERED"].status
        == "unverified"
    )


def test_reciprocal_duty_reaches_the_content_section_232_leaves():
    # from 2025-06-04 the non-steel content of a derivative pays the reciprocal duty (Proclamation 10947,
    # 90 FR 24199; CBP CSMS 65236374): $40 of steel in $100 -> 50% of 40 + 10% of 60
    steel = quote("7323930080", "VN", date(2025, 6, 4), 100, metal_value=40)
    parts = {c.program: c.rate for c in steel.components}
    assert parts["S232-STEEL"] == Decimal("0.2") and parts["IEEPA-RECIP"] == Decimal("0.06")
    # copper: 50% on the copper content, the rest pays the reciprocal duty (CBP CSMS 65794272, 9903.78.02)
    copper = quote("7418100000", "VN", date(2025, 9, 1), 100, metal_value=40)
    parts = {c.program: c.rate for c in copper.components}
    assert parts["S232-COPPER"] == Decimal("0.2") and parts["IEEPA-RECIP"] == Decimal("0.12")
    # without the metal value the whole value pays the 232 duty and nothing is left for the reciprocal one
    whole = {c.program: c for c in quote("7418100000", "VN", date(2025, 9, 1), 100).components}
    assert whole["S232-COPPER"].rate == Decimal("0.5") and whole["S232-COPPER"].status == "unverified"
    assert whole["IEEPA-RECIP"].rate == 0


def test_land_and_air_cargo_pay_no_harbor_maintenance_fee():
    # HMF is charged on commercial cargo loaded on or unloaded from a commercial vessel at a listed port
    # (19 CFR 24.24(a), (b); 26 U.S.C. 4461): a truck, train or aircraft uses no port
    on = date(2025, 10, 15)
    ocean = {f.fee for f in quote(TEE, "VN", on, 100_000, mode="cargo").fees}
    assert ocean == {"MPF-FORMAL", "HMF"}
    for transport in ("truck", "rail", "air"):
        fees = {f.fee: f for f in quote(TEE, "VN", on, 100_000, mode="cargo", transport=transport).fees}
        assert set(fees) == {"MPF-FORMAL"} and fees["MPF-FORMAL"].amount == Decimal("346.40")
    entry = quote_entry([{"hts": TEE, "origin": "VN", "value": 100_000}], on, mode="cargo", transport="truck")
    assert [f.fee for f in entry.fees] == ["MPF-FORMAL"]
    with pytest.raises(ParcelAuditError, match="transport"):
        quote(TEE, "VN", on, 100, mode="cargo", transport="pipeline")


def test_section_201_safeguards_are_charged_or_flagged_by_product_and_date():
    # CSPV modules: charged, but unverified (bifacial and small-panel exclusions, developing countries)
    module = _parts(quote("8541430010", "KR", date(2025, 3, 1), 100))["S201-CSPV-MOD-Y8"]
    assert (
        module.rate == Decimal("0.14") and module.status == "unverified" and "87 FR 7357" in module.citation
    )
    # cells: the quota fill is not known per parcel, so 0% unverified rather than a silent nothing
    cells = _parts(quote("8541420010", "KR", date(2025, 3, 1), 100))["S201-CSPV-CELLS-TRQ"]
    assert cells.rate == 0 and cells.status == "unverified"
    # other CSPV products of note 18(c) are flagged, and nothing is left after the safeguard expired
    assert (
        _parts(quote("8501710000", "KR", date(2025, 3, 1), 100))["S201-CSPV-NOT-COVERED"].status
        == "unverified"
    )
    assert not any(m.startswith("S201") for m in _parts(quote("8541430010", "KR", date(2026, 2, 7), 100)))
    # Canada: suspended from 2022-02-01 (USTR MOU), a verified zero
    assert (
        _parts(quote("8541430010", "CA", date(2022, 2, 1), 100))["S201-CSPV-CA-EXEMPT"].status == "verified"
    )
    # washers: Canada exempt, every other origin flagged not covered from 2018-02-07 to 2023-02-07
    assert (
        _parts(quote("8450200000", "CA", date(2019, 6, 1), 100))["S201-WASHERS-CA-EXEMPT"].status
        == "verified"
    )
    washer = _parts(quote("8450200000", "KR", date(2023, 2, 7), 100))
    assert washer["S201-WASHERS-NOT-COVERED"].status == "unverified"
    assert "S201-WASHERS-NOT-COVERED" not in _parts(quote("8450200000", "KR", date(2023, 2, 8), 100))
    assert "S201-WASHERS-NOT-COVERED" not in _parts(quote("8450200000", "KR", date(2018, 2, 6), 100))
