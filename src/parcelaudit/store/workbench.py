"""The review workbench's SQL: users and keys, queue items, dispositions, the hash-chained log, dashboards.

Every statement is portable (standard SQL in the house dialect, `?` placeholders) and runs through the Store
interface only, so the service works on DuckDB and on PostgreSQL alike. The service package
(parcelaudit.service) holds the rules; this module only reads and writes rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from parcelaudit.store.base import Store

# Columns of wb_items, in table order (the API and pages read items as dicts with these keys).
ITEM_COLUMNS = (
    "item_id",
    "item_key",
    "run_id",
    "kind",
    "shipment_id",
    "reasons",
    "status",
    "created_at",
    "due_at",
    "assignee",
    "outcome",
    "decided_by",
    "decided_at",
    "pending_action",
    "pending_by",
    "pending_reason",
    "approved_by",
    "party_name",
    "party_country",
    "list_code",
    "entry_id",
    "matched_name",
    "score",
    "explanation",
    "entry_sha256",
    "shipments",
)
# What a decision may change on an item (the names are spliced into SQL, so only these).
MUTABLE_ITEM_COLUMNS = frozenset(
    {
        "status",
        "assignee",
        "outcome",
        "decided_by",
        "decided_at",
        "pending_action",
        "pending_by",
        "pending_reason",
        "approved_by",
    }
)
LOG_COLUMNS = (
    "seq",
    "recorded_at",
    "actor",
    "role",
    "action",
    "subject",
    "payload",
    "prev_hash",
    "entry_hash",
)
CHECKPOINT_COLUMNS = ("seq", "entry_hash", "signed_at", "key_id", "signature")
USER_COLUMNS = ("user_id", "name", "role", "password_hash", "created_at", "disabled")


def _dicts(columns: tuple[str, ...], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _insert_row(store: Store, table: str, columns: tuple[str, ...], row: dict[str, Any]) -> None:
    """INSERT one row (a dict holding at least `columns`)."""
    store.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [row[c] for c in columns],
    )


def _all_rows(store: Store, table: str, columns: tuple[str, ...], order: str) -> list[dict[str, Any]]:
    """Every row of a table as dicts, in `order`."""
    return _dicts(columns, store.fetch(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"))


# --- users, keys, settings ----------------------------------------------------------------------------------
def insert_user(store: Store, name: str, role: str, password_hash: str | None, now: datetime) -> int:
    """Add a user; returns the new user id (the caller checks the name is free)."""
    user_id = (store.scalar("SELECT coalesce(max(user_id), 0) FROM wb_users") or 0) + 1
    store.execute(
        "INSERT INTO wb_users (user_id, name, role, password_hash, created_at, disabled) "
        "VALUES (?, ?, ?, ?, ?, FALSE)",
        [user_id, name, role, password_hash, now],
    )
    return user_id


def user_by_name(store: Store, name: str) -> dict | None:
    """The user called name, or None."""
    rows = store.fetch(f"SELECT {', '.join(USER_COLUMNS)} FROM wb_users WHERE name = ?", [name])
    return _dicts(USER_COLUMNS, rows)[0] if rows else None


def user_by_id(store: Store, user_id: int) -> dict | None:
    """The user with this id, or None."""
    rows = store.fetch(f"SELECT {', '.join(USER_COLUMNS)} FROM wb_users WHERE user_id = ?", [user_id])
    return _dicts(USER_COLUMNS, rows)[0] if rows else None


def set_password_hash(store: Store, name: str, password_hash: str) -> None:
    """Replace a user's password hash."""
    store.execute("UPDATE wb_users SET password_hash = ? WHERE name = ?", [password_hash, name])


def set_user_disabled(store: Store, user_id: int, disabled: bool) -> None:
    """Disable a user (every key and session stops working) or enable them again."""
    store.execute("UPDATE wb_users SET disabled = ? WHERE user_id = ?", [disabled, user_id])


def list_users(store: Store) -> list[dict]:
    """Every user (without password hashes), by name."""
    columns = ("user_id", "name", "role", "created_at", "disabled")
    return _dicts(columns, store.fetch(f"SELECT {', '.join(columns)} FROM wb_users ORDER BY name"))


