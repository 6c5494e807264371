"""`check --engine spark`: a partitioned folder judged per arrival day on Spark (local[2]) gives the same
findings, decisions and line duty as the local check of the same data, as Parquet by day and as a stored run."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from parcelaudit.engines.spark import java_missing
from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.ingest.partitioned import ingest_partitioned
from parcelaudit.partitioned.export import export_parquet
from parcelaudit.pipeline import run_check
from parcelaudit.schema import TABLES
from parcelaudit.store import Store
from tests.support import cli

COLUMNS = {
    "check_findings": "shipment_id, line_no, rule_id, severity, variant, message, citation, evidence",
    "check_decisions": "shipment_id, decision, reasons, duty_owed, duty_at_risk, fees",
    "check_duty_lines": "shipment_id, line_no, hts, origin, rate, duty, verified, components",
}


def _spark_or_skip() -> None:
    pytest.importorskip("pyspark", reason="PySpark is not installed (make .venv/.installed installs [spark])")
    reason = java_missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """600 generated parcels over 4 days (5% injected problems: orders split over consecutive days,
    consignee-days of parcels just under $800 that together pass it), stored and exported by day."""
    folder = tmp_path_factory.mktemp("spark")
    generate_dataset(folder / "data", parcels=600, days=4, start=date(2025, 3, 1), seed=11, rate=0.05)
    _add_split_order_joining_a_later_consignee_day(folder / "data")
    with Store.open(str(folder / "source.duckdb")) as store:
        for name in TABLES:
            assert ingest_file(store, folder / "data" / f"{name}.csv", rejects_dir=None).rows_rejected == 0
        export_parquet(store, folder / "parquet")
    return folder / "parquet"


def _append(path: Path, rows: list[dict]) -> None:
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerows(rows)


def _add_split_order_joining_a_later_consignee_day(data: Path) -> None:
    """Hand-made, beside the generator's truth: order SPLIT-1 ships $450 on 2025-03-01 and $450 on 03-02, and
    on 03-02 its consignee also receives a $450 parcel of no order, so that consignee-day is over $800 too.
    A check of the whole store calls the 03-01 parcel's split `with-aggregation`; a per-day unit sees that
    only if it carries the 03-02 parcel's consignee-day as context."""
    with (data / "shipments.csv").open(encoding="utf-8") as handle:
        template = next(csv.DictReader(handle))
    with (data / "lines.csv").open(encoding="utf-8") as handle:
        line = next(csv.DictReader(handle))
    consignee = {"consignee_name": "Dana Whitlock", "consignee_address": "9731 Quarry Ln, Boise, ID 83702"}
    parcels = [
        ("SPLIT-A", "2025-03-01", "SPLIT-1"),
        ("SPLIT-B", "2025-03-02", "SPLIT-1"),
        ("SPLIT-C", "2025-03-02", ""),
    ]
    shipments, lines = [], []
    for shipment_id, day, order in parcels:
        shipments.append(
            {
                **template,
                **consignee,
                "shipment_id": shipment_id,
                "entry_type": "321",
                "arrival_date": day,
                "country_of_shipment": "VN",
                "order_id": order,
                "currency": "USD",
                "declared_value": "450.0",
                "gift": "false",
            }
        )
        lines.append(
            {
                **line,
                "shipment_id": shipment_id,
                "line_no": "1",
                "quantity": "1",
                "value": "450.0",
                "country_of_origin": "VN",
                "manufacturer_country": "VN",
            }
        )
    _append(data / "shipments.csv", shipments)
    _append(data / "lines.csv", lines)


def _run(store: Store, table: str, run_id: int) -> list[dict]:
    return store.query(
        f"SELECT {COLUMNS[table]} FROM {table} WHERE run_id = ? ORDER BY {COLUMNS[table]}", [run_id]
    ).to_pylist()


@pytest.mark.slow
def test_spark_judges_as_the_local_check_does(exported, store_target, tmp_path):
    _spark_or_skip()
    from parcelaudit.engines.spark import check_with_spark

    with Store.open(store_target) as store:
        assert all(r.rows_rejected == 0 for _, r in ingest_partitioned(store, exported, rejects_dir=None))
        local = run_check(store)
        check, result = check_with_spark(exported, tmp_path / "out", store=store, master="local[2]")
        assert (local.run_id, result.run_id, check.days) == (1, 2, 4)
        for table in COLUMNS:
            expected = _run(store, table, 1)
            assert expected and _run(store, table, 2) == expected, table
        runs = store.query(
            "SELECT shipments, findings, held, reviewed, released FROM check_runs ORDER BY run_id"
        )
        assert runs.to_pylist()[0] == runs.to_pylist()[1]
        snapshots = store.query(
            "SELECT list, sha256 FROM check_list_snapshots ORDER BY run_id, list"
        ).to_pylist()
        assert snapshots[: len(snapshots) // 2] == snapshots[len(snapshots) // 2 :]

    # The data holds what a per-day split could get wrong: orders over several days, consignee-days over $800.
    findings = local.findings.to_pylist()
    spread = [
        f
        for f in findings
        if f["rule_id"] == "DM-SPLIT"
        and json.loads(f["evidence"])["first_arrival"] != json.loads(f["evidence"])["last_arrival"]
    ]
    assert spread and any(f["variant"] == "with-aggregation" for f in spread)
    assert [
        f["variant"] for f in findings if f["shipment_id"] == "SPLIT-A" and f["rule_id"] == "DM-SPLIT"
    ] == ["with-aggregation"]
    assert any(f["rule_id"] == "DM-AGG" for f in findings)

    # Parquet by day: each day's folder holds that day's parcels' results, together those of the local check.
    days = {row["shipment_id"]: row["arrival_date"] for row in local.shipments.to_pylist()}
    for name, table in (
        ("findings", local.findings),
        ("decisions", local.decisions),
        ("line_duty", local.line_duty),
    ):
        written = ds.dataset(tmp_path / "out" / name, format="parquet", partitioning="hive").to_table()
        assert written.num_rows == table.num_rows, name
        assert {
            str(days[s]) == str(d)
            for s, d in zip(
                written["shipment_id"].to_pylist(), written["arrival_date"].to_pylist(), strict=True
            )
        } == {True}


def test_a_folder_that_is_no_export_is_refused_before_spark_starts(tmp_path):
    (tmp_path / "shipments").mkdir()
    result = cli("check", "--engine", "spark", "--parquet", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "no shipments Parquet files" in result.stderr and "export --parquet" in result.stderr


def test_without_java_spark_says_what_to_install(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    assert "Java runtime" in java_missing()


def test_the_local_check_still_needs_out(tmp_path):
    result = cli("check", cwd=tmp_path)
    assert result.returncode == 2 and "--out" in result.stderr


@pytest.mark.slow
def test_a_folder_without_orders_is_judged_as_the_local_check_judges_it(exported, store_target, tmp_path):
    """A manifest without marketplace orders (no orders folder): the order rules have nothing to join, on
    both engines alike."""
    _spark_or_skip()
    from parcelaudit.engines.spark import check_with_spark

    folder = tmp_path / "no-orders"
    shutil.copytree(exported, folder, ignore=shutil.ignore_patterns("orders", "manifest.json"))
    with Store.open(store_target) as store:
        assert all(r.rows_rejected == 0 for _, r in ingest_partitioned(store, folder, rejects_dir=None))
        assert store.scalar("SELECT count(*) FROM orders") == 0
        run_check(store, screening=False)
        check_with_spark(folder, tmp_path / "out", store=store, screening=False, master="local[2]")
        for table in COLUMNS:
            assert _run(store, table, 2) == _run(store, table, 1), table
