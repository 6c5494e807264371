"""A check run's pool of worker processes for its CPU-bound pure-Python steps (address parsing for DM-AGG and
DM-SPLIT), so a day of parcels uses every core it is given.

run_check opens the pool for the length of a run (`worker_pool`); a step calls `parallel_map(func, items)`,
which is `[func(x) for x in items]` when no pool is open, the pool has one worker or the items are few, and
otherwise the same list computed in the pool's processes (started with `spawn`, once per run, on first use).
func must be a pure module-level function: the output is then identical whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items the pool is not worth starting (spawning a worker costs about a second).
MIN_PARALLEL_ITEMS = 4000
# Chunks per worker: small enough to even out a busy core, large enough that pickling stays cheap.
_CHUNKS_PER_WORKER = 8


class _Pool:
    """The open pool's settings and, once a step used it, its executor."""

    def __init__(self, workers: int, min_items: int) -> None:
        self.workers = workers
        self.min_items = min_items
        self.executor: ProcessPoolExecutor | None = None
        self.used = 0  # parallel_map calls that went to the workers


_open: _Pool | None = None


def default_workers() -> int:
    """Workers for a run: PARCELAUDIT_WORKERS if set, else 1 (no pool). Measured on the shared 2-core machine
    (docs/scale.md, "Both cores"), two workers were slower than one: opt in where cores are free."""
    configured = os.environ.get("PARCELAUDIT_WORKERS", "").strip()
    if not configured:
        return 1
    try:
        workers = int(configured)
    except ValueError:
        raise ValueError(
            f"PARCELAUDIT_WORKERS must be a whole number of processes, not {configured!r}"
        ) from None
    return check_workers(workers)


def check_workers(workers: int) -> int:
    """workers if it is a usable number of processes (1 or more); a clear error otherwise."""
    if workers < 1:
        raise ValueError(f"workers must be 1 or more processes, not {workers}")
    return workers


@contextmanager
def worker_pool(workers: int | None = None, min_items: int | None = None) -> Iterator[_Pool]:
    """Open the pool for parallel_map calls made inside the block (workers None: default_workers(); min_items
    None: MIN_PARALLEL_ITEMS); the worker processes are stopped and waited for on leaving it. Nested use keeps
    the outer pool (so a caller can choose the workers of the runs it makes)."""
    global _open
    if _open is not None:
        yield _open
        return
    pool = _Pool(
        check_workers(workers) if workers is not None else default_workers(),
        MIN_PARALLEL_ITEMS if min_items is None else min_items,
    )
    _open = pool
    try:
        yield pool
    finally:
        _open = None
        if pool.executor is not None:
            pool.executor.shutdown(wait=True, cancel_futures=True)


def parallel_map(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[func(x) for x in items], in the open pool's processes when it has several and the items are many.
    The order of the output is that of items; an exception in func is raised here."""
    pool = _open
    if pool is None or pool.workers < 2 or len(items) < max(pool.min_items, 2):
        return [func(x) for x in items]
    if pool.executor is None:
        pool.executor = ProcessPoolExecutor(pool.workers, mp_context=mp.get_context("spawn"))
    size = -(-len(items) // (pool.workers * _CHUNKS_PER_WORKER))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    pool.used += 1
    out: list[R] = []
    try:
        for part in pool.executor.map(_apply, [func] * len(chunks), chunks):
            out.extend(part)
    except BrokenProcessPool as error:
        raise RuntimeError(
            "a check worker process stopped before it answered: a script that runs a check must start it "
            "under `if __name__ == '__main__':` (workers are spawned and import the script), or set "
            "PARCELAUDIT_WORKERS=1"
        ) from error
    return out


def _apply(func: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [func(x) for x in chunk]
