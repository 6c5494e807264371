"""Peak-memory measurement for benchmarks: run a callable in a child process and read its max RSS."""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from typing import Any


def _child(target: Callable[..., Any], args: tuple, queue: mp.Queue) -> None:
    started = time.perf_counter()
    value = target(*args)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((value, elapsed, peak_kib / 1024))


def measure(target: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """Run target(*args) in a fresh process; return (its result, seconds, peak RSS in MiB)."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    value, elapsed, peak_mib = queue.get()
    process.join()
    if process.exitcode:
        raise RuntimeError(f"benchmark child exited with {process.exitcode}")
    return value, elapsed, peak_mib
