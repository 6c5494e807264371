"""Same store and policy, same answer: every output of `check` is byte-identical from run to run."""

from __future__ import annotations

import os
from datetime import date

import pyarrow as pa
import pytest

from parcelaudit.csv_safety import write_table
from parcelaudit.outputs import MANIFEST
from parcelaudit.pipeline import FINDINGS_COLUMNS, evaluate
from parcelaudit.store import Store
from tests.rules.builders import orders_for, parcels
from tests.support import cli, generated_store


def _inputs() -> tuple[pa.Table, pa.Table, pa.Table]:
    """Parcels meeting row rules, group rules (split order, consignee-day) and multi-origin suspensions."""
    many = [
        {"country_of_origin": c, "manufacturer_country": c, "value": 10.0 + i}
        for i, c in enumerate(["GB", "CN", "VN"])
    ]
    specs = [
        {"arrival_date": date(2025, 9, 10), "entry_type": "321", "country_of_shipment": "GB", "lines": many},
        {"arrival_date": date(2025, 4, 1), "entry_type": "321", "order_id": "SPLIT", "declared_value": 500.0},
        {"arrival_date": date(2025, 4, 2), "entry_type": "321", "order_id": "SPLIT", "declared_value": 400.0},
        {"arrival_date": date(2025, 4, 3), "entry_type": "321", "declared_value": 450.0},
        {"arrival_date": date(2025, 4, 3), "entry_type": "321", "declared_value": 450.0},
        {"arrival_date": date(2025, 4, 3), "entry_type": "321", "declared_value": 900.0, "lines": many},
    ]
    shipments, lines = parcels(*specs)
    return shipments, lines, orders_for(shipments)


def _csv_bytes(table: pa.Table, folder, name: str) -> bytes:
    path = folder / name
    write_table(path, table)
    return path.read_bytes()


def test_input_row_order_does_not_change_findings_or_decisions(tmp_path):
    shipments, lines, orders = _inputs()
    forward = evaluate(shipments, lines, orders, screening=False)
    backward = evaluate(
        shipments.take(list(range(shipments.num_rows))[::-1]),
        lines.take(list(range(lines.num_rows))[::-1]),
        orders.take(list(range(orders.num_rows))[::-1]),
        screening=False,
    )
    assert forward.findings.num_rows > 6
    assert forward.findings.equals(backward.findings)
    assert forward.decisions.equals(backward.decisions)
    assert forward.line_duty.equals(backward.line_duty)
    elig = [f for f in forward.findings.to_pylist() if f["rule_id"] == "DM-ELIG"]
    assert "goods of CN, GB, VN" in elig[0]["message"]  # lists inside evidence are sorted
    assert _csv_bytes(forward.findings.select(FINDINGS_COLUMNS), tmp_path, "a.csv") == _csv_bytes(
        backward.findings.select(FINDINGS_COLUMNS), tmp_path, "b.csv"
    )


# Each stored table's rows in the order of their key (the columns that tell two rows apart), then the rest.
STORED_ORDER = {
    "check_findings": "shipment_id, line_no, rule_id, variant, message, severity, citation, evidence",
    "check_decisions": "shipment_id",
    "check_duty_lines": "shipment_id, line_no",
}


def _stored(target: str, run_id: int) -> dict[str, list[dict]]:
    with Store.open(target, read_only=True) as store:
        return {
            table: [
                {k: v for k, v in row.items() if k != "run_id"}
                for row in store.query(
                    f"SELECT * FROM {table} WHERE run_id = ? ORDER BY {order}", [run_id]
                ).to_pylist()
            ]
            for table, order in STORED_ORDER.items()
        }


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2+ cores: DuckDB then runs one thread per core")
def test_two_checks_of_one_store_in_fresh_processes_are_byte_identical(store_target, tmp_path):
    db = generated_store(tmp_path, store_target, parcels=1500)
    outputs = []
    for run in (1, 2):
        result = cli("check", "--db", db, "--out", f"out{run}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outputs.append(
            {p.name: p.read_bytes() for p in (tmp_path / f"out{run}").iterdir() if p.name != MANIFEST}
        )
    assert set(outputs[0]) == {
        "findings.csv",
        "decisions.csv",
        "changed_decisions.csv",
        "report.html",
        "report.pdf",
    }
    # the second run judges the same store the same way: it changes no decision of the first
    assert outputs[1]["changed_decisions.csv"].count(b"\n") == 1
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], f"{name} differs between two runs"
    first, second = _stored(db, 1), _stored(db, 2)
    assert first["check_findings"] and first == second
