"""The screener a run uses by default, built once per process from the default lists."""

from __future__ import annotations

from functools import lru_cache

from parcelaudit.screening.screener import Screener


@lru_cache(maxsize=1)
def default_screener() -> Screener:
    """A Screener over the downloaded lists, or the bundled UFLPA/WRO snapshot where none were downloaded."""
    from parcelaudit.reference.list_sources import default_lists

    return Screener(default_lists())
