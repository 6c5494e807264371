"""The stored audit workflow: new -> plan -> sample -> record -> evaluate -> report, each step logged with
who, when and the parameters needed to redo it (table audit_steps).

The importer is identified by an exact seller_name (default) or marketplace_name on the parcels; the
population is that importer's parcels (or their lines) arriving in the period, optionally narrowed by
equality filters on other shipment columns (e.g. {"entry_type": "321"}).
"""

from __future__ import annotations

import difflib
import getpass
import hashlib
import json
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
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
# An audit id becomes part of file names: letters, digits, "-" and "_" only (no dots, slashes or spaces).
AUDIT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
VERSION_SUFFIX = re.compile(r"(.+)\.v([1-9][0-9]*)")


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


def content_sha256(rows: Any) -> str:
    """SHA-256 of data as canonical JSON (sorted keys, no spaces): the hash of a step's stored output."""
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def table_sha256(table: pa.Table) -> str:
    """SHA-256 of an Arrow table written as CSV (header and rows in order)."""
    import io

    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def log_step(
    store,
    audit_id: str,
    step: str,
    actor: str | None,
    parameters: dict,
    summary: dict,
    *,
    inputs: dict[str, str] | None = None,
    outputs: dict[str, str] | None = None,
) -> None:
    """Append one step to the audit's log: who, when, the parameters (JSON) and the SHA-256 of its inputs
    and outputs ({file or stored table: sha256})."""
    next_no = store.con.execute(
        "SELECT coalesce(max(step_no), 0) + 1 FROM audit_steps WHERE audit_id = ?", [audit_id]
    ).fetchone()[0]
    store.con.execute(
        "INSERT INTO audit_steps (audit_id, step_no, step, actor, acted_at, parameters, summary, inputs, "
        "outputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            audit_id,
            next_no,
            step,
            actor_name(actor),
            _now(),
            json.dumps(parameters, default=str),
            json.dumps(summary, default=str),
            json.dumps(inputs or {}),
            json.dumps(outputs or {}),
        ],
    )


def _known_ids(store) -> list[str]:
    return [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT base_id, min(created_at) FROM audits GROUP BY base_id ORDER BY 2"
        ).fetchall()
    ]


def get_audit(store, audit_id: str) -> dict:
    """The audit's row as a dict. `A-x` is the audit's current (latest) version, `A-x.vN` its version N;
    a user error naming the id when it does not exist."""
    match = VERSION_SUFFIX.fullmatch(audit_id)
    if match:
        sql, params = "SELECT * FROM audits WHERE base_id = ? AND version = ?", [match[1], int(match[2])]
    else:
        sql, params = "SELECT * FROM audits WHERE base_id = ? ORDER BY version DESC LIMIT 1", [audit_id]
    rows = store.query(sql, params).to_pylist()
    if not rows:
        known = _known_ids(store)
        close = difflib.get_close_matches(audit_id, known, n=1)
        raise ParcelAuditError(
            f"no audit {audit_id!r}",
            field="audit_id",
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + f"known audits: {', '.join(known[-10:]) or 'none; run `audit new` first'} (`audit list`)",
        )
    audit = rows[0]
    audit["scope_filters"] = json.loads(audit["scope_filters"])
    latest = store.con.execute("SELECT max(version) FROM audits WHERE base_id = ?", [audit["base_id"]])
    audit["latest_version"] = latest.fetchone()[0]
    return audit


def version_label(audit: dict) -> str:
    """How a version is named to users: A-x.vN."""
    return f"{audit['base_id']}.v{audit['version']}"


def _writable(audit: dict) -> None:
    """A user error unless steps may still be added to this version (not discarded, not superseded)."""
    if audit.get("discarded_at") is not None:
        raise ParcelAuditError(
            f"audit {audit['base_id']} was discarded by {audit['discarded_by']} on {audit['discarded_at']}",
            field="audit_id",
            hint="it stays readable (`audit show`); start a new audit with `audit new`",
        )
    if audit["version"] < audit["latest_version"]:
        raise ParcelAuditError(
            f"{version_label(audit)} is superseded by version {audit['latest_version']}",
            field="audit_id",
            hint=f"old versions are read-only; work on {audit['base_id']} (the current version)",
        )


