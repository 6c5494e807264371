"""Analysts' decisions on hits, remembered: true match, false positive or unsure, with reason, who and when.

A false positive is left out of later runs for that exact (name, list entry) only while the entry is unchanged:
each decision keeps the entry's content hash, and when the list changes the entry, the hit comes back.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from parcelaudit.errors import InputError
from parcelaudit.screening.model import Entry
from parcelaudit.screening.screener import Hit

VERDICTS = ("true_match", "false_positive", "unsure")
FIELDS = ("name", "list", "entry_id", "entry_hash", "verdict", "reason", "who", "when")


@dataclass(frozen=True)
class Disposition:
    """One analyst's decision on one (screened name, list entry) pair."""

    name: str
    list: str
    entry_id: str
    entry_hash: str
    verdict: str
    reason: str
    who: str
    when: str


def _key(name: str, list_code: str, entry_id: str) -> tuple[str, str, str]:
    return (" ".join(name.split()).casefold(), list_code.upper(), entry_id)


def load_dispositions(path: Path) -> list[Disposition]:
    """Read a dispositions CSV; a missing file is an error, an unknown verdict names its row."""
    if not path.exists():
        raise InputError("dispositions file not found", file=str(path), hint="record one with screen-dispose")
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                f"missing columns {', '.join(missing)}",
                file=str(path),
                row=1,
                hint=f"columns: {', '.join(FIELDS)}",
            )
        for number, row in enumerate(reader, start=2):
            if row["verdict"] not in VERDICTS:
                raise InputError(
                    f"unknown verdict {row['verdict']!r}",
                    file=str(path),
                    row=number,
                    field="verdict",
                    hint=f"use one of {', '.join(VERDICTS)}",
                )
            out.append(Disposition(*(row[f] for f in FIELDS)))
    return out


def record_disposition(
    path: Path, name: str, entry: Entry, verdict: str, reason: str, who: str, now: dt.datetime | None = None
) -> Disposition:
    """Append one decision (with the entry's current content hash and the time) to the dispositions CSV."""
    if verdict not in VERDICTS:
        raise InputError(
            f"unknown verdict {verdict!r}", field="--verdict", hint=f"use one of {', '.join(VERDICTS)}"
        )
    if not reason.strip() or not who.strip():
        raise InputError(
            "a decision needs a reason and who made it", field="--reason", hint="give --reason and --who"
        )
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    decision = Disposition(
        name, entry.list_code, entry.entry_id, entry.content_hash(), verdict, reason, who, when
    )
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(FIELDS)
        writer.writerow([getattr(decision, f) for f in FIELDS])
    return decision


def apply_dispositions(
    name: str, hits: list[Hit], decided: list[Disposition]
) -> tuple[list[tuple[Hit, str]], int]:
    """The hits to report, each with what was decided about it, and how many were left out: a false positive
    whose entry is unchanged. The latest decision on a (name, entry) counts."""
    latest: dict[tuple[str, str, str], Disposition] = {}
    for decision in decided:
        latest[_key(decision.name, decision.list, decision.entry_id)] = decision
    kept: list[tuple[Hit, str]] = []
    left_out = 0
    for hit in hits:
        decision = latest.get(_key(name, hit.list, hit.entry_id))
        if decision is None:
            kept.append((hit, ""))
            continue
        unchanged = decision.entry_hash == hit.entry.content_hash()
        if decision.verdict == "false_positive" and unchanged:
            left_out += 1
            continue
        label = f"{decision.verdict} ({decision.who}, {decision.when}: {decision.reason})"
        if not unchanged:
            label += "; the list entry changed since: decide again"
        kept.append((hit, label))
    return kept, left_out


def suppress_decided(hits: pa.Table, entries: Iterable[Entry], decided: list[Disposition]) -> pa.Table:
    """The rows of a hit table (HIT_SCHEMA) left after the decisions: a false positive on a (name, entry) whose
    entry is unchanged is dropped; every other row stays. entries: the listed entries the hits point to."""
    if not decided or hits.num_rows == 0:
        return hits
    by_id = {(e.list_code.upper(), e.entry_id): e for e in entries}
    keep = []
    for row in hits.select(["name", "list", "entry_id", "matched_name", "score", "explanation"]).to_pylist():
        entry = by_id.get((row["list"].upper(), row["entry_id"]))
        if entry is None:
            keep.append(True)
            continue
        hit = Hit(row["list"], row["entry_id"], row["matched_name"], row["score"], row["explanation"], entry)
        keep.append(apply_dispositions(row["name"], [hit], decided)[1] == 0)
    return hits.filter(pa.array(keep, type=pa.bool_()))
