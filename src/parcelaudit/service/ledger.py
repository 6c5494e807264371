"""The tamper-evident log: every decision, approval, disposition and audit step, hash-chained and checkpointed.

Entry n holds a canonical JSON payload (sorted keys, no spaces, UTF-8: seq, time, actor, role, action, subject,
reason, detail, the list snapshots and policy versions in force) and
`entry_hash = SHA-256(prev_hash + "\\n" + payload)`, prev_hash being entry n-1's hash (64 zeros for the first).
Editing an entry breaks its hash; removing one leaves a gap in seq or a broken link. Someone who rewrites the
whole tail consistently is caught by the checkpoints: every `checkpoint_every` entries (and on demand) the
newest hash is signed with HMAC-SHA256 under a key kept in a file outside the store. Entries after the last
checkpoint can be cut off unnoticed unless an exported copy or a later checkpoint says otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from parcelaudit.errors import InputError, ParcelAuditError
from parcelaudit.service.settings import WorkbenchSettings
from parcelaudit.store import Store, utc_now
from parcelaudit.store import workbench as sql

GENESIS = "0" * 64


def canonical(payload: dict[str, Any]) -> str:
    """The one JSON text of a payload: sorted keys, no spaces, non-ASCII kept, times as ISO strings."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, payload_text: str) -> str:
    """SHA-256 of the previous hash, a newline and the canonical payload."""
    return hashlib.sha256(f"{prev_hash}\n{payload_text}".encode()).hexdigest()


# --- the signing key -------------------------------------------------------------------------------------------
def load_key(path: Path, *, create: bool = False) -> bytes | None:
    """The checkpoint key from its file (created, readable by its owner only, when asked and absent)."""
    path = Path(path)
    if path.exists():
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) < 32:
            raise ParcelAuditError("the log signing key is shorter than 32 bytes", file=str(path))
        return key
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


