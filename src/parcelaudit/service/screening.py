"""Batch screening for other systems: many names in one request, each answered with its hits and why."""

from __future__ import annotations

import threading

_LOCK = threading.Lock()  # one screen at a time: the screener's caches are shared


def screen_batch(queries: dict[str, tuple[str, str | None]]) -> dict[str, list[dict]]:
    """{key: (name, country)} -> {key: [{list, entry_id, matched_name, score, explanation}, ...]}, best first,
    over the lists the checks use (downloaded, else the bundled snapshot)."""
    from parcelaudit.screening.lists import default_screener

    screener = default_screener()
    results: dict[str, list[dict]] = {}
    with _LOCK:
        for key, (name, country) in queries.items():
            results[key] = [
                {
                    "list": hit.list,
                    "entry_id": hit.entry_id,
                    "matched_name": hit.matched_name,
                    "score": hit.score,
                    "explanation": hit.explanation,
                }
                for hit in screener.screen(name, (country or "").upper() or None)
            ]
    return results
