"""The generator: reproducible, realistic, and its clean parcels obey the timeline it claims."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pyarrow.csv as pacsv
import pytest

from parcelaudit.generate import KINDS, generate_dataset
from parcelaudit.generate.catalog import PRODUCTS
from parcelaudit.ingest import ingest_file
from parcelaudit.store import Store

FILES = ("shipments.csv", "lines.csv", "orders.csv", "payments.csv", "truth.csv")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    summary = generate_dataset(out, parcels=6000, days=240, start=date(2025, 3, 1), seed=3, rate=0.002)
    return out, summary


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_files_other_seed_other_files(dataset, tmp_path):
    out, _ = dataset
    again = tmp_path / "again"
    generate_dataset(again, parcels=6000, days=240, start=date(2025, 3, 1), seed=3, rate=0.002)
    assert all(_digest(out / f) == _digest(again / f) for f in FILES)
    other = tmp_path / "other"
    generate_dataset(other, parcels=6000, days=240, start=date(2025, 3, 1), seed=4, rate=0.002)
    assert _digest(out / "lines.csv") != _digest(other / "lines.csv")


def test_files_are_the_same_whatever_the_chunk(dataset, tmp_path):
    """The generator writes a few thousand parcels at a time (memory follows the chunk); the files are the
    bytes of one pass, whatever the chunk, including one that splits orders and leaves a short last chunk."""
    out, _ = dataset
    chunked = tmp_path / "chunked"
    generate_dataset(chunked, parcels=6000, days=240, start=date(2025, 3, 1), seed=3, rate=0.002, chunk=701)
    assert [_digest(out / f) for f in FILES] == [_digest(chunked / f) for f in FILES]
    with pytest.raises(ValueError, match="chunk must be 1 or more"):
        generate_dataset(tmp_path / "none", parcels=10, chunk=0)


def test_payments_follow_the_orders_first_lines(dataset):
    """One payment per order, numbered in the order of each order's first line in orders.csv."""
    out, _ = dataset
    orders = pacsv.read_csv(out / "orders.csv")["order_id"].to_pylist()
    payments = pacsv.read_csv(out / "payments.csv")
    assert payments["order_id"].to_pylist() == list(dict.fromkeys(orders))
    assert payments["payment_id"].to_pylist() == sorted(payments["payment_id"].to_pylist())


def test_every_kind_is_injected_and_labelled(dataset):
    out, summary = dataset
    truth = pacsv.read_csv(out / "truth.csv").to_pylist()
    assert {row["kind"] for row in truth} == set(KINDS)
    assert summary["skipped"] == {}
    assert all(summary["injected"][kind] >= 3 for kind in KINDS)


def test_generated_files_ingest_without_a_single_reject(dataset, store_target):
    out, summary = dataset
    with Store.open(store_target) as store:
        for name in FILES[:4]:
            result = ingest_file(store, out / name, rejects_dir=None)
            assert result.rows_rejected == 0, name
            assert result.rows_stored == summary["rows"][name.removesuffix(".csv")]


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall()


