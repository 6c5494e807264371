"""Helpers for tests: locating the optional external data and skipping with a reason without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcelaudit.paths import shared_data_dir


def require_shared(relative: str) -> Path:
    """Return a path under ../shared/data, or skip the calling test saying what is missing."""
    base = shared_data_dir()
    if base is None or not (base / relative).exists():
        pytest.skip(f"../shared/data/{relative} is absent (set PARCELAUDIT_SHARED_DATA to run this test)")
    return base / relative
