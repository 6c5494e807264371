"""Re-screening on list change: which parties now hit, or no longer hit, the entries a list update changed.

Only the entries added, removed or changed (by content hash) are screened against, so the cost is that of the
change, not of a full run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from parcelaudit.screening.model import Entry, RestrictedList
from parcelaudit.screening.screener import Screener


def _identity(entry: Entry) -> str:
    # Entries are paired by primary name: some lists number their entries by row (our UFLPA and WRO ids),
    # so one party's id moves when a row is added above it.
    return " ".join(entry.name.split()).casefold()


def _content(entry: Entry) -> str:
    return dataclasses.replace(entry, entry_id="").content_hash()


def changed_entries(old: RestrictedList | None, new: RestrictedList) -> tuple[list[Entry], list[Entry]]:
    """Entries of the old list that are gone or changed, and entries of the new one that are new or changed."""
    before = {_identity(e): _content(e) for e in (old.entries if old else [])}
    after = {_identity(e): _content(e) for e in new.entries}
    gone = [e for e in (old.entries if old else []) if after.get(_identity(e)) != before[_identity(e)]]
    came = [e for e in new.entries if before.get(_identity(e)) != after[_identity(e)]]
    return gone, came


def _hits(entries: list[Entry], code: str, parties: list[tuple[str, str | None]]) -> dict[tuple, dict]:
    if not entries:
        return {}
    screener = Screener([RestrictedList(code, code, entries, source="changed entries")])
    found = {}
    for name, country in parties:
        for hit in screener.screen(name, country):
            found[(name, country, _identity(hit.entry))] = {
                "entry_id": hit.entry_id,
                "matched_name": hit.matched_name,
                "score": hit.score,
            }
    return found


def rescreen_delta(
    old: RestrictedList | None, new: RestrictedList, parties: Iterable[tuple[str, str | None]]
) -> list[dict[str, object]]:
    """Parties whose hits on this list changed with the update: 'now hits' or 'no longer hits', per entry."""
    gone, came = changed_entries(old, new)
    distinct = list(dict.fromkeys((name, country) for name, country in parties if name))
    before, after = _hits(gone, new.code, distinct), _hits(came, new.code, distinct)
    rows = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1] or "", k[2])):
        if (key in before) == (key in after):
            continue  # hit before and after (a changed entry still matched) or never
        name, country, _ = key
        detail = after.get(key) or before[key]
        rows.append(
            {
                "name": name,
                "country": country,
                "list": new.code,
                "change": "now hits" if key in after else "no longer hits",
                **detail,
            }
        )
    return rows