# The generated CSV files are read with an in-memory DuckDB (no store: these tests are about the files).
def test_clean_parcels_follow_the_de_minimis_timeline(dataset):
    """No clean de minimis claim on goods of CN/HK from 2025-05-02 or on any goods from 2025-08-29."""
    out, _ = dataset
    with duckdb.connect() as store:
        for name in ("shipments", "lines", "truth"):
            store.execute(
                f"CREATE TABLE {name}_raw AS SELECT * FROM read_csv_auto(?, all_varchar=true)",
                [str(out / f"{name}.csv")],
            )
        claims = """
            SELECT shipment_id, arrival >= DATE '2025-08-29' AS all_suspended,
                   arrival >= DATE '2025-05-02' AND china AS china_suspended
            FROM (SELECT s.shipment_id, CAST(s.arrival_date AS DATE) AS arrival,
                         bool_or(l.country_of_origin IN ('CN', 'HK')) AS china
                  FROM shipments_raw s JOIN lines_raw l USING (shipment_id)
                  WHERE s.entry_type IN ('321', '86') GROUP BY 1, 2)"""
        suspended = """SELECT shipment_id FROM claims WHERE all_suspended OR china_suspended"""
        store.execute(f"CREATE TABLE claims AS {claims}")
        flagged = {r[0] for r in _fetch(store, suspended)}
        injected = {
            r[0] for r in _fetch(store, "SELECT shipment_id FROM truth_raw WHERE kind = 'dm_suspended'")
        }
        assert flagged == injected and injected
        [(over,)] = _fetch(
            store,
            """
            SELECT count(*) FROM (
              SELECT consignee_name, consignee_address, arrival_date,
                     sum(CAST(declared_value AS DOUBLE)) AS total
              FROM shipments_raw WHERE entry_type IN ('321', '86')
                AND shipment_id NOT IN (SELECT shipment_id FROM truth_raw)
              GROUP BY ALL HAVING total > 800)
        """,
        )
        assert over == 0


def test_declared_values_equal_order_values_except_undervalued(dataset):
    out, _ = dataset
    with duckdb.connect() as store:
        for name in ("lines", "orders", "truth"):
            store.execute(
                f"CREATE TABLE {name}_raw AS SELECT * FROM read_csv_auto(?)", [str(out / f"{name}.csv")]
            )
        rows = _fetch(
            store,
            """
            SELECT l.shipment_id, sum(l.value) AS declared, sum(o.quantity * o.unit_price) AS paid
            FROM lines_raw l JOIN orders_raw o ON o.sku = l.sku
             AND o.order_id = (SELECT order_id FROM read_csv_auto(?) s WHERE s.shipment_id = l.shipment_id)
            GROUP BY l.shipment_id HAVING abs(declared - paid) > 0.05
        """,
            [str(out / "shipments.csv")],
        )
        undervalued = {
            r[0] for r in _fetch(store, "SELECT shipment_id FROM truth_raw WHERE kind = 'undervalued'")
        }
        assert rows and {r[0] for r in rows} == undervalued
        assert all(declared < 0.9 * paid - 5 for _, declared, paid in rows)


def test_catalog_codes_are_ten_digits_and_sectors_labelled():
    assert all(len(p.hts10) == 10 and p.hts10.isdigit() for p in PRODUCTS)
    assert {p.category for p in PRODUCTS} >= {
        "apparel",
        "footwear",
        "electronics",
        "toys",
        "cosmetics",
        "plastics",
    }


def test_catalog_codes_exist_in_the_full_usitc_schedule():
    from tests.support import require_shared

    path = require_shared("hts/tariff_database_2025_06062025.csv")
    codes = set(
        pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(column_types={"hts8": "string"}, include_columns=["hts8"]),
        )["hts8"].to_pylist()
    )
    assert all(p.hts10[:8] in codes for p in PRODUCTS)


def test_the_generator_reads_its_policy_dates_from_the_policy_tables():
    import numpy as np

    from parcelaudit.generate.dataset import de_minimis_available, type86_start
    from parcelaudit.rules.policy import load_policy

    rows = load_policy().table("de_minimis_suspensions").to_pylist()
    for row in rows:
        if row["country"] not in ("*", "CN", "HK"):
            continue
        start = np.datetime64(row["effective_from"])
        days = np.array([start - 1, start], dtype="datetime64[D]")
        china = de_minimis_available(days, np.array([True, True]))
        other = de_minimis_available(days, np.array([False, False]))
        assert not china[1], row["measure_id"]  # in force from its first day
        assert other[1] == (row["country"] != "*"), row["measure_id"]
    elements = load_policy().table("required_elements").to_pylist()
    assert type86_start() == min(r["effective_from"] for r in elements if r["entry_types"] == "86")
