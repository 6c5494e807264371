"""quote_entry(): duty per line, fees once per entry (19 CFR 24.23: formal MPF with one minimum and one
maximum per entry, one informal or express fee per entry or waybill)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from parcelaudit.duty import quote, quote_entry
from parcelaudit.errors import ParcelAuditError

TEE = "6109100012"
FY26 = date(2025, 10, 15)


def _fees(entry) -> dict:
    return {f.fee: f.amount for f in entry.fees}


def test_formal_mpf_minimum_is_per_entry_not_per_line():
    lines = [{"hts": TEE, "origin": "VN", "value": 1000}] * 3
    entry = quote_entry(lines, FY26, mode="cargo")
    # 0.3464% of $3,000 is $10.39: the FY2026 minimum of $33.58 applies once (CBP Dec. 25-10)
    assert entry.entry_type == "01" and _fees(entry)["MPF-FORMAL"] == Decimal("33.58")
    assert _fees(entry)["HMF"] == Decimal("3.75")  # 0.125% of $3,000 (19 CFR 24.24)
    per_line = sum(quote(TEE, "VN", FY26, 1000, mode="cargo", entry_type="01").fees_amount for _ in lines)
    assert entry.fees_amount < per_line


def test_formal_mpf_maximum_is_per_entry():
    entry = quote_entry([{"hts": TEE, "origin": "VN", "value": 100_000}] * 3, FY26, mode="cargo")
    assert _fees(entry)["MPF-FORMAL"] == Decimal("651.50")  # not 3 x $346.40


def test_express_pays_one_fee_per_waybill_and_duty_is_the_lines():
    lines = [{"hts": TEE, "origin": "VN", "value": 60}, {"hts": "9503000073", "origin": "VN", "value": 40}]
    entry = quote_entry(lines, FY26)
    assert _fees(entry) == {"MPF-EXPRESS": Decimal("1.34")}
    each = [quote(line["hts"], "VN", FY26, line["value"], shipment_value=100) for line in lines]
    assert [q.amount for q in entry.lines] == [q.amount for q in each]
    assert entry.amount == sum(q.amount for q in each) and entry.value == Decimal(100)
    assert entry.loss_basis == entry.amount - entry.refundable_amount + Decimal("1.34")


def test_de_minimis_is_judged_on_the_entry_value():
    two = quote_entry([{"hts": TEE, "origin": "VN", "value": 300}] * 2, date(2024, 6, 1), entry_type="321")
    assert two.amount == 0 and two.fees == ()
    three = quote_entry([{"hts": TEE, "origin": "VN", "value": 300}] * 3, date(2024, 6, 1), entry_type="321")
    assert three.amount == Decimal("148.50") and three.entry_type == "11"  # $900 > $800: 16.5% MFN
    assert _fees(three) == {"MPF-EXPRESS": Decimal("1.27")}  # FY2024 (CBP Dec. 23-08)


def test_bad_lines_name_the_line_and_field():
    with pytest.raises(ParcelAuditError, match="entry line 2: value missing"):
        quote_entry([{"hts": TEE, "origin": "VN", "value": 1}, {"hts": TEE, "origin": "VN"}], FY26)
    with pytest.raises(ParcelAuditError, match="unknown field"):
        quote_entry([{"hts": TEE, "origin": "VN", "value": 1, "colour": "red"}], FY26)
    with pytest.raises(ParcelAuditError, match="at least one line"):
        quote_entry([], FY26)
