"""The audit's step log: every step with who, when, the parameters needed to redo it and the SHA-256 of its
inputs and outputs (table audit_steps)."""

from __future__ import annotations

import getpass
import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from parcelaudit.store import audits as stored


def actor_name(actor: str | None) -> str:
    """Who runs a step: the given name, else the operating-system user."""
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def now() -> datetime:
    """The current UTC time to the second, as the audit tables store it (naive)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def content_sha256(rows: Any) -> str:
    """SHA-256 of data as canonical JSON (sorted keys, no spaces): the hash of a step's stored output."""
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def table_sha256(table: pa.Table) -> str:
    """SHA-256 of an Arrow table written as CSV (header and rows in order)."""
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
    stored.append_step(
        store,
        audit_id,
        {
            "step": step,
            "actor": actor_name(actor),
            "acted_at": now(),
            "parameters": json.dumps(parameters, default=str),
            "summary": json.dumps(summary, default=str),
            "inputs": json.dumps(inputs or {}),
            "outputs": json.dumps(outputs or {}),
        },
    )


def steps(store, audit_id: str) -> list[dict]:
    """The audit's step log (who, when, parameters, summary), oldest first."""
    rows = stored.read_steps(store, audit_id)
    for row in rows:
        for key in ("parameters", "summary", "inputs", "outputs"):
            row[key] = json.loads(row[key]) if row.get(key) else {}
    return rows
