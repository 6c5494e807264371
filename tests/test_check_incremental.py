"""Incremental checks: a day ingested in 24 hourly batches, each followed by `check --since last`, ends with
the same current decisions as one run over the whole day, and every decision that changed on the way was
reported (changed decisions, stored and written); a parcel's decisions read back over runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from parcelaudit.cli import app
from parcelaudit.errors import ParcelAuditError
from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.pipeline import run_check
from parcelaudit.store import Store
from parcelaudit.store.checks import decision_history
from tests.conftest import engine_target

START = date(2025, 3, 1)
BATCHES = 24


def _read(path: Path) -> pa.Table:
    """A generated CSV with every column as text (written back unchanged)."""
    names = pacsv.read_csv(path).column_names
    types = dict.fromkeys(names, pa.string())
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def _batches(data: Path, out: Path) -> list[list[Path]]:
    """The generated data as import batches: the days before the last in one, then the last day's parcels in
    24 hourly batches (shuffled, so the parcels of a consignee-day or an order arrive hours apart), each with
    its lines and the order rows first carried by one of its parcels."""
    shipments, lines, orders = (_read(data / f"{n}.csv") for n in ("shipments", "lines", "orders"))
    last_day = pc.max(shipments["arrival_date"]).as_py()
    on_last = pc.equal(shipments["arrival_date"], last_day).to_numpy(zero_copy_only=False)
    order = [i for i in range(shipments.num_rows) if on_last[i]]
    hour_of = {}
    for n, i in enumerate(sorted(order, key=lambda i: (i * 7919) % len(order))):
        hour_of[shipments["shipment_id"][i].as_py()] = 1 + n % BATCHES
    batch_of = [hour_of.get(s, 0) for s in shipments["shipment_id"].to_pylist()]
    first_batch: dict[str, int] = {}
    for oid, b in zip(shipments["order_id"].to_pylist(), batch_of, strict=True):
        if oid:
            first_batch[oid] = min(b, first_batch.get(oid, b))
    line_batch = dict(zip(shipments["shipment_id"].to_pylist(), batch_of, strict=True))
    out.mkdir()
    batches = []
    for b in range(BATCHES + 1):
        files = []
        for name, table, keys in (
            ("shipments", shipments, batch_of),
            ("lines", lines, [line_batch[s] for s in lines["shipment_id"].to_pylist()]),
            ("orders", orders, [first_batch.get(o, 0) for o in orders["order_id"].to_pylist()]),
        ):
            part = table.filter(pa.array([k == b for k in keys]))
            if part.num_rows:
                path = out / f"{name}_{b:02d}.csv"
                pacsv.write_csv(part, path)
                files.append(path)
        batches.append(files)
    return batches


def _ingest(store: Store, files: list[Path], rejects: Path) -> None:
    for path in files:
        result = ingest_file(store, path, rejects_dir=rejects)
        assert result.rows_rejected == 0, path


def _current(store: Store) -> dict[str, tuple]:
    rows = store.query(
        "SELECT shipment_id, decision, reasons, duty_owed, duty_at_risk FROM current_decisions"
    ).to_pylist()
    return {r["shipment_id"]: (r["decision"], r["reasons"], r["duty_owed"], r["duty_at_risk"]) for r in rows}


def _unreported_changes(store: Store) -> list[tuple]:
    """Parcels whose stored decision differs from the one of the run before that judged them, in a run that
    did not report the change (computed from check_decisions alone, not from the code under test)."""
    rows = store.query(
        "SELECT run_id, shipment_id, decision, reasons, duty_owed, duty_at_risk FROM check_decisions "
        "ORDER BY shipment_id, run_id"
    ).to_pylist()
    reported = {
        (r["run_id"], r["shipment_id"]) for r in store.read_table("check_changed_decisions").to_pylist()
    }
    missing, previous = [], {}
    for row in rows:
        key = (
            row["decision"],
            sorted(row["reasons"].split(";")),
            round(row["duty_owed"], 2),
            round(row["duty_at_risk"], 2),
        )
        before = previous.get(row["shipment_id"])
        if before is not None and before != key and (row["run_id"], row["shipment_id"]) not in reported:
            missing.append((row["run_id"], row["shipment_id"], before, key))
        previous[row["shipment_id"]] = key
    return missing


def test_hourly_batches_checked_since_last_end_as_one_run_and_report_every_change(
    store_target, tmp_path, request
):
    data = tmp_path / "data"
    generate_dataset(data, parcels=900, days=3, start=START, seed=5, rate=0.04)
    batches = _batches(data, tmp_path / "batches")
    rejects = tmp_path / "rejects"
    changed_runs = 0
    with Store.open(store_target) as store:
        _ingest(store, batches[0], rejects)
        run_check(store, screening=False)
        for files in batches[1:]:
            _ingest(store, files, rejects)
            result = run_check(store, screening=False, since="last")
            assert result.run_id is not None and result.decisions.num_rows >= 1
            changed_runs += bool(result.changed.num_rows)
        incremental = _current(store)
        assert not _unreported_changes(store)
        reported = store.read_table("check_changed_decisions")
        assert reported.num_rows > 0 and changed_runs > 0, "later parcels changed earlier decisions"
        added = ";".join(reported["rules_added"].to_pylist())
        assert "DM-AGG" in added or "DM-SPLIT" in added
        # nothing new: no run stored
        runs = store.scalar("SELECT count(*) FROM check_runs")
        assert run_check(store, screening=False, since="last").run_id is None
        assert store.scalar("SELECT count(*) FROM check_runs") == runs
        # a parcel whose decision changed: its history shows every run that judged it, and the change
        changed_parcel = reported["shipment_id"][0].as_py()
        history = decision_history(store, changed_parcel)
        assert len(history) >= 2
        assert any(h["before_decision"] is not None for h in history[1:])
    engine = request.config.getoption("--store-engine")
    for one_batch in engine_target(engine, tmp_path / "one"):
        (tmp_path / "one").mkdir(exist_ok=True)
        with Store.open(one_batch) as store:
            for files in batches:
                _ingest(store, files, rejects)
            run_check(store, screening=False)
            assert _current(store) == incremental
            assert len(incremental) == 900


def test_since_names_a_run_a_timestamp_or_fails_clearly(store_target, tmp_path):
    data = tmp_path / "data"
    generate_dataset(data, parcels=60, days=3, start=START, seed=3)
    with Store.open(store_target) as store:
        with pytest.raises(ParcelAuditError, match="no earlier check run"):
            run_check(store, screening=False, since="last")
        with pytest.raises(ParcelAuditError, match="neither 'last', a run id nor a timestamp"):
            run_check(store, screening=False, since="yesterday")
        ingest_file(store, data / "shipments.csv", rejects_dir=tmp_path / "r")
        first = run_check(store, screening=False)
        assert run_check(store, screening=False, since=str(first.run_id)).run_id is None
        everything = run_check(store, screening=False, since="2000-01-01T00:00:00")
        assert everything.decisions.num_rows == 60


def test_check_since_cli_writes_changed_decisions_and_history_reads_them_back(store_target, tmp_path):
    shipments = tmp_path / "a.csv"
    header = (
        "shipment_id,entry_type,arrival_date,country_of_shipment,declared_value,consignee_name,"
        "consignee_address,seller_name,order_id\n"
    )
    row = "{},321,2025-03-03,VN,{},Al Fox,5 Bay St Reno NV 89501,Seller Co,{}\n"
    shipments.write_text(header + row.format("P1", "500.00", "O1"), encoding="utf-8")
    later = tmp_path / "b.csv"
    later.write_text(header + row.format("P2", "400.00", "O2"), encoding="utf-8")
    runner = CliRunner()
    db = ["--db", str(store_target)]
    assert runner.invoke(app, ["ingest", str(shipments), *db]).exit_code == 0
    first = runner.invoke(app, ["check", "--out", str(tmp_path / "o1"), "--no-screening", *db])
    assert first.exit_code == 0, first.output
    assert runner.invoke(app, ["ingest", str(later), *db]).exit_code == 0
    second = runner.invoke(
        app, ["check", "--since", "last", "--out", str(tmp_path / "o2"), "--no-screening", *db]
    )
    assert second.exit_code == 0, second.output
    assert "1 changed decisions" in second.output
    changed = pacsv.read_csv(tmp_path / "o2" / "changed_decisions.csv").to_pylist()
    assert [(c["shipment_id"], c["before_decision"], c["rules_added"]) for c in changed] == [
        ("P1", "review", "DM-AGG")
    ]
    history = runner.invoke(app, ["history", "P1", *db], terminal_width=400)
    assert history.exit_code == 0, history.output
    text = " ".join(history.output.split())
    assert "changed: was review, rules added DM-AGG, removed none" in text
    assert text.count("run ") == 2
    nothing = runner.invoke(app, ["check", "--since", "last", "--out", str(tmp_path / "o3"), *db])
    assert nothing.exit_code == 0 and "nothing judged, no run stored" in nothing.output


def test_watch_ingests_new_files_and_checks_what_they_brought(store_target, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    header = "shipment_id,entry_type,arrival_date,country_of_shipment,declared_value,consignee_name,consignee_address\n"
    row = "{},321,2025-03-03,VN,{},Al Fox,5 Bay St Reno NV 89501\n"
    (inbox / "a.csv").write_text(header + row.format("W1", "500.00"), encoding="utf-8")
    command = ["watch", str(inbox), "--out", str(out), "--once", "--no-screening", "--db", str(store_target)]
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    assert "ingested a.csv: 1 rows read" in first.output
    (inbox / "b.csv").write_text(header + row.format("W2", "400.00"), encoding="utf-8")
    second = CliRunner().invoke(app, command)
    assert second.exit_code == 0, second.output
    assert "ingested b.csv" in second.output and "already imported" in second.output
    assert "1 changed decisions" in second.output
    with Store.open(store_target) as store:
        runs = store.fetch("SELECT since, shipments FROM check_runs ORDER BY run_id")
    assert runs == [(None, 1), ("last", 2)]
    assert len(list(out.glob("check-*/changed_decisions.csv"))) == 2
    third = CliRunner().invoke(app, command)
    assert third.exit_code == 0 and "check-" not in third.output
