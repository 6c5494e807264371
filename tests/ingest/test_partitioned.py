"""Partitioned data: `export --parquet` writes the canonical tables one folder per arrival day, and
`ingest DIR` reads such a folder back through the normal import (validation, dedupe)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from parcelaudit.errors import InputError
from parcelaudit.generate import generate_dataset
from parcelaudit.hashing import file_sha256
from parcelaudit.ingest import ingest_file
from parcelaudit.ingest.partitioned import ingest_partitioned
from parcelaudit.partitioned.export import export_parquet, read_manifest
from parcelaudit.schema import TABLES
from parcelaudit.store import Store
from parcelaudit.store.partitions import DayRange
from tests.support import cli

START = date(2025, 3, 1)
DAYS = 5


@pytest.fixture(scope="module")
def source_store(tmp_path_factory, session_target) -> str:
    """A store of 400 generated parcels over 5 days (shipments, lines, orders, payments from CSV), on the
    engine the suite runs on; tests only read it."""
    folder = tmp_path_factory.mktemp("source")
    generate_dataset(folder / "data", parcels=400, days=DAYS, start=START, seed=5, rate=0.02)
    db = session_target("partitioned-source")
    with Store.open(db) as store:
        for name in TABLES:
            result = ingest_file(store, folder / "data" / f"{name}.csv", rejects_dir=None)
            assert result.rows_rejected == 0
    return db


@pytest.fixture(scope="module")
def exported(source_store, tmp_path_factory) -> Path:
    """The source store exported once."""
    out = tmp_path_factory.mktemp("export") / "parcels"
    with Store.open(str(source_store), read_only=True) as store:
        export_parquet(store, out)
    return out


def canonical(store: Store) -> dict[str, tuple[int, str]]:
    """Per canonical table: rows, and a checksum of its canonical content that ignores row order."""
    summary = {}
    for name, table in TABLES.items():
        # Values as Arrow gives them (the same types on both engines), not each engine's text for them.
        rows = store.query(f"SELECT {', '.join(table.names)} FROM {name}").to_pylist()
        digests = sorted(hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest() for row in rows)
        summary[name] = (len(rows), hashlib.sha256("".join(digests).encode()).hexdigest())
    return summary


def part_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_round_trip_through_a_partitioned_folder_keeps_every_canonical_row(
    source_store, exported, store_target, tmp_path
):
    with Store.open(str(source_store), read_only=True) as source:
        expected = canonical(source)
    assert all(rows for rows, _ in expected.values())
    with Store.open(store_target) as store:
        results = list(ingest_partitioned(store, exported, rejects_dir=None))
        assert results and all(r.rows_rejected == 0 and not r.already_imported for _, r in results)
        assert canonical(store) == expected
        # Exporting the re-ingested store gives the same bytes: same rows, same order, same files.
        again = tmp_path / "again"
        export_parquet(store, again)
    assert part_files(again) == part_files(exported)
    assert (again / "manifest.json").read_bytes() == (exported / "manifest.json").read_bytes()


def test_layout_one_folder_per_day_with_whole_parcels_and_a_manifest(exported):
    days = {f"arrival_date={date.fromordinal(START.toordinal() + i).isoformat()}" for i in range(DAYS)}
    for table in TABLES:
        folders = {p.name for p in (exported / table).iterdir()}
        assert folders == days, table
        assert all((exported / table / f / "part-0.parquet").is_file() for f in folders)
    assert not [p for p in exported.rglob("*") if p.name.startswith(".")]  # no temporary file left
    # The day is in the path (hive), not in the file; readers get it back as a column.
    assert "arrival_date" not in pq.read_schema(next((exported / "shipments").rglob("*.parquet"))).names
    shipments = ds.dataset(exported / "shipments", format="parquet", partitioning="hive").to_table()
    lines = ds.dataset(exported / "lines", format="parquet", partitioning="hive").to_table()
    day_of = dict(
        zip(shipments["shipment_id"].to_pylist(), shipments["arrival_date"].to_pylist(), strict=True)
    )
    for shipment, day in zip(
        lines["shipment_id"].to_pylist(), lines["arrival_date"].to_pylist(), strict=True
    ):
        assert day_of[shipment] == day  # a line is in its parcel's day
    manifest = json.loads((exported / "manifest.json").read_text())
    assert len(manifest["files"]) == DAYS * len(TABLES)
    for entry in manifest["files"]:
        path = exported / entry["path"]
        assert entry["sha256"] == file_sha256(path)
        assert entry["rows"] == pq.ParquetFile(path).metadata.num_rows
    assert sum(e["rows"] for e in manifest["files"] if e["table"] == "shipments") == shipments.num_rows


def test_re_export_of_the_same_store_is_byte_identical(source_store, exported, tmp_path):
    with Store.open(str(source_store), read_only=True) as store:
        export_parquet(store, exported)  # over the earlier export, in place
        export_parquet(store, tmp_path / "second")
    assert part_files(tmp_path / "second") == part_files(exported)
    assert (tmp_path / "second" / "manifest.json").read_bytes() == (exported / "manifest.json").read_bytes()


def test_an_interrupted_export_leaves_every_file_whole(source_store, exported, tmp_path):
    out = tmp_path / "interrupted"
    shutil.copytree(exported, out)
    before = part_files(out)
    day = out / "lines" / "arrival_date=2025-03-03"
    # The temporary name of that day's file is taken (by a folder): writing it fails mid-export.
    blocker = day / f".part-0.parquet.{os.getpid()}.tmp"
    blocker.mkdir()
    with Store.open(str(source_store), read_only=True) as store, pytest.raises(OSError):
        export_parquet(store, out)
    blocker.rmdir()
    assert part_files(out) == before  # every file complete: the earlier ones, and the rewritten ones
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_since_until_exports_those_days_and_the_manifest_keeps_earlier_days(source_store, tmp_path):
    out = tmp_path / "days"
    second, third = date(2025, 3, 2), date(2025, 3, 3)
    with Store.open(str(source_store), read_only=True) as store:
        written = export_parquet(store, out, DayRange(second, third))
        assert {p.arrival_date for p in written} == {"2025-03-02", "2025-03-03"}
        assert {p.table for p in written} == set(TABLES)
        export_parquet(store, out, DayRange(date(2025, 3, 5), None))
        expected = store.scalar(
            "SELECT count(*) FROM shipments WHERE arrival_date IN (?, ?, ?)",
            [second, third, date(2025, 3, 5)],
        )
    listed = read_manifest(out)
    assert {p.arrival_date for p in listed} == {"2025-03-02", "2025-03-03", "2025-03-05"}
    assert sum(p.rows for p in listed if p.table == "shipments") == expected


def test_re_ingesting_a_folder_or_a_day_already_imported_changes_nothing(exported, store_target, tmp_path):
    with Store.open(store_target) as store:
        list(ingest_partitioned(store, exported, rejects_dir=None))
        before = store.counts()
        again = list(ingest_partitioned(store, exported, rejects_dir=None))
        assert again and all(result.already_imported for _, result in again)
        # One day copied into another folder is the same file: a duplicate.
        day = "shipments/arrival_date=2025-03-02/part-0.parquet"
        copy = tmp_path / "copy" / day
        copy.parent.mkdir(parents=True)
        shutil.copy(exported / day, copy)
        [(_, result)] = list(ingest_partitioned(store, tmp_path / "copy", rejects_dir=None))
        assert result.already_imported
        assert store.counts() == before


def test_a_day_exported_again_with_late_parcels_stores_only_the_new_rows(exported, store_target, tmp_path):
    day = "shipments/arrival_date=2025-03-02/part-0.parquet"
    rows = pq.read_table(exported / day)
    late = rows.slice(0, 1).set_column(0, "shipment_id", pa.array(["LATE-1"]))
    again = tmp_path / "again" / day
    again.parent.mkdir(parents=True)
    pq.write_table(pa.concat_tables([rows, late]), again)
    with Store.open(store_target) as store:
        list(ingest_partitioned(store, exported, rejects_dir=None))
        [(_, result)] = list(ingest_partitioned(store, tmp_path / "again", rejects_dir=None))
        assert (result.rows_stored, result.rows_duplicate, result.rows_rejected) == (1, rows.num_rows, 0)
        stored = store.fetch_one(
            "SELECT CAST(arrival_date AS VARCHAR) FROM shipments WHERE shipment_id = 'LATE-1'"
        )
        assert stored == ("2025-03-02",)


def test_a_rejected_record_of_a_part_file_is_reported_under_its_own_folder(exported, store_target, tmp_path):
    day = "shipments/arrival_date=2025-03-02/part-0.parquet"
    rows = pq.read_table(exported / day).slice(0, 3)
    bad = rows.set_column(
        rows.column_names.index("country_of_shipment"), "country_of_shipment", pa.array(["CN", "XX", "CN"])
    )
    path = tmp_path / "bad" / day
    path.parent.mkdir(parents=True)
    pq.write_table(bad, path)
    with Store.open(store_target) as store:
        [(_, result)] = list(ingest_partitioned(store, tmp_path / "bad", rejects_dir=tmp_path / "rejects"))
    assert (result.rows_stored, result.rows_rejected) == (2, 1)
    assert result.rejects_path == tmp_path / "rejects" / "bad" / (day + ".rejects.csv")
    text = result.rejects_path.read_text()
    assert "country_of_shipment" in text and "XX" in text and ",2," in text  # Parquet rows: index + 1


def test_a_damaged_part_file_is_one_error_naming_it_and_nothing_is_stored(exported, store_target, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    damaged = broken / "lines" / "arrival_date=2025-03-04" / "part-0.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-40])
    with Store.open(store_target) as store:
        with pytest.raises(InputError) as caught:
            list(ingest_partitioned(store, broken, rejects_dir=None))
        assert str(damaged) in str(caught.value)
        assert store.scalar("SELECT count(*) FROM imports") == 0


def test_a_day_with_a_damaged_page_is_not_stored_and_earlier_days_are(exported, store_target, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    damaged = broken / "lines" / "arrival_date=2025-03-04" / "part-0.parquet"
    data = bytearray(damaged.read_bytes())
    data[4:200] = b"\xff" * 196  # the first page header, not the footer
    damaged.write_bytes(bytes(data))
    with Store.open(store_target) as store:
        with pytest.raises(InputError) as caught:
            list(ingest_partitioned(store, broken, rejects_dir=None))
        assert str(damaged) in str(caught.value)
        days = store.fetch("SELECT DISTINCT CAST(arrival_date AS VARCHAR) FROM shipments ORDER BY 1")
        assert days == [("2025-03-01",), ("2025-03-02",), ("2025-03-03",)]  # the damaged day: none of it
        assert store.scalar("SELECT count(*) FROM imports") == 3 * len(TABLES)


def test_a_folder_without_day_folders_is_refused(tmp_path, store_target):
    (tmp_path / "flat").mkdir()
    with Store.open(store_target) as store, pytest.raises(InputError, match="arrival_date=YYYY-MM-DD"):
        list(ingest_partitioned(store, tmp_path / "flat"))


def test_a_flat_manifest_in_day_folders_takes_its_arrival_date_from_the_path(
    exported, store_target, tmp_path
):
    # Any hive folder of Parquet files: here one flat manifest (shipment + line columns) per day, no table
    # folder and no arrival_date column; the day comes from the path.
    shipments = ds.dataset(exported / "shipments", format="parquet", partitioning="hive").to_table()
    lines = ds.dataset(exported / "lines", format="parquet", partitioning="hive").to_table()
    flat = lines.drop_columns(["arrival_date"]).join(
        shipments.select(
            ["shipment_id", "arrival_date", "entry_type", "country_of_shipment", "declared_value"]
        ),
        "shipment_id",
    )
    day = "2025-03-03"
    one_day = flat.filter(ds.field("arrival_date") == day).drop_columns(["arrival_date"])
    path = tmp_path / "manifests" / f"arrival_date={day}" / "part-0.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(one_day, path)
    with Store.open(store_target) as store:
        [(source, result)] = list(ingest_partitioned(store, tmp_path / "manifests", rejects_dir=None))
        assert source.table is None and result.tables == ["shipments", "lines"]
        assert result.rows_rejected == 0
        assert store.fetch("SELECT DISTINCT CAST(arrival_date AS VARCHAR) FROM shipments") == [(day,)]
        assert store.scalar("SELECT count(*) FROM lines") == one_day.num_rows
        assert store.scalar("SELECT count(*) FROM source_extras") == 0


def test_cli_exports_and_ingests_a_folder(source_store, store_target, tmp_path):
    out = tmp_path / "cli-export"

    def export(since: str, until: str):
        db = str(source_store)
        return cli(
            "export", "--parquet", str(out), "--db", db, "--since", since, "--until", until, cwd=tmp_path
        )

    done = export("2025-03-01", "2025-03-02")
    assert done.returncode == 0, done.stderr
    assert "Exported to" in done.stdout and (out / "manifest.json").is_file()
    fresh = store_target
    done = cli("ingest", str(out), "--db", fresh, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cli-export/shipments (2 files)" in done.stdout
    done = cli("ingest", str(out), "--db", fresh, cwd=tmp_path)
    assert done.returncode == 0 and "already imported (every file)" in done.stdout
    done = export("2025-03-09", "2025-03-01")
    assert done.returncode == 2 and "--since 2025-03-09 is after --until 2025-03-01" in done.stderr