def insert_key(store: Store, key_id: str, user_id: int, key_sha256: str, now: datetime) -> None:
    """Record an API key by its public id and the SHA-256 of its secret."""
    store.execute(
        "INSERT INTO wb_api_keys (key_id, user_id, key_sha256, created_at) VALUES (?, ?, ?, ?)",
        [key_id, user_id, key_sha256, now],
    )


def key_record(store: Store, key_id: str) -> tuple[str, int] | None:
    """(secret SHA-256, user id) of a key that is not revoked, or None."""
    row = store.fetch_one(
        "SELECT key_sha256, user_id FROM wb_api_keys WHERE key_id = ? AND revoked_at IS NULL", [key_id]
    )
    return (row[0], row[1]) if row else None


def user_keys(store: Store, user_id: int) -> list[dict]:
    """A user's API keys (key id, created, revoked), oldest first."""
    columns = ("key_id", "created_at", "revoked_at")
    rows = store.fetch(
        "SELECT key_id, created_at, revoked_at FROM wb_api_keys WHERE user_id = ? ORDER BY created_at, key_id",
        [user_id],
    )
    return _dicts(columns, rows)


def revoke_key(store: Store, key_id: str, now: datetime) -> None:
    """Mark one API key revoked (it is kept, so the log's references to it stay meaningful)."""
    store.execute(
        "UPDATE wb_api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", [now, key_id]
    )


# --- browser sessions and failed sign-ins --------------------------------------------------------------------
def insert_session(
    store: Store, session_sha256: str, user_id: int, now: datetime, expires: datetime, client: str
) -> None:
    """Record a signed-in session by the SHA-256 of its id."""
    store.execute(
        "INSERT INTO wb_sessions (session_sha256, user_id, created_at, expires_at, ended_at, client) "
        "VALUES (?, ?, ?, ?, NULL, ?)",
        [session_sha256, user_id, now, expires, client],
    )


def session_user(store: Store, session_sha256: str, now: datetime) -> int | None:
    """The user id of a session that has not ended or expired, else None."""
    return store.scalar(
        "SELECT user_id FROM wb_sessions WHERE session_sha256 = ? AND ended_at IS NULL AND expires_at > ?",
        [session_sha256, now],
    )


def end_session(store: Store, session_sha256: str, now: datetime) -> None:
    """End one session (signing out)."""
    store.execute(
        "UPDATE wb_sessions SET ended_at = ? WHERE session_sha256 = ? AND ended_at IS NULL",
        [now, session_sha256],
    )


def end_user_sessions(store: Store, user_id: int, now: datetime) -> None:
    """End every open session of a user (a new password, a disabled user)."""
    store.execute(
        "UPDATE wb_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL", [now, user_id]
    )


def insert_sign_in_failure(store: Store, name: str, client: str, now: datetime) -> None:
    """Record a failed (or not yet verified) sign-in."""
    store.execute(
        "INSERT INTO wb_sign_in_failures (name, client, failed_at) VALUES (?, ?, ?)", [name, client, now]
    )


def sign_in_failures(store: Store, name: str, client: str, since: datetime) -> tuple[list, list, list]:
    """Times of the failed sign-ins since `since`: for this name, from this client, and for this name from this
    client; oldest first."""
    rows = store.fetch(
        "SELECT name = ?, client = ?, failed_at FROM wb_sign_in_failures "
        "WHERE failed_at >= ? AND (name = ? OR client = ?) ORDER BY failed_at",
        [name, client, since, name, client],
    )
    return [r[2] for r in rows if r[0]], [r[2] for r in rows if r[1]], [r[2] for r in rows if r[0] and r[1]]


def signed_in_from(store: Store, name: str, client: str, since: datetime) -> bool:
    """Whether the user called `name` started a session from this client address since `since`."""
    return bool(
        store.scalar(
            "SELECT count(*) FROM wb_sessions s JOIN wb_users u ON u.user_id = s.user_id "
            "WHERE u.name = ? AND s.client = ? AND s.created_at >= ?",
            [name, client, since],
        )
    )