def key_id(key: bytes) -> str:
    """A key's public name: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def sign(key: bytes, seq: int, hash_: str, signed_at: str) -> str:
    """HMAC-SHA256 over "seq:entry_hash:signed_at"."""
    return hmac.new(key, f"{seq}:{hash_}:{signed_at}".encode(), hashlib.sha256).hexdigest()


# --- appending -------------------------------------------------------------------------------------------------
def context_versions(store: Store, settings: WorkbenchSettings) -> dict[str, Any]:
    """The list snapshots and policy versions in force: those of the latest check run and this workbench."""
    run_id = sql.latest_run_id(store)
    return {
        "lists": sql.run_list_snapshots(store, run_id),
        "policy": {
            "check_run": run_id,
            "severity_sha256": sql.run_policy_sha256(store, run_id),
            "workbench_sha256": settings.policy_sha256,
        },
    }


def append(
    store: Store,
    settings: WorkbenchSettings,
    *,
    actor: str,
    role: str,
    action: str,
    subject: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    """Append one entry (inside the caller's transaction when there is one); returns it. Every
    settings.checkpoint_every entries a signed checkpoint follows."""
    with store.lock("wb_log"), store.transaction():
        tail = sql.log_tail(store)
        seq, prev = (tail[0] + 1, tail[1]) if tail else (1, GENESIS)
        recorded = (when or utc_now()).replace(microsecond=0)
        payload = {
            "seq": seq,
            "time": recorded.isoformat(),
            "actor": actor,
            "role": role,
            "action": action,
            "subject": subject,
            "reason": reason,
            "detail": detail or {},
            **context_versions(store, settings),
        }
        text = canonical(payload)
        entry = {
            "seq": seq,
            "recorded_at": recorded,
            "actor": actor,
            "role": role,
            "action": action,
            "subject": subject,
            "payload": text,
            "prev_hash": prev,
            "entry_hash": entry_hash(prev, text),
        }
        sql.insert_log_entry(store, entry)
        if seq % settings.checkpoint_every == 0:
            checkpoint(store, settings)
    return entry


def checkpoint(store: Store, settings: WorkbenchSettings) -> dict[str, Any] | None:
    """Sign the newest entry's hash (None for an empty log or when it is signed already)."""
    key = load_key(settings.key_file, create=True)
    with store.lock("wb_log"), store.transaction():
        tail = sql.log_tail(store)
        if tail is None or any(c["seq"] == tail[0] for c in sql.checkpoints(store)):
            return None
        signed_at = utc_now().replace(microsecond=0)
        row = {
            "seq": tail[0],
            "entry_hash": tail[1],
            "signed_at": signed_at,
            "key_id": key_id(key),
            "signature": sign(key, tail[0], tail[1], signed_at.isoformat()),
        }
        sql.insert_checkpoint(store, row)
    return row


# --- verifying -------------------------------------------------------------------------------------------------
@dataclass
class Verdict:
    """What a verification found: intact or not, the first bad entry, and what was checked."""

    ok: bool
    entries: int
    checkpoints: int
    signed: int  # checkpoints whose signature was checked with the key
    problem: str = ""
    bad_seq: int | None = None
    notes: tuple[str, ...] = ()


def _when(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def verify_entries(
    entries: Iterable[dict[str, Any]], marks: list[dict[str, Any]], key: bytes | None
) -> Verdict:
    """Check the chain (contiguous seq from 1, each link, each hash, columns agreeing with the payload) and the
    checkpoints (each seals an existing entry's hash; its HMAC when the key is at hand). Payloads may be JSON
    text (store) or objects (export)."""
    prev, expected, count, hashes = GENESIS, 1, 0, {}
    for entry in entries:
        seq = entry.get("seq")
        if seq != expected:
            what = (
                f"entry {expected} is missing (next is {seq})"
                if isinstance(seq, int)
                else f"entry {expected} has no seq"
            )
            return Verdict(False, count, len(marks), 0, what, expected)
        payload = entry.get("payload")
        try:
            parsed = json.loads(payload) if isinstance(payload, str) else payload
            text = canonical(parsed)
        except (TypeError, ValueError):
            return Verdict(False, count, len(marks), 0, f"entry {seq}: payload is not JSON", seq)
        if isinstance(payload, str) and payload != text:
            return Verdict(False, count, len(marks), 0, f"entry {seq}: payload is not in canonical form", seq)
        if entry.get("prev_hash") != prev:
            return Verdict(False, count, len(marks), 0, f"entry {seq}: does not link to entry {seq - 1}", seq)
        if entry_hash(prev, text) != entry.get("entry_hash"):
            return Verdict(False, count, len(marks), 0, f"entry {seq}: content does not match its hash", seq)
        for column in ("seq", "actor", "role", "action", "subject"):
            if parsed.get(column) != entry.get(column):
                return Verdict(
                    False,
                    count,
                    len(marks),
                    0,
                    f"entry {seq}: column {column} differs from the signed payload",
                    seq,
                )
        if _when(entry.get("recorded_at")).replace(" ", "T") != parsed.get("time"):
            return Verdict(
                False, count, len(marks), 0, f"entry {seq}: recorded_at differs from the signed payload", seq
            )
        prev, expected, count = entry["entry_hash"], expected + 1, count + 1
        hashes[seq] = prev
    signed, notes = 0, []
    for mark in marks:
        seq = mark.get("seq")
        if seq not in hashes:
            return Verdict(
                False,
                count,
                len(marks),
                signed,
                f"checkpoint at entry {seq}: the entry is missing (log cut short)",
                seq,
            )
        if hashes[seq] != mark.get("entry_hash"):
            return Verdict(
                False, count, len(marks), signed, f"checkpoint at entry {seq}: entry {seq} was rewritten", seq
            )
        if key is None:
            continue
        if mark.get("key_id") != key_id(key):
            notes.append(f"checkpoint at entry {seq} was signed with another key ({mark.get('key_id')})")
            continue
        if not hmac.compare_digest(
            sign(key, seq, mark["entry_hash"], _when(mark["signed_at"]).replace(" ", "T")),
            mark.get("signature", ""),
        ):
            return Verdict(
                False, count, len(marks), signed, f"checkpoint at entry {seq}: signature does not match", seq
            )
        signed += 1
    if key is None and marks:
        notes.append("no signing key: checkpoint signatures not checked")
    if marks and count > marks[-1]["seq"]:
        notes.append(f"entries {marks[-1]['seq'] + 1}-{count} are after the last checkpoint")
    return Verdict(True, count, len(marks), signed, notes=tuple(notes))


def verify_store(store: Store, key: bytes | None) -> Verdict:
    """Verify the log held in the store (a store the workbench never opened has an empty log)."""
    if "wb_log" not in store.tables():
        return Verdict(True, 0, 0, 0, notes=("this store has no workbench log yet",))
    return verify_entries(sql.log_entries(store), sql.checkpoints(store), key)


# --- export ----------------------------------------------------------------------------------------------------
def export_lines(store: Store) -> Iterator[str]:
    """The log as JSON Lines: one {"entry": ...} per entry (payload as an object), then {"checkpoint": ...}."""
    for row in sql.log_entries(store):
        entry = {**row, "recorded_at": _when(row["recorded_at"]), "payload": json.loads(row["payload"])}
        yield json.dumps({"entry": entry}, ensure_ascii=False, sort_keys=True)
    for mark in sql.checkpoints(store):
        yield json.dumps({"checkpoint": {**mark, "signed_at": _when(mark["signed_at"])}}, sort_keys=True)


def read_export(path: Path) -> tuple[list[dict], list[dict]]:
    """Entries and checkpoints from an exported file; a line that is neither names its line number."""
    entries, marks = [], []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(
            "log file not found", file=str(path), hint="export it with `parcelaudit log export`"
        ) from error
    except UnicodeDecodeError as error:
        raise InputError(f"log file is not UTF-8 (byte {error.start})", file=str(path)) from error
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise InputError(
                f"not JSON: {error.msg}", file=str(path), row=number, hint="restore the exported file"
            ) from error
        if isinstance(record, dict) and isinstance(record.get("entry"), dict):
            entries.append(record["entry"])
        elif isinstance(record, dict) and isinstance(record.get("checkpoint"), dict):
            marks.append(record["checkpoint"])
        else:
            raise InputError("neither an entry nor a checkpoint", file=str(path), row=number)
    return entries, marks
