"""The stored audit workflow: new -> plan -> sample -> record -> evaluate -> report, each step logged with
who, when and the parameters needed to redo it (table audit_steps).

The importer is identified by an exact seller_name (default) or marketplace_name on the parcels; the
population is that importer's parcels (or their lines) arriving in the period, optionally narrowed by
equality filters on other shipment columns (e.g. {"entry_type": "321"}).
"""

from __future__ import annotations

import getpass
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from parcelaudit.audit.population import UNITS, build_population, check_importer_by
from parcelaudit.audit.selection import select_random
from parcelaudit.audit.variables import variable_sample_size_error_rate
from parcelaudit.errors import ParcelAuditError
from parcelaudit.schema import SHIPMENTS

STATUS_ORDER = ("new", "planned", "sampled", "recorded", "evaluated", "reported")
RECONCILE_GRACE_DAYS = 60  # orders placed up to two months before the period can arrive in it


def actor_name(actor: str | None) -> str:
    """Who runs a step: the given name, else the operating-system user."""
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def log_step(store, audit_id: str, step: str, actor: str | None, parameters: dict, summary: dict) -> None:
    """Append one step to the audit's log with who, when and the parameters (JSON)."""
    next_no = store.con.execute(
        "SELECT coalesce(max(step_no), 0) + 1 FROM audit_steps WHERE audit_id = ?", [audit_id]
    ).fetchone()[0]
    store.con.execute(
        "INSERT INTO audit_steps VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            audit_id,
            next_no,
            step,
            actor_name(actor),
            _now(),
            json.dumps(parameters, default=str),
            json.dumps(summary, default=str),
        ],
    )


def get_audit(store, audit_id: str) -> dict:
    """The audit's row as a dict; a user error naming the id when it does not exist."""
    rows = store.query("SELECT * FROM audits WHERE audit_id = ?", [audit_id]).to_pylist()
    if not rows:
        known = [
            r[0] for r in store.con.execute("SELECT audit_id FROM audits ORDER BY created_at").fetchall()
        ]
        raise ParcelAuditError(
            f"no audit {audit_id!r}",
            field="audit_id",
            hint=f"known audits: {', '.join(known) or 'none; run `audit new` first'}",
        )
    audit = rows[0]
    audit["scope_filters"] = json.loads(audit["scope_filters"])
    return audit


def _require(audit: dict, status: str) -> None:
    if STATUS_ORDER.index(audit["status"]) < STATUS_ORDER.index(status):
        step = {"planned": "plan", "sampled": "sample", "recorded": "record", "evaluated": "evaluate"}[status]
        raise ParcelAuditError(
            f"audit {audit['audit_id']} is {audit['status']}: run `audit {step}` first", field="status"
        )


def _set_status(store, audit_id: str, status: str) -> None:
    store.con.execute("UPDATE audits SET status = ? WHERE audit_id = ?", [status, audit_id])


def _where(audit: dict, start: date, end: date) -> tuple[str, list]:
    clauses = [f"{audit['importer_by']} = ?", "arrival_date BETWEEN ? AND ?"]
    params: list[Any] = [audit["importer"], start, end]
    for column, value in audit["scope_filters"].items():
        clauses.append(f"{column} = ?")
        params.append(value)
    return " AND ".join(clauses), params


def load_scope(store, audit: dict, *, widen: int = 0) -> tuple[pa.Table, pa.Table]:
    """The importer's shipments and their lines in the audit period (plus `widen` days after it)."""
    end = audit["period_end"] + timedelta(days=widen)
    where, params = _where(audit, audit["period_start"], end)
    shipments = store.read_table("shipments", where, params)
    lines = store.read_table(
        "lines", f"shipment_id IN (SELECT shipment_id FROM shipments WHERE {where})", params
    )
    return shipments, lines