def _refuse(audit: dict, step: str, would_lose: str) -> None:
    raise ParcelAuditError(
        f"audit {audit['base_id']} (version {audit['version']}) is {audit['status']}: `audit {step}` now "
        f"would discard its {would_lose}",
        field="status",
        hint=f'open a new version with `audit version {audit["base_id"]} --reason "..."`; '
        "this version and its results stay readable",
    )


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
    if audit_id is not None and not AUDIT_ID.fullmatch(audit_id):
        raise ParcelAuditError(
            f"audit id {audit_id!r} is not allowed",
            field="--id",
            hint="use 1-64 letters, digits, '-' or '_' (it becomes part of file names), e.g. A-2025-ACME",
        )
    from parcelaudit.audit.importers import require_importer

    found = require_importer(store, importer, by, period_start, period_end)
    with store.transaction():
        if audit_id is None:
            prefix = f"A-{_now():%Y%m%d}-"
            count = store.con.execute(
                "SELECT count(DISTINCT base_id) FROM audits WHERE base_id LIKE ?", [prefix + "%"]
            ).fetchone()[0]
            audit_id = f"{prefix}{count + 1:03d}"
        elif store.con.execute("SELECT count(*) FROM audits WHERE base_id = ?", [audit_id]).fetchone()[0]:
            raise ParcelAuditError(
                f"audit {audit_id!r} already exists",
                field="--id",
                hint="choose another id, or open a new version with `audit version`",
            )
        _insert_audit(
            store, audit_id, audit_id, 1, None, by, importer, period_start, period_end, unit, filters, actor
        )
        parameters = {
            "importer": importer,
            "by": by,
            "period_start": period_start,
            "period_end": period_end,
            "unit": unit,
            "filters": filters,
        }
        log_step(
            store,
            audit_id,
            "new",
            actor,
            parameters,
            {"audit_id": audit_id, "parcels_in_period": found["parcels_in_period"]},
        )
    return audit_id


def _insert_audit(
    store, audit_id, base_id, version, reason, by, importer, start, end, unit, filters, actor
) -> None:
    store.con.execute(
        "INSERT INTO audits (audit_id, importer_by, importer, period_start, period_end, unit, scope_filters, "
        "status, created_by, created_at, base_id, version, version_reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)",
        [
            audit_id,
            by,
            importer,
            start,
            end,
            unit,
            json.dumps(filters),
            actor_name(actor),
            _now(),
            base_id,
            version,
            reason,
        ],
    )


def open_version(store, audit_id: str, reason: str, *, actor: str | None = None) -> dict:
    """Open the next version of an audit (same importer, period, unit and filters) for a stated reason.
    The plan (population and strata) is carried over when the current version has one, so the new version
    starts `planned`; the sample, results and evaluations stay with the old version, which stays readable."""
    if not reason or not reason.strip():
        raise ParcelAuditError(
            "a new version needs a reason", field="--reason", hint='e.g. --reason "sample sheet lost"'
        )
    audit = get_audit(store, audit_id)
    _writable(audit)
    base, version = audit["base_id"], audit["version"] + 1
    new_id = f"{base}.v{version}"
    old_id = audit["audit_id"]
    keep_plan = STATUS_ORDER.index(audit["status"]) >= STATUS_ORDER.index("planned")
    with store.transaction():
        _insert_audit(
            store,
            new_id,
            base,
            version,
            reason.strip(),
            audit["importer_by"],
            audit["importer"],
            audit["period_start"],
            audit["period_end"],
            audit["unit"],
            audit["scope_filters"],
            actor,
        )
        if keep_plan:
            for table in ("audit_population", "audit_strata"):
                columns = [r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall()]
                rest = ", ".join(c for c in columns if c != "audit_id")
                store.con.execute(
                    f"INSERT INTO {table} (audit_id, {rest}) SELECT ?, {rest} FROM {table} WHERE audit_id = ?",
                    [new_id, old_id],
                )
            _set_status(store, new_id, "planned")
        parameters = {"reason": reason.strip(), "from_version": audit["version"]}
        log_step(store, old_id, "superseded", actor, parameters, {"new_version": version})
        log_step(
            store, new_id, "version", actor, parameters, {"version": version, "plan_carried_over": keep_plan}
        )
    return get_audit(store, base)


