"""Reads remembered while nothing changed: queue pages, their counts, the users behind keys and sessions.

A queue read is a DuckDB statement of 3-4 ms CPU (the top 50 of thousands of wide rows), most of what a
queue request costs, and 20 people looking at the same few views ask for the same rows again and again. A read
is therefore remembered under the store's *version*: this process's own count of changes (every request
that is not a GET counts as one, when its answer starts) and the newest entry of the hash-chained log (every
change of an item is logged in the same transaction, by this process or another one sharing a PostgreSQL
store), read again at most every VERSION_SECONDS. A remembered read is used for at most READ_SECONDS, because
which items are overdue or due soon moves with the clock.

What this means: a change made through this server shows at once; one made by another process (a second
server on the same PostgreSQL store) shows within VERSION_SECONDS. Decisions always read the item afresh
inside their transaction, so a list that is a second old never lets a decided item be decided twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from parcelaudit.store import workbench as sql

T = TypeVar("T")
VERSION_SECONDS = 1.0  # how often the log's newest entry is read, to notice changes by other processes
READ_SECONDS = 2.0  # a remembered queue read is used for at most this long
SOON = timedelta(hours=4)  # "due soon" in the counts
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TimedCache:
    """Values remembered for a few seconds, at most `limit` of them (all are forgotten when full)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._values: dict[Hashable, tuple[Any, float]] = {}
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, seconds: float, compute: Callable[[], T]) -> T:
        """The value for key, computed again when older than `seconds` (a None result is not kept). Requests
        that miss the same key together wait for one computation instead of each running it."""
        found = self._fresh(key)
        if found is not None:
            return found[0]
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            found = self._fresh(key)
            if found is not None:
                return found[0]
            value = compute()
            with self._lock:
                self._computing.pop(key, None)
                if value is not None:
                    if len(self._values) >= self.limit:
                        self._values.clear()
                    self._values[key] = (value, time.monotonic() + seconds)
        return value

    def _fresh(self, key: Hashable) -> tuple[Any, float] | None:
        with self._lock:
            found = self._values.get(key)
        return found if found is not None and found[1] > time.monotonic() else None

    def forget(self, key: Hashable | None = None) -> None:
        """Forget one key (a signed-out session), or everything when key is None (a revoked key)."""
        with self._lock:
            if key is None:
                self._values.clear()
            else:
                self._values.pop(key, None)


class StoreVersion:
    """(this process's changes, the log's newest seq): equal versions mean the items did not change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        self._local = 0
        self._seq: int | None = None
        self._read_at = float("-inf")

    def changed(self) -> None:
        """This process changed the store (or may have): remembered reads are stale."""
        with self._lock:
            self._local += 1

    def current(self, access) -> tuple[int, int | None]:
        """The version now; `access` lends the store when the log's tail is due to be read again (by one
        request: the others wait for it)."""
        if time.monotonic() - self._read_at >= VERSION_SECONDS:
            with self._reading:
                if time.monotonic() - self._read_at >= VERSION_SECONDS:
                    with access() as store:
                        tail = sql.log_tail(store)
                    with self._lock:
                        self._seq, self._read_at = (tail[0] if tail else 0), time.monotonic()
        with self._lock:
            return self._local, self._seq


class ChangeTracker:
    """ASGI middleware: a request other than GET, HEAD or OPTIONS counts as a change of the store when its
    answer starts (its transaction is over by then), so the next read of this process sees it."""

    def __init__(self, app, version: StoreVersion) -> None:
        self.app = app
        self.version = version

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in READ_METHODS:
            await self.app(scope, receive, send)
            return

        async def marking(message) -> None:
            if message["type"] == "http.response.start":
                self.version.changed()
            await send(message)

        await self.app(scope, receive, marking)


def queue_items(
    state, filters: dict[str, Any], now: datetime, limit: int, offset: int
) -> tuple[list[dict], int]:
    """A page of queue items and the number matching (workbench.list_items), remembered under the version."""
    key = ("items", state.version.current(state.store), tuple(sorted(filters.items())), limit, offset)

    def look_up() -> tuple[list[dict], int]:
        with state.store() as store:
            return sql.list_items(store, filters, now, limit, offset)

    return state.reads.get(key, READ_SECONDS, look_up)


def queue_counts(state, now: datetime) -> list[dict]:
    """Items, overdue and due soon per kind and status (workbench.item_counts), remembered under the version."""

    def look_up() -> list[dict]:
        with state.store() as store:
            return sql.item_counts(store, now, now + SOON)

    return state.reads.get(("counts", state.version.current(state.store)), READ_SECONDS, look_up)
