"""The list model: a restricted-party list snapshot and its entries, independent of the source format."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import astuple, dataclass, field

LIST_CODES = ("UFLPA", "WRO", "SDN", "CSL", "UN")


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed party: its names, where it is, why and since when it is listed."""

    list_code: str
    entry_id: str
    name: str
    aliases: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    program: str | None = None  # OFAC program, UFLPA section, WRO/Finding type, CSL source list
    listed_on: str | None = None  # ISO date
    kind: str = "entity"  # entity | person | vessel | aircraft | merchandise
    remarks: str | None = None

    def content_hash(self) -> str:
        """SHA-256 of everything the list says about this entry: a decision on it holds while this is unchanged."""
        return hashlib.sha256(json.dumps(astuple(self), ensure_ascii=False).encode("utf-8")).hexdigest()

    @property
    def names(self) -> tuple[str, ...]:
        """Primary name first, then aliases, without duplicates."""
        seen: dict[str, None] = {self.name: None}
        for alias in self.aliases:
            seen.setdefault(alias, None)
        return tuple(seen)


@dataclass(slots=True)
class RestrictedList:
    """A snapshot of one list: its code, entries, where it came from and how current it is."""

    code: str
    title: str
    entries: list[Entry]
    source: str
    snapshot_date: str | None = None  # ISO date the list was published or compiled
    loaded_from: str | None = None
    partial: bool = False
    note: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # How snapshot_date was found: the source's own date in the file, the server's Last-Modified header, the
    # latest listing date, a date in the file name, or (worst) the download date.
    date_basis: str | None = None
    files: tuple[tuple[str, str], ...] = ()  # (path, SHA-256) of every file read, main file first

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def alias_count(self) -> int:
        """Number of alias names over all entries."""
        return sum(len(e.aliases) for e in self.entries)

    def snapshot(self) -> dict[str, object]:
        """What a run used of this list: code, source, date and how it was found, file hashes, counts."""
        return {
            "list": self.code,
            "source": self.source,
            "snapshot_date": self.snapshot_date,
            "date_basis": self.date_basis,
            "sha256": self.files[0][1] if self.files else None,
            "files": [{"path": path, "sha256": digest} for path, digest in self.files],
            "entries": len(self.entries),
            "aliases": self.alias_count,
            "partial": self.partial,
        }

    def age_days(self, today: dt.date | None = None) -> int | None:
        """Days since the snapshot date, or None when the date is unknown."""
        if not self.snapshot_date:
            return None
        today = today or dt.date.today()
        return (today - dt.date.fromisoformat(self.snapshot_date[:10])).days
