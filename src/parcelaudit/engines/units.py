"""One unit of a distributed check: an arrival day's parcels with their context, judged by the same
evaluate() as the local check, its results handed back as Arrow IPC rows.

This module runs inside the engine's workers (Spark's Python workers) and imports no engine: it takes and
gives Arrow. The reference data a check needs (severity policy, exchange rates, dispositions, trace verdicts
and the restricted-list screener) is built once per worker process from a small `UnitSettings` and kept for
every later unit of the same settings, so a worker pays for the screener's index once, not once per day.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.decide import SeverityPolicy, load_severity_policy
from parcelaudit.pipeline.evaluate import evaluate
from parcelaudit.pipeline.result import CheckResult
from parcelaudit.reference.currency import load_rates_file
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS
from parcelaudit.screening import Screener
from parcelaudit.screening.dispositions import Disposition, load_dispositions
from parcelaudit.screening.lists import default_screener

# The columns a unit's input carries beside the canonical ones: the day it judges and whether a row is judged.
UNIT_DAY = "unit_day"
IN_SCOPE = "in_scope"
# Lines and orders travel in one frame (the engine co-groups two frames per unit); `part` says which is which.
PART = "part"
LINE_PREFIX, ORDER_PREFIX = "l_", "o_"
# What a unit gives back: per result table, its rows as Arrow IPC streams of at most BATCH_ROWS rows each
# (no single value near Arrow's 2 GiB binary limit, whatever the size of a day), plus one `meta` row.
RESULT_TABLES = ("findings", "decisions", "line_duty")
BATCH_ROWS = 65_536
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field(UNIT_DAY, pa.date32()),
        pa.field("result", pa.string()),
        pa.field("seq", pa.int32()),
        pa.field("data", pa.binary()),
    ]
)
OUTPUT_DDL = f"{UNIT_DAY} date, result string, seq int, data binary"


@dataclass(frozen=True)
class UnitSettings:
    """What every unit of one run is judged with: paths the workers read (reachable from every executor) and
    the trace verdicts by SKU as Arrow IPC bytes (small; read from the store by the driver)."""

    policy: str | None = None
    rates: str | None = None
    dispositions: str | None = None
    screening: bool = True
    traces: bytes | None = None


@dataclass
class _Reference:
    policy: SeverityPolicy
    rates: pa.Table | None
    dispositions: list[Disposition] | None
    traces: pa.Table | None
    screener: Screener | None


# Per worker process: settings -> the reference data built from them (Spark reuses its Python workers).
_REFERENCE: dict[UnitSettings, _Reference] = {}


def reference_for(settings: UnitSettings) -> _Reference:
    """The reference data of settings, built on the first unit a worker process judges and kept after."""
    if settings not in _REFERENCE:
        _REFERENCE.clear()  # one run's data at a time
        _REFERENCE[settings] = _Reference(
            policy=load_severity_policy(settings.policy),
            rates=load_rates_file(settings.rates) if settings.rates else None,
            dispositions=load_dispositions(Path(settings.dispositions)) if settings.dispositions else None,
            traces=from_ipc(settings.traces) if settings.traces else None,
            screener=default_screener() if settings.screening else None,
        )
    return _REFERENCE[settings]


def result_schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of each result table, read from evaluate() over empty inputs (the one definition)."""
    empty = evaluate(
        SHIPMENTS.arrow_schema.empty_table(),
        LINES.arrow_schema.empty_table(),
        ORDERS.arrow_schema.empty_table(),
        screening=False,
    )
    return {name: getattr(empty, name).schema for name in RESULT_TABLES}


def to_ipc(table: pa.Table) -> bytes:
    """table as one Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(data: bytes) -> pa.Table:
    """The table of one Arrow IPC stream."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def canonical(table: pa.Table, schema: pa.Schema, prefix: str = "") -> pa.Table:
    """table's columns (named prefix + field) as the canonical schema's names and types."""
    columns = [
        table[prefix + name].cast(field.type) for name, field in zip(schema.names, schema, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def judge_unit(day, shipments: pa.Table, others: pa.Table, settings: UnitSettings) -> pa.Table:
    """Judge one unit: `shipments` (canonical columns + in_scope) and `others` (lines and orders, prefixed,
    told apart by `part`) of the day; the findings, decisions and line duty of the day's parcels as IPC rows."""
    reference = reference_for(settings)
    scope = shipments.filter(pc.field(IN_SCOPE))["shipment_id"].combine_chunks()
    lines = canonical(others.filter(pc.field(PART) == "line"), LINES.arrow_schema, LINE_PREFIX)
    orders = canonical(others.filter(pc.field(PART) == "order"), ORDERS.arrow_schema, ORDER_PREFIX)
    result = evaluate(
        canonical(shipments, SHIPMENTS.arrow_schema),
        lines,
        orders,
        policy=reference.policy,
        screening=settings.screening,
        scope=scope,
        traces=reference.traces,
        rates=reference.rates,
        screener=reference.screener,
        dispositions=reference.dispositions,
    )
    return result_rows(day, result)


def result_rows(day, result: CheckResult) -> pa.Table:
    """A unit's result as rows of OUTPUT_SCHEMA: each result table in IPC batches, then one pickled `meta`."""
    rows: list[tuple[str, int, bytes]] = []
    for name in RESULT_TABLES:
        table: pa.Table = getattr(result, name)
        for seq, start in enumerate(range(0, max(table.num_rows, 1), BATCH_ROWS)):
            rows.append((name, seq, to_ipc(table.slice(start, BATCH_ROWS))))
    meta = {
        "hts_source": result.hts_source,
        "hts_complete": result.hts_complete,
        "list_snapshots": result.list_snapshots,
        "timings": result.timings,
        "policy_source": result.policy.source if result.policy else "",
    }
    rows.append(("meta", 0, pickle.dumps(meta)))
    return pa.table(
        {
            UNIT_DAY: pa.array([day] * len(rows), pa.date32()),
            "result": [r[0] for r in rows],
            "seq": pa.array([r[1] for r in rows], pa.int32()),
            "data": pa.array([r[2] for r in rows], pa.binary()),
        },
        schema=OUTPUT_SCHEMA,
    )
