"""Every reject reason: the row is kept in the rejects table and file with file, row, field, value, reason."""

from __future__ import annotations

import csv
import json

import pytest

from parcelaudit.ingest import ingest_file
from parcelaudit.store import Store
from tests.ingest.helpers import SHIPMENT_HEADER, good_shipment, write_csv


@pytest.fixture
def store(store_target):
    with Store.open(store_target) as opened:
        yield opened


CASES = [
    ("shipment_id", "", "missing required field"),
    ("declared_value", "12,5x", "not a number"),
    ("declared_value", "-3.00", "negative value"),
    ("arrival_date", "2025-02-30", "not a date"),
    ("arrival_date", "yesterday", "not a date"),
    ("country_of_shipment", "XX", "unknown country code"),
    ("currency", "DOLLARS", "unknown currency code"),
    ("entry_type", "99", "unknown value"),
    ("consignee_name", "x" * 100_000, "longer than 4000 characters"),
]


@pytest.mark.parametrize(("field", "value", "reason"), CASES, ids=[c[2] + ":" + c[0] for c in CASES])
def test_each_reject_reason_is_recorded_and_the_rest_stored(store, tmp_path, field, value, reason):
    path = write_csv(
        tmp_path / "in.csv",
        SHIPMENT_HEADER,
        [good_shipment("P1"), good_shipment("P2", **{field: value}), good_shipment("P3")],
    )
    result = ingest_file(store, path, rejects_dir=tmp_path / "rejects")
    assert result.rows_stored == 2 and result.rows_rejected == 1
    stored = sorted(store.read_table("shipments")["shipment_id"].to_pylist())
    assert stored == ["P1", "P3"]
    row = store.fetch("SELECT row_number, field, value, reason, raw FROM rejects")
    assert len(row) == 1
    row_number, got_field, got_value, got_reason, raw = row[0]
    assert row_number == 3  # the header is row 1
    assert got_field == field and reason in got_reason
    assert got_value == value[:200] or (value == "" and got_value is None)
    assert json.loads(raw)["shipment_id"] == ("P2" if field != "shipment_id" else "")
    with result.rejects_path.open(encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert rejects[0]["file"] == str(path) and rejects[0]["row"] == "3" and rejects[0]["field"] == field


def test_malformed_hts_is_rejected_but_dotted_hts_is_normalised(store, tmp_path):
    header = ["shipment_id", "line_no", "hts_code", "description"]
    path = write_csv(
        tmp_path / "lines.csv",
        header,
        [["P1", 1, "6109.10.0012", "T-shirt"], ["P1", 2, "61X9.10", "Shirt"], ["P1", 3, "6109 10", "Tee"]],
    )
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 2
    assert sorted(store.read_table("lines")["hts_code"].to_pylist()) == ["610910", "6109100012"]
    reason = store.fetch_one("SELECT field, reason FROM rejects")
    assert reason[0] == "hts_code" and "malformed HTS" in reason[1]


def test_several_problems_in_one_row_are_all_reported(store, tmp_path):
    path = write_csv(
        tmp_path / "in.csv",
        SHIPMENT_HEADER,
        [good_shipment("P1", declared_value="-1", country_of_shipment="ZZ", arrival_date="x")],
    )
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_rejected == 1
    fields = {r[0] for r in store.fetch("SELECT field FROM rejects")}
    assert fields == {"declared_value", "country_of_shipment", "arrival_date"}


def test_duplicate_shipment_ids_in_one_file(store, tmp_path):
    path = write_csv(
        tmp_path / "in.csv",
        SHIPMENT_HEADER,
        [good_shipment("P1"), good_shipment("P1"), good_shipment("P1", declared_value="99")],
    )
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1 and result.rows_duplicate == 1 and result.rows_rejected == 1
    assert store.read_table("shipments")["declared_value"].to_pylist() == [25.5]
    reason = store.fetch_one("SELECT row_number, reason FROM rejects")
    assert reason[0] == 4 and "row 2 has the same key with different content" in reason[1]


def test_conflict_with_a_stored_shipment_is_rejected_not_overwritten(store, tmp_path):
    ingest_file(
        store, write_csv(tmp_path / "a.csv", SHIPMENT_HEADER, [good_shipment("P1")]), rejects_dir=None
    )
    result = ingest_file(
        store,
        write_csv(
            tmp_path / "b.csv",
            SHIPMENT_HEADER,
            [good_shipment("P1", declared_value="1.00"), good_shipment("P2")],
        ),
        rejects_dir=None,
    )
    assert result.rows_stored == 1 and result.rows_rejected == 1
    assert store.scalar("SELECT declared_value FROM shipments WHERE shipment_id='P1'") == 25.5
    assert "already stored with different content" in store.scalar("SELECT reason FROM rejects")


def test_optional_fields_missing_are_not_rejects(store, tmp_path):
    header = ["shipment_id", "entry_type", "arrival_date", "country_of_shipment", "declared_value"]
    path = write_csv(tmp_path / "min.csv", header, [["P1", "321", "2025-03-01", "VN", "10"]])
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1 and result.rows_rejected == 0
    row = store.read_table("shipments").to_pylist()[0]
    assert row["currency"] == "USD" and row["consignee_country"] == "US" and row["seller_name"] is None
