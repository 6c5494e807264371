"""Original-script names of listed parties that the lists themselves do not carry, from a bundled, sourced
supplement (data/original_script_names.csv): the Chinese names of UFLPA, WRO and other listed Chinese entities.

The UFLPA Entity List and the other US lists name Chinese companies in English only, and a Chinese brand name
often has no phonetic link to its English one (溢达 Esquel, 合盛 Hoshine, 大全 Daqo): invoices and factory
records in Chinese can then only meet the listing through the Chinese name. Each row names the list, the
listed English name (the entry it belongs to), the Chinese name, the public source it was read in and whether
that source was seen to confirm it. The screener adds each name as an alias of the entry with the same list
and listed name, however the list was obtained (bundled snapshot or `lists update`), so an update never
drops them; a row whose entry is no longer listed is left unused, and counted.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from parcelaudit.errors import InputError
from parcelaudit.screening.model import LIST_CODES, Entry
from parcelaudit.screening.names import LEGAL, prepare

SUPPLEMENT_FILE = Path(__file__).resolve().parent / "data" / "original_script_names.csv"
_COLUMNS = ("list", "listed_name", "name", "source", "verified")
SUPPLEMENT_DATE = "2026-12-07"  # when the rows were compiled


@dataclass(frozen=True, slots=True)
class SupplementName:
    """One original-script name of a listed party, with where it was read."""

    list_code: str
    listed_name: str
    name: str
    source: str
    verified: bool

    def note(self) -> str:
        """How a hit on this name is explained: the supplement and its source."""
        flag = "" if self.verified else ", unverified"
        return f"Chinese name from supplement ({self.source}{flag})"


def entry_key(name: str) -> str:
    """A listed name as the supplement pairs it with an entry: its tokens without legal forms, so "Co., Ltd."
    and "Co. Ltd" (or a list's other punctuation) do not part a row from its entry."""
    prepared = prepare(name)
    return " ".join(t for t, c in zip(prepared.tokens, prepared.classes, strict=True) if c != LEGAL)


def _flag(value: str, path: Path, row: int) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise InputError(
        f"verified must be true or false, not {value!r}",
        file=str(path),
        row=row,
        field="verified",
        hint="write true when the source was seen to give this name, else false",
    )


def load_supplement(path: Path = SUPPLEMENT_FILE) -> tuple[SupplementName, ...]:
    """Read a supplement CSV (list, listed_name, name, source, verified; # comments); every row is checked."""
    text = path.read_text(encoding="utf-8")
    numbered = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")
    ]
    reader = csv.DictReader(line for _, line in numbered)
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(
            f"supplement lacks the column(s) {', '.join(missing)}",
            file=str(path),
            row=numbered[0][0] if numbered else 1,
            field=missing[0],
            hint=f"the header must be {','.join(_COLUMNS)}",
        )
    out = []
    for (row_no, _), row in zip(numbered[1:], reader, strict=True):
        for column in ("list", "listed_name", "name", "source"):
            if not (row.get(column) or "").strip():
                raise InputError(
                    f"{column} is empty",
                    file=str(path),
                    row=row_no,
                    field=column,
                    hint="every row needs the list, the listed English name, the name and its source",
                )
        code = row["list"].strip().upper()
        if code not in LIST_CODES:
            raise InputError(
                f"unknown list {row['list']!r}",
                file=str(path),
                row=row_no,
                field="list",
                hint=f"use one of {', '.join(LIST_CODES)}",
            )
        out.append(
            SupplementName(
                code,
                row["listed_name"].strip(),
                row["name"].strip(),
                row["source"].strip(),
                _flag(row["verified"].strip().lower(), path, row_no),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def bundled_supplement() -> tuple[SupplementName, ...]:
    """The supplement shipped with ParcelAudit."""
    return load_supplement()


class SupplementIndex:
    """The supplement's names by entry (list and listed name): which names to add to an entry."""

    def __init__(self, rows: Iterable[SupplementName], path: Path | None = None) -> None:
        self.rows = tuple(rows)
        self.path = path
        self._by_key: dict[tuple[str, str], list[SupplementName]] = {}
        for row in self.rows:
            self._by_key.setdefault((row.list_code, entry_key(row.listed_name)), []).append(row)
        self.used: set[SupplementName] = set()

    def names_for(self, entry: Entry) -> list[SupplementName]:
        """The supplement's names for this entry (matched by its primary name or an alias), not already listed."""
        found: dict[str, SupplementName] = {}
        listed = set(entry.names)
        for name in entry.names:
            for row in self._by_key.get((entry.list_code, entry_key(name)), ()):
                if row.name not in listed:
                    found.setdefault(row.name, row)
        self.used.update(found.values())
        return list(found.values())

    def snapshot(self, entries: int) -> dict[str, object]:
        """What a run used of the supplement, in the form of a list snapshot."""
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None
        return {
            "list": "SUPPLEMENT",
            "source": f"bundled original-script names ({len(self.used)} of {len(self.rows)} rows used)",
            "snapshot_date": SUPPLEMENT_DATE,
            "date_basis": "the date the rows were compiled",
            "sha256": digest,
            "files": [{"path": str(self.path), "sha256": digest}] if self.path else [],
            "entries": entries,
            "aliases": len(self.used),
            "partial": True,
        }