def discard_audit(store, audit_id: str, reason: str, *, actor: str | None = None) -> dict:
    """Mark an audit (all its versions) discarded, with who, when and why; nothing is deleted."""
    if not reason or not reason.strip():
        raise ParcelAuditError(
            "discarding an audit needs a reason", field="--reason", hint='e.g. --reason "wrong importer"'
        )
    audit = get_audit(store, audit_id)
    _writable(audit)
    who, when = actor_name(actor), _now()
    with store.transaction():
        store.con.execute(
            "UPDATE audits SET discarded_by = ?, discarded_at = ?, discard_reason = ? WHERE base_id = ?",
            [who, when, reason.strip(), audit["base_id"]],
        )
        log_step(store, audit["audit_id"], "discard", actor, {"reason": reason.strip()}, {})
    return get_audit(store, audit["base_id"])


def list_audits(store, include_discarded: bool = True) -> list[dict]:
    """Every audit's current version: id, importer, period, status, version, who created it, discarded."""
    rows = store.query(
        """SELECT a.base_id AS audit_id, a.version, a.importer, a.importer_by, a.period_start, a.period_end,
                  a.unit, a.status, a.created_by, a.created_at, a.discarded_at, a.discarded_by, a.discard_reason
           FROM audits a
           WHERE a.version = (SELECT max(version) FROM audits b WHERE b.base_id = a.base_id)
           ORDER BY a.created_at, a.base_id"""
    ).to_pylist()
    return [r for r in rows if include_discarded or r["discarded_at"] is None]


def versions(store, audit_id: str) -> list[dict]:
    """Every version of an audit, oldest first, with its stored id, status and reason."""
    audit = get_audit(store, audit_id)
    return store.query(
        "SELECT audit_id, version, status, version_reason, created_by, created_at FROM audits "
        "WHERE base_id = ? ORDER BY version",
        [audit["base_id"]],
    ).to_pylist()


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
    _writable(audit)
    if STATUS_ORDER.index(audit["status"]) >= STATUS_ORDER.index("sampled"):
        _refuse(audit, "plan", "sample and any results recorded against it")
    audit_id = audit["audit_id"]
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
        # Re-planning before sampling replaces the plan; the earlier plan's parameters stay in the log.
        for table in ("audit_population", "audit_strata"):
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
        outputs = {
            "audit_population": table_sha256(
                frame.select(["frame_no", "item_id", "book_value", "book_duty", "stratum"])
            ),
            "audit_strata": content_sha256(rows),
        }
        log_step(store, audit_id, "plan", actor, parameters, summary, outputs=outputs)
    return summary


GENERATORS = ("pcg64", "ratstats")


def parse_seed(seed: Any, generator: str) -> int | float | None:
    """The seed as recorded: an exact integer for pcg64; for ratstats the RAT-STATS seed (up to two decimals)."""
    if generator not in GENERATORS:
        raise ParcelAuditError(
            f"unknown generator {generator!r}", field="--generator", hint="pcg64 or ratstats"
        )
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return None
    try:
        exact = Decimal(str(seed).strip())
    except InvalidOperation as error:
        raise ParcelAuditError(
            f"seed {seed!r} is not a number", field="--seed", hint="e.g. --seed 48863"
        ) from error
    if not exact.is_finite() or exact < 0:
        raise ParcelAuditError(f"seed {seed!r} is not allowed", field="--seed", hint="a number >= 0")
    if generator == "pcg64":
        if exact != exact.to_integral_value():
            raise ParcelAuditError(
                f"seed {seed} is not a whole number", field="--seed", hint="pcg64 takes an integer seed"
            )
        return int(exact)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def generator_version(generator: str) -> str:
    """The generator and the version of the code that implements it, for the step log."""
    if generator == "pcg64":
        return f"NumPy {np.__version__} PCG64"
    from parcelaudit import __version__

    return f"RAT-STATS 2010 Wichmann-Hill as reproduced by parcelaudit {__version__}"