def forget_sign_in_failures(store: Store, name: str | None, before: datetime | None = None) -> None:
    """Forget a name's failures (after it signed in), or everyone's older than `before`."""
    if name is not None:
        store.execute("DELETE FROM wb_sign_in_failures WHERE name = ?", [name])
    if before is not None:
        store.execute("DELETE FROM wb_sign_in_failures WHERE failed_at < ?", [before])


def get_setting(store: Store, name: str) -> str | None:
    """A workbench setting's value, or None."""
    return store.scalar("SELECT value FROM wb_settings WHERE name = ?", [name])


def put_setting(store: Store, name: str, value: str) -> None:
    """Set a workbench setting (insert or replace)."""
    with store.transaction():
        store.execute("DELETE FROM wb_settings WHERE name = ?", [name])
        store.execute("INSERT INTO wb_settings (name, value) VALUES (?, ?)", [name, value])


# --- check runs and what they found --------------------------------------------------------------------------
def latest_run_id(store: Store) -> int | None:
    """The newest check run, or None when nothing was checked."""
    return store.scalar("SELECT max(run_id) FROM check_runs")


def run_loaded(store: Store, run_id: int) -> bool:
    """Whether a run's items were materialised."""
    return bool(store.scalar("SELECT count(*) FROM wb_loaded_runs WHERE run_id = ?", [run_id]))


def previous_loaded_run(store: Store, run_id: int) -> int | None:
    """The newest run loaded before run_id, or None."""
    return store.scalar("SELECT max(run_id) FROM wb_loaded_runs WHERE run_id < ?", [run_id])


def mark_run_loaded(store: Store, run_id: int, items: int, now: datetime) -> None:
    """Record that a run's items were materialised."""
    store.execute(
        "INSERT INTO wb_loaded_runs (run_id, loaded_at, items) VALUES (?, ?, ?)", [run_id, now, items]
    )


def run_decisions(store: Store, run_id: int) -> pa.Table:
    """A run's held and reviewed parcels with their reasons."""
    return store.query(
        "SELECT shipment_id, decision, reasons FROM check_decisions "
        "WHERE run_id = ? AND decision IN ('hold', 'review') ORDER BY shipment_id",
        [run_id],
    )


def run_findings(store: Store, run_id: int, rule_prefix: str) -> pa.Table:
    """A run's findings of the rules whose id starts with rule_prefix (SCREEN-, FL-TRACE)."""
    return store.query(
        "SELECT shipment_id, line_no, rule_id, variant, evidence FROM check_findings "
        "WHERE run_id = ? AND rule_id LIKE ? ORDER BY shipment_id, line_no, rule_id",
        [run_id, rule_prefix + "%"],
    )


def run_list_snapshots(store: Store, run_id: int | None) -> list[dict]:
    """The list snapshots a run screened against (list, date, SHA-256)."""
    if run_id is None:
        return []
    columns = ("list", "snapshot_date", "sha256")
    return _dicts(
        columns,
        store.fetch(
            "SELECT list, snapshot_date, sha256 FROM check_list_snapshots WHERE run_id = ? ORDER BY list",
            [run_id],
        ),
    )


def run_policy_sha256(store: Store, run_id: int | None) -> str | None:
    """The SHA-256 of the severity policy a run decided under."""
    if run_id is None:
        return None
    return store.scalar("SELECT policy_sha256 FROM check_runs WHERE run_id = ?", [run_id])


# --- items ---------------------------------------------------------------------------------------------------
def item_keys(store: Store) -> set[str]:
    """The keys of every item ever materialised."""
    return {row[0] for row in store.fetch("SELECT item_key FROM wb_items")}


def next_item_id(store: Store) -> int:
    """The first free item id (callers hold the store's wb_items lock)."""
    return (store.scalar("SELECT coalesce(max(item_id), 0) FROM wb_items") or 0) + 1


def insert_items(store: Store, items: pa.Table) -> int:
    """Append items (a table with some of ITEM_COLUMNS)."""
    return store.insert("wb_items", items) if items.num_rows else 0


