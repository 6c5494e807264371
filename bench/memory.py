"""Peak-memory measurement for benchmarks: run a callable in a child process and read its max RSS, and, when
the child starts worker processes of its own (a check's address-parsing pool), the largest sum of the RSS of
the child and its workers, sampled four times a second (a worker's own ru_maxrss is no use: a spawned
process is forked before it execs, so it inherits its parent's RSS count for an instant)."""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from queue import Empty
from typing import Any


def _child(target: Callable[..., Any], args: tuple, queue: mp.Queue) -> None:
    started = time.perf_counter()
    value = target(*args)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((value, elapsed, peak_kib / 1024))


def measure(target: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """Run target(*args) in a fresh process; return (its result, seconds, peak RSS in MiB): the child's own
    peak, or the sampled peak of the child with its worker processes where that is larger."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    tree_peak = 0.0
    while True:
        try:
            value, elapsed, peak_mib = queue.get(timeout=0.25)
            break
        except Empty:
            tree_peak = max(tree_peak, _tree_rss_mib(process.pid))
    process.join()
    if process.exitcode:
        raise RuntimeError(f"benchmark child exited with {process.exitcode}")
    return value, elapsed, max(peak_mib, tree_peak)


def _tree_rss_mib(pid: int) -> float:
    """The RSS of a process and its descendants now, in MiB (0 once it has gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20