def new_audit(
    store,
    importer: str,
    period_start: date,
    period_end: date,
    *,
    by: str = "seller_name",
    unit: str = "parcel",
    filters: dict[str, str] | None = None,
    audit_id: str | None = None,
    actor: str | None = None,
) -> str:
    """Create an audit of one importer and period; returns its id (A-YYYYMMDD-NNN unless given)."""
    check_importer_by(by)
    if unit not in UNITS:
        raise ParcelAuditError(f"unknown audit unit {unit!r}", field="unit", hint=" or ".join(UNITS))
    if period_end < period_start:
        raise ParcelAuditError(
            "the period ends before it starts", field="period", hint="swap --from and --to"
        )
    filters = filters or {}
    for column in filters:
        if column not in SHIPMENTS.names or not re.fullmatch(r"[a-z_]+", column):
            raise ParcelAuditError(
                f"cannot filter on {column!r}",
                field="filters",
                hint="use a shipments column, e.g. entry_type=321",
            )
    with store.transaction():
        if audit_id is None:
            prefix = f"A-{_now():%Y%m%d}-"
            count = store.con.execute(
                "SELECT count(*) FROM audits WHERE audit_id LIKE ?", [prefix + "%"]
            ).fetchone()[0]
            audit_id = f"{prefix}{count + 1:03d}"
        store.con.execute(
            "INSERT INTO audits VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)",
            [
                audit_id,
                by,
                importer,
                period_start,
                period_end,
                unit,
                json.dumps(filters),
                actor_name(actor),
                _now(),
            ],
        )
        parameters = {
            "importer": importer,
            "by": by,
            "period_start": period_start,
            "period_end": period_end,
            "unit": unit,
            "filters": filters,
        }
        log_step(store, audit_id, "new", actor, parameters, {"audit_id": audit_id})
    return audit_id