def _item_filter(filters: dict[str, Any], now: datetime) -> tuple[str, list]:
    clauses, params = [], []
    for column in ("kind", "status", "assignee", "shipment_id", "list_code"):
        if filters.get(column) is not None:
            clauses.append(f"{column} = ?")
            params.append(filters[column])
    if filters.get("reason"):
        clauses.append("(';' || reasons || ';') LIKE ?")
        params.append(f"%;{filters['reason']};%")
    if filters.get("unassigned"):
        clauses.append("assignee IS NULL")
    if filters.get("overdue"):
        clauses.append("status IN ('open', 'escalated', 'pending_approval') AND due_at < ?")
        params.append(now)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_items(
    store: Store, filters: dict[str, Any], now: datetime, limit: int = 100, offset: int = 0
) -> tuple[list[dict], int]:
    """Items matching filters (kind, status, assignee, shipment_id, list_code, reason, unassigned, overdue),
    open ones first by due time, and how many match in all."""
    where, params = _item_filter(filters, now)
    # One statement: the page and the count of every match (a window over the filtered rows).
    rows = store.fetch(
        f"SELECT {', '.join(ITEM_COLUMNS)}, count(*) OVER () FROM wb_items{where} "
        "ORDER BY CASE WHEN status = 'decided' THEN 1 ELSE 0 END, due_at, item_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    if rows:
        return _dicts(ITEM_COLUMNS, [row[:-1] for row in rows]), rows[0][-1]
    total = store.scalar(f"SELECT count(*) FROM wb_items{where}", params) if offset else 0
    return [], total


def item_counts(store: Store, now: datetime, soon: datetime) -> list[dict]:
    """Per kind and status: items, overdue and due soon (before `soon`), for the queue's header."""
    columns = ("kind", "status", "items", "overdue", "due_soon")
    return _dicts(
        columns,
        store.fetch(
            "SELECT kind, status, count(*), "
            "sum(CASE WHEN status <> 'decided' AND due_at < ? THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status <> 'decided' AND due_at >= ? AND due_at < ? THEN 1 ELSE 0 END) "
            "FROM wb_items GROUP BY kind, status ORDER BY kind, status",
            [now, now, soon],
        ),
    )


def get_item(store: Store, item_id: int) -> dict | None:
    """One item, or None."""
    rows = store.fetch(f"SELECT {', '.join(ITEM_COLUMNS)} FROM wb_items WHERE item_id = ?", [item_id])
    return _dicts(ITEM_COLUMNS, rows)[0] if rows else None


def items_of_shipment(store: Store, shipment_id: str) -> list[dict]:
    """Every item about one parcel, oldest first."""
    rows = store.fetch(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM wb_items WHERE shipment_id = ? ORDER BY item_id",
        [shipment_id],
    )
    return _dicts(ITEM_COLUMNS, rows)


def update_item(store: Store, item_id: int, changes: dict[str, Any]) -> None:
    """Set some of an item's mutable columns."""
    unknown = set(changes) - MUTABLE_ITEM_COLUMNS
    if unknown:
        raise ValueError(f"not a mutable item column: {sorted(unknown)}")
    names = sorted(changes)
    store.execute(
        f"UPDATE wb_items SET {', '.join(f'{n} = ?' for n in names)} WHERE item_id = ?",
        [*(changes[n] for n in names), item_id],
    )


# --- dispositions ----------------------------------------------------------------------------------------------
DISPOSITION_COLUMNS = (
    "name",
    "list",
    "entry_id",
    "entry_hash",
    "verdict",
    "reason",
    "who",
    "decided_at",
    "item_id",
)


def insert_disposition(store: Store, row: dict[str, Any]) -> None:
    """Record an analyst's verdict on a (name, list entry) pair."""
    _insert_row(store, "wb_dispositions", DISPOSITION_COLUMNS, row)


def dispositions(store: Store) -> list[dict]:
    """Every disposition, oldest first."""
    return _all_rows(store, "wb_dispositions", DISPOSITION_COLUMNS, "decided_at, item_id")


# --- the log ---------------------------------------------------------------------------------------------------
def log_tail(store: Store) -> tuple[int, str] | None:
    """(seq, entry_hash) of the last log entry, or None for an empty log."""
    row = store.fetch_one("SELECT seq, entry_hash FROM wb_log ORDER BY seq DESC LIMIT 1")
    return (row[0], row[1]) if row else None


def insert_log_entry(store: Store, entry: dict[str, Any]) -> None:
    """Append one log entry (LOG_COLUMNS)."""
    _insert_row(store, "wb_log", LOG_COLUMNS, entry)


def log_entries(store: Store, subject: str | None = None, limit: int | None = None) -> list[dict]:
    """Log entries in order (of one subject, or the newest `limit` when given)."""
    select = f"SELECT {', '.join(LOG_COLUMNS)} FROM wb_log"
    if subject is not None:
        return _dicts(LOG_COLUMNS, store.fetch(f"{select} WHERE subject = ? ORDER BY seq", [subject]))
    if limit is not None:
        rows = store.fetch(f"{select} ORDER BY seq DESC LIMIT ?", [limit])
        return _dicts(LOG_COLUMNS, rows[::-1])
    return _dicts(LOG_COLUMNS, store.fetch(f"{select} ORDER BY seq"))


def log_subjects_like(store: Store, pattern: str) -> set[str]:
    """The subjects of log entries matching a LIKE pattern."""
    return {
        row[0] for row in store.fetch("SELECT DISTINCT subject FROM wb_log WHERE subject LIKE ?", [pattern])
    }


def insert_checkpoint(store: Store, row: dict[str, Any]) -> None:
    """Append a signed checkpoint."""
    _insert_row(store, "wb_checkpoints", CHECKPOINT_COLUMNS, row)


def checkpoints(store: Store) -> list[dict]:
    """Every checkpoint, in log order."""
    return _all_rows(store, "wb_checkpoints", CHECKPOINT_COLUMNS, "seq")


# --- audits (read for the log and the workspace) ------------------------------------------------------------------
def audit_steps_after(store: Store) -> list[dict]:
    """Every stored audit step (audit id, number, step, who, when, parameters, summary), oldest first."""
    columns = ("audit_id", "step_no", "step", "actor", "acted_at", "parameters", "summary")
    return _dicts(
        columns,
        store.fetch(f"SELECT {', '.join(columns)} FROM audit_steps ORDER BY acted_at, audit_id, step_no"),
    )


# --- dashboards ------------------------------------------------------------------------------------------------
def hold_rate_by_day(store: Store, run_id: int) -> list[dict]:
    """Per arrival day of a run: parcels, held, reviewed."""
    columns = ("day", "parcels", "held", "reviewed")
    return _dicts(
        columns,
        store.fetch(
            "SELECT s.arrival_date, count(*), "
            "sum(CASE WHEN d.decision = 'hold' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN d.decision = 'review' THEN 1 ELSE 0 END) "
            "FROM check_decisions d JOIN shipments s ON s.shipment_id = d.shipment_id "
            "WHERE d.run_id = ? GROUP BY s.arrival_date ORDER BY s.arrival_date",
            [run_id],
        ),
    )


def decided_items(store: Store) -> list[dict]:
    """Kind, created and decided times of every decided item (for time to decision)."""
    columns = ("kind", "created_at", "decided_at", "outcome")
    return _dicts(
        columns,
        store.fetch(
            "SELECT kind, created_at, decided_at, outcome FROM wb_items "
            "WHERE status = 'decided' AND decided_at IS NOT NULL ORDER BY decided_at"
        ),
    )


def reason_counts(store: Store, run_id: int) -> list[dict]:
    """Parcels per rule id among a run's findings, most first."""
    columns = ("rule_id", "parcels")
    return _dicts(
        columns,
        store.fetch(
            "SELECT rule_id, count(DISTINCT shipment_id) AS parcels FROM check_findings WHERE run_id = ? "
            "GROUP BY rule_id ORDER BY parcels DESC, rule_id",
            [run_id],
        ),
    )
