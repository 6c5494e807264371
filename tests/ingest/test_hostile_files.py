"""Hostile and awkward files: each gives a clear error or a precise reject, never a silent loss."""

from __future__ import annotations

import csv
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from parcelaudit.errors import InputError
from parcelaudit.ingest import ingest_file
from parcelaudit.store import Store
from tests.ingest.helpers import SHIPMENT_HEADER, good_shipment, write_csv


@pytest.fixture
def store(store_target):
    with Store.open(store_target) as opened:
        yield opened


def test_binary_junk_is_refused_with_a_clear_error(store, tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(InputError, match="binary file") as error:
        ingest_file(store, path)
    assert str(path) in str(error.value)
    assert store.scalar("SELECT count(*) FROM imports") == 0


def test_wrong_encoding_names_the_byte_and_the_fix_and_works_when_declared(store, tmp_path):
    path = write_csv(
        tmp_path / "latin.csv",
        SHIPMENT_HEADER,
        [good_shipment("P1", consignee_name="José Müller")],
        encoding="cp1252",
    )
    with pytest.raises(InputError, match="not UTF-8") as error:
        ingest_file(store, path)
    assert "--encoding" in str(error.value)
    result = ingest_file(store, path, encoding="cp1252", rejects_dir=None)
    assert result.rows_stored == 1
    assert store.read_table("shipments")["consignee_name"].to_pylist() == ["José Müller"]


def test_utf8_bom_and_semicolon_and_tab_delimiters(store, tmp_path):
    for index, delimiter in enumerate([";", "\t"]):
        path = write_csv(
            tmp_path / f"d{index}.csv",
            SHIPMENT_HEADER,
            [good_shipment(f"D{index}")],
            delimiter=delimiter,
            encoding="utf-8-sig",
        )
        assert ingest_file(store, path, rejects_dir=None).rows_stored == 1
    assert store.scalar("SELECT count(*) FROM shipments") == 2


def test_truncated_last_line_is_rejected_with_its_row_number(store, tmp_path):
    path = write_csv(tmp_path / "cut.csv", SHIPMENT_HEADER, [good_shipment("P1"), good_shipment("P2")])
    path.write_text(path.read_text() + "P3,11,2025-09-0")
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 2 and result.rows_rejected == 1
    row, reason = store.fetch_one("SELECT row_number, reason FROM rejects")
    assert row == 4 and "malformed record" in reason


def test_malformed_row_in_the_middle_keeps_later_row_numbers_right(store, tmp_path):
    path = tmp_path / "mid.csv"
    rows = [
        ",".join(SHIPMENT_HEADER),
        ",".join(good_shipment("P1")),
        "P2,11,2025-09-02",
        ",".join(good_shipment("P3", country_of_shipment="QQ")),
    ]
    path.write_text("\n".join(rows) + "\n")
    ingest_file(store, path, rejects_dir=None)
    got = dict(store.fetch("SELECT row_number, coalesce(field, '') FROM rejects"))
    assert got == {3: "", 4: "country_of_shipment"}


def test_missing_header_row_is_a_clear_error(store, tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("\n".join(",".join(good_shipment(f"P{i}")) for i in range(3)) + "\n")
    with pytest.raises(InputError, match="no recognised column names") as error:
        ingest_file(store, path)
    assert "row 1" in str(error.value)


def test_required_column_absent_from_header(store, tmp_path):
    path = write_csv(
        tmp_path / "h.csv",
        ["shipment_id", "entry_type", "arrival_date", "declared_value"],
        [["P1", "11", "2025-09-02", "3"]],
    )
    with pytest.raises(InputError, match="country_of_shipment"):
        ingest_file(store, path)


def test_formula_strings_are_data_but_neutralised_in_written_csv(store, tmp_path):
    formula = '=HYPERLINK("http://evil.example","click")'
    path = write_csv(
        tmp_path / "f.csv",
        SHIPMENT_HEADER,
        [
            good_shipment("P1", consignee_name=formula),
            good_shipment("P2", consignee_name="@SUM(A1)", currency="???"),
        ],
    )
    result = ingest_file(store, path, rejects_dir=tmp_path / "rej")
    assert store.read_table("shipments")["consignee_name"].to_pylist() == [formula]
    with result.rejects_path.open(encoding="utf-8") as handle:
        raw = next(iter(csv.DictReader(handle)))["raw"]
    assert '"@SUM(A1)"' in raw  # inside JSON, not at the start of a cell
    from parcelaudit.csv_safety import neutralise

    assert (
        neutralise(formula) == "'" + formula
        and neutralise("-12.5") == "-12.5"
        and neutralise("+1)") == "'+1)"
    )


def test_jsonl_with_a_broken_line_and_mixed_types(store, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"shipment_id": "J1", "entry_type": 11, "arrival_date": "2025-09-02", '
        '"country_of_shipment": "CN", "declared_value": 12.5}\n'
        '{"shipment_id": "J2", "entry_type": "11", "arrival_date": "2025-09-02", '
        '"country_of_shipment": "CN", "declared_value": "7"}\n'
        '{"shipment_id": "J3", "entry_ty'
    )
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 2 and result.rows_rejected == 1
    row, reason = store.fetch_one("SELECT row_number, reason FROM rejects")
    assert row == 3 and "not valid JSON" in reason


def test_parquet_with_typed_columns(store, tmp_path):
    table = pa.table(
        {
            "shipment_id": ["Q1", "Q2"],
            "entry_type": ["01", "11"],
            "arrival_date": pa.array([20333, 20334], pa.date32()),
            "country_of_shipment": ["VN", "IN"],
            "declared_value": [3000.0, 12.0],
            "gift": [False, True],
        }
    )
    pq.write_table(table, tmp_path / "s.parquet")
    result = ingest_file(store, tmp_path / "s.parquet", rejects_dir=None)
    assert result.rows_stored == 2
    assert store.read_table("shipments")["gift"].to_pylist() == [False, True]


def test_reingesting_the_same_file_or_the_same_rows_adds_nothing(store, tmp_path):
    rows = [good_shipment(f"P{i}") for i in range(5)]
    path = write_csv(tmp_path / "a.csv", SHIPMENT_HEADER, rows)
    first = ingest_file(store, path, rejects_dir=None)
    before = store.counts()
    again = ingest_file(store, path, rejects_dir=None)
    assert again.already_imported and store.counts() == before
    reordered = write_csv(tmp_path / "b.csv", SHIPMENT_HEADER[::-1], [r[::-1] for r in rows[::-1]])
    third = ingest_file(store, reordered, rejects_dir=None)
    assert first.rows_stored == 5 and third.rows_stored == 0 and third.rows_duplicate == 5
    assert store.scalar("SELECT count(*) FROM shipments") == 5


CHILD = """
import sys, time
from pathlib import Path
from parcelaudit.store import Store
from parcelaudit.ingest import ingest_file
store = Store.open(sys.argv[1])
def slow(n):
    Path(sys.argv[3]).write_text("batch written")
    time.sleep(60)
ingest_file(store, Path(sys.argv[2]), on_progress=slow, rejects_dir=None)
"""


def test_sigkill_in_the_middle_of_an_ingest_leaves_the_store_as_it_was(store_target, tmp_path):
    db = store_target
    with Store.open(db) as store:
        ingest_file(
            store,
            write_csv(tmp_path / "first.csv", SHIPMENT_HEADER, [good_shipment("KEEP")]),
            rejects_dir=None,
        )
        before = store.counts()
    big = write_csv(tmp_path / "big.csv", SHIPMENT_HEADER, [good_shipment(f"B{i}") for i in range(150_000)])
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", CHILD, db, str(big), str(marker)])
    try:
        for _ in range(600):
            if marker.exists() or child.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert marker.exists(), "the child never wrote a batch"
        child.kill()  # SIGKILL
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    with Store.open(db) as store:
        assert store.counts() == before
        assert (
            store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '_stage%'")
            == 0
        )
        assert store.read_table("shipments")["shipment_id"].to_pylist() == ["KEEP"]