def sample_audit(
    store,
    audit_id: str,
    *,
    seed: int | float | str | None = None,
    generator: str = "pcg64",
    spares: int = 0,
    actor: str | None = None,
    sheet: Path | None = None,
) -> dict:
    """Select the sample in every stratum (certainty strata take every item) and record the seed (drawn when
    not given, recorded exactly), the generator and its version; optionally write the results sheet to fill
    in. Refused once results are recorded: a new version of the audit is needed then."""
    exact_seed = parse_seed(seed, generator)
    audit = get_audit(store, audit_id)
    _writable(audit)
    _require(audit, "planned")
    audit_id = audit["audit_id"]
    recorded = store.con.execute(
        "SELECT count(*) FROM audit_results WHERE audit_id = ?", [audit_id]
    ).fetchone()[0]
    if recorded or STATUS_ORDER.index(audit["status"]) >= STATUS_ORDER.index("recorded"):
        _refuse(audit, "sample", f"{recorded:,} recorded result(s)")
    if exact_seed is None:
        exact_seed = secrets.randbelow(10**9) if generator == "pcg64" else secrets.randbelow(8640000) / 100
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
        stratum_seed = exact_seed + stratum["stratum"] - 1
        if isinstance(stratum_seed, float):
            stratum_seed = round(stratum_seed, 2)
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
                "seed": stratum_seed,
                "generator": generator,
                "frame": [1, len(frame_nos)],
            }
        )
    summary = {"selections": selections, "items": sum(1 for r in rows if not r[4])}
    parameters = {
        "seed": exact_seed,
        "seed_given": seed is not None,
        "generator": generator,
        "generator_version": generator_version(generator),
        "spares": spares,
    }
    with store.transaction():
        store.con.execute("DELETE FROM audit_sample WHERE audit_id = ?", [audit_id])
        store.con.executemany("INSERT INTO audit_sample VALUES (?, ?, ?, ?, ?)", rows)
        _set_status(store, audit_id, "sampled")
        outputs = {"audit_sample": content_sha256(rows)}
        if sheet is not None:
            from parcelaudit.audit.results import write_results_sheet
            from parcelaudit.hashing import file_sha256

            written = write_results_sheet(
                sheet, sample_items(store, audit_id, include_spares=True).to_pylist()
            )
            outputs[str(written)] = file_sha256(written)
        log_step(store, audit_id, "sample", actor, parameters, summary, outputs=outputs)
    return {**summary, "seed": exact_seed, "audit_id": audit_id}


def sample_items(store, audit_id: str, include_spares: bool = False) -> pa.Table:
    """The sampled items with their stratum, frame position, declared values and what to test them against
    (description, HTS and origin of their lines), in stratum/selection order."""
    return store.query(
        f"""
        WITH goods AS (
            SELECT shipment_id, line_no, description, hts_code, country_of_origin FROM lines
            WHERE shipment_id IN (SELECT p.shipment_id FROM audit_sample s
                                  JOIN audit_population p USING (audit_id, frame_no) WHERE s.audit_id = ?)
        )
        SELECT s.stratum, s.selection_order, s.spare, p.frame_no, p.item_id, p.shipment_id, p.line_no,
               p.arrival_date, p.entry_type, p.book_value, p.book_duty,
               (SELECT string_agg(g.description, ' | ' ORDER BY g.line_no) FROM goods g
                 WHERE g.shipment_id = p.shipment_id AND (p.line_no IS NULL OR g.line_no = p.line_no))
                 AS description,
               (SELECT string_agg(g.hts_code, ' | ' ORDER BY g.line_no) FROM goods g
                 WHERE g.shipment_id = p.shipment_id AND (p.line_no IS NULL OR g.line_no = p.line_no))
                 AS hts_code,
               (SELECT string_agg(DISTINCT g.country_of_origin, ' | ') FROM goods g
                 WHERE g.shipment_id = p.shipment_id AND (p.line_no IS NULL OR g.line_no = p.line_no))
                 AS country_of_origin
        FROM audit_sample s JOIN audit_population p USING (audit_id, frame_no)
        WHERE s.audit_id = ? {"" if include_spares else "AND NOT s.spare"}
        ORDER BY s.stratum, s.selection_order""",
        [audit_id, audit_id],
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
    ("description", "description"),
    ("hts_code", "hts_code"),
    ("country_of_origin", "country_of_origin"),
    ("declared_value", "book_value"),
    ("duty_paid", "book_duty"),
)


def sample_sheet(items: list[dict]) -> tuple[list[str], list[list]]:
    """Header and rows listing sampled items (dates as ISO text) for the results sheet and the workpaper."""
    header = [heading for heading, _ in SAMPLE_SHEET]
    rows = [[str(i[key]) if key == "arrival_date" else i.get(key) for _, key in SAMPLE_SHEET] for i in items]
    return header, rows


def steps(store, audit_id: str) -> list[dict]:
    """The audit's step log (who, when, parameters, summary), oldest first."""
    rows = store.query(
        "SELECT * FROM audit_steps WHERE audit_id = ? ORDER BY step_no", [audit_id]
    ).to_pylist()
    for row in rows:
        for key in ("parameters", "summary", "inputs", "outputs"):
            row[key] = json.loads(row[key]) if row.get(key) else {}
    return rows