def _strata_bounds(values: np.ndarray, strata: int, top_value: float) -> list[tuple[float, float]]:
    """Equal book-value strata below the 100% stratum: each holds a similar share of the declared value."""
    below = np.sort(values[values < top_value])
    if below.size == 0:
        return []
    strata = max(1, min(strata, below.size // 2 or 1))
    cumulative = np.cumsum(below)
    cuts = [float(below[np.searchsorted(cumulative, cumulative[-1] * k / strata)]) for k in range(1, strata)]
    edges = [float(below[0]), *sorted(set(cuts)), top_value]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def neyman_allocation(sizes: list[int], sds: list[float], total: int, minimum: int = 2) -> list[int]:
    """Split `total` over strata in proportion to N_h * S_h, at least `minimum` each (RAT-STATS needs two for a
    standard deviation) and never more than N_h; what a full stratum cannot take goes to the others."""
    allocation = [min(size, minimum) for size in sizes]
    open_strata = [i for i, size in enumerate(sizes) if size > allocation[i]]
    remaining = total - sum(allocation)
    while remaining > 0 and open_strata:
        weights = [sizes[i] * sds[i] for i in open_strata]
        weight_sum = sum(weights)
        # With no spread anywhere the remainder is shared equally.
        shares = [w / weight_sum if weight_sum else 1 / len(open_strata) for w in weights]
        granted = 0
        for i, share in zip(open_strata, shares, strict=True):
            extra = min(sizes[i] - allocation[i], max(1, round(remaining * share)))
            extra = min(extra, remaining - granted)
            allocation[i] += extra
            granted += extra
        remaining -= granted
        open_strata = [i for i in open_strata if allocation[i] < sizes[i]]
        if granted == 0:
            break
    return allocation


def plan_audit(
    store,
    audit_id: str,
    *,
    strata: int = 3,
    top_value: float | None = None,
    top_share: float = 0.005,
    sample_size: int | None = None,
    expected_error_rate: float = 0.10,
    precision: float = 0.20,
    confidence: float = 0.90,
    actor: str | None = None,
) -> dict:
    """Build the population, stratify by declared value (items >= top_value reviewed 100%; by default the
    largest top_share of items) and size the sample (RAT-STATS expected-error-rate formula unless
    sample_size is given), allocated to strata in proportion to N_h * S_h (Neyman)."""
    audit = get_audit(store, audit_id)
    shipments, lines = load_scope(store, audit)
    frame = build_population(shipments, lines, audit["unit"])
    values = np.asarray(frame["book_value"].to_pylist(), dtype=float)
    duties = np.asarray(frame["book_duty"].to_pylist(), dtype=float)
    if top_value is None:
        top_count = max(1, round(top_share * values.size))
        top_value = float(np.sort(values)[-top_count]) if values.size > 1 else float(values.max()) + 1
    bounds = _strata_bounds(values, strata, top_value)
    stratum_of = np.full(values.size, len(bounds) + 1, dtype=int)
    for number, (_, high) in reversed(list(enumerate(bounds, start=1))):
        stratum_of[values < high] = number
    sampled = stratum_of <= len(bounds)
    if sample_size is None:
        sampled_count = int(sampled.sum())
        sample_size = (
            variable_sample_size_error_rate(
                sampled_count,
                float(values[sampled].sum()),
                float(values[sampled].std(ddof=1)),
                expected_error_rate,
                precision,
                confidence,
            )
            if sampled_count >= 2
            else 0
        )
    masks = [stratum_of == k for k in range(1, len(bounds) + 1)]
    allocation = neyman_allocation(
        [int(mask.sum()) for mask in masks],
        [float(values[mask].std()) if mask.any() else 0.0 for mask in masks],
        sample_size,
    )
    rows = []
    for number in range(1, len(bounds) + 2):
        members = stratum_of == number
        size = int(members.sum())
        if size == 0:
            continue
        certainty = number == len(bounds) + 1
        n = size if certainty else allocation[number - 1]
        low, high = bounds[number - 1] if not certainty else (top_value, float(values[members].max()))
        rows.append(
            {
                "audit_id": audit_id,
                "stratum": number,
                "lower_value": low,
                "upper_value": high,
                "population": size,
                "book_total": float(values[members].sum()),
                "duty_total": float(duties[members].sum()),
                "sample_size": n,
                "certainty": certainty,
            }
        )
    frame = frame.append_column("stratum", pa.array(stratum_of.tolist(), pa.int32()))
    with store.transaction():
        for table in ("audit_population", "audit_strata", "audit_sample", "audit_results"):
            store.con.execute(f"DELETE FROM {table} WHERE audit_id = ?", [audit_id])
        frame = frame.append_column("audit_id", pa.array([audit_id] * frame.num_rows, pa.string()))
        store.con.register("plan_frame", frame)
        store.con.execute("""INSERT INTO audit_population SELECT audit_id, frame_no, item_id, shipment_id, line_no,
                             arrival_date, entry_type, book_value, book_duty, stratum FROM plan_frame""")
        store.con.unregister("plan_frame")
        store.con.executemany(
            "INSERT INTO audit_strata VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [list(r.values()) for r in rows]
        )
        _set_status(store, audit_id, "planned")
        parameters = {
            "strata": strata,
            "top_value": top_value,
            "top_share": top_share,
            "sample_size": sample_size,
            "expected_error_rate": expected_error_rate,
            "precision": precision,
            "confidence": confidence,
        }
        summary = {
            "population": int(values.size),
            "book_total": float(values.sum()),
            "duty_paid": float(duties.sum()),
            "strata": rows,
        }
        log_step(store, audit_id, "plan", actor, parameters, summary)
    return summary


def sample_audit(
    store,
    audit_id: str,
    *,
    seed: float | None = None,
    generator: str = "pcg64",
    spares: int = 0,
    actor: str | None = None,
) -> dict:
    """Select the sample in every stratum (certainty strata take every item) and record the seeds used."""
    audit = get_audit(store, audit_id)
    _require(audit, "planned")
    strata = store.query(
        "SELECT * FROM audit_strata WHERE audit_id = ? ORDER BY stratum", [audit_id]
    ).to_pylist()
    selections, rows = [], []
    for stratum in strata:
        frame_nos = [
            r[0]
            for r in store.con.execute(
                "SELECT frame_no FROM audit_population WHERE audit_id = ? AND stratum = ? ORDER BY frame_no",
                [audit_id, stratum["stratum"]],
            ).fetchall()
        ]
        if stratum["certainty"]:
            rows += [(audit_id, stratum["stratum"], i, f, False) for i, f in enumerate(frame_nos, start=1)]
            selections.append({"stratum": stratum["stratum"], "certainty": True, "n": len(frame_nos)})
            continue
        extra = min(spares, len(frame_nos) - stratum["sample_size"])
        # Each stratum gets its own recorded seed so any one of them can be redrawn alone.
        stratum_seed = None if seed is None else seed + stratum["stratum"] - 1
        chosen = select_random(stratum_seed, 1, len(frame_nos), stratum["sample_size"], extra, generator)
        for order, number in enumerate(chosen.values + chosen.spares, start=1):
            rows.append(
                (audit_id, stratum["stratum"], order, frame_nos[number - 1], order > len(chosen.values))
            )
        selections.append(
            {
                "stratum": stratum["stratum"],
                "certainty": False,
                "n": len(chosen.values),
                "spares": len(chosen.spares),
                "seed": chosen.seed,
                "generator": generator,
                "frame": [1, len(frame_nos)],
            }
        )
    summary = {"selections": selections, "items": sum(1 for r in rows if not r[4])}
    with store.transaction():
        store.con.execute("DELETE FROM audit_sample WHERE audit_id = ?", [audit_id])
        store.con.executemany("INSERT INTO audit_sample VALUES (?, ?, ?, ?, ?)", rows)
        _set_status(store, audit_id, "sampled")
        log_step(
            store,
            audit_id,
            "sample",
            actor,
            {"seed": seed, "generator": generator, "spares": spares},
            summary,
        )
    return summary


def sample_items(store, audit_id: str, include_spares: bool = False) -> pa.Table:
    """The sampled items with their stratum, frame position and declared values, in stratum/selection order."""
    return store.query(
        f"""
        SELECT s.stratum, s.selection_order, s.spare, p.frame_no, p.item_id, p.shipment_id, p.line_no,
               p.arrival_date, p.entry_type, p.book_value, p.book_duty
        FROM audit_sample s JOIN audit_population p USING (audit_id, frame_no)
        WHERE s.audit_id = ? {"" if include_spares else "AND NOT s.spare"}
        ORDER BY s.stratum, s.selection_order""",
        [audit_id],
    )


# How a sampled item is listed on a sheet: (column heading, key in sample_items rows).
SAMPLE_SHEET = (
    ("stratum", "stratum"),
    ("selection_order", "selection_order"),
    ("frame_no", "frame_no"),
    ("item_id", "item_id"),
    ("shipment_id", "shipment_id"),
    ("line_no", "line_no"),
    ("arrival_date", "arrival_date"),
    ("entry_type", "entry_type"),
    ("declared_value", "book_value"),
    ("duty_paid", "book_duty"),
)


def sample_sheet(items: list[dict]) -> tuple[list[str], list[list]]:
    """Header and rows listing sampled items (dates as ISO text) for the results sheet and the workpaper."""
    header = [heading for heading, _ in SAMPLE_SHEET]
    rows = [[str(i[key]) if key == "arrival_date" else i[key] for _, key in SAMPLE_SHEET] for i in items]
    return header, rows


def steps(store, audit_id: str) -> list[dict]:
    """The audit's step log (who, when, parameters, summary), oldest first."""
    rows = store.query(
        "SELECT * FROM audit_steps WHERE audit_id = ? ORDER BY step_no", [audit_id]
    ).to_pylist()
    for row in rows:
        row["parameters"] = json.loads(row["parameters"])
        row["summary"] = json.loads(row["summary"])
    return rows
