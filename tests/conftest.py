"""Shared fixtures: the external data folder (tests skip with a reason when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcelaudit.paths import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; skips the test when it is not beside the checkout."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set PARCELAUDIT_SHARED_DATA to run this test)")
    return path
