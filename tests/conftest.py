"""Shared fixtures: the external data folder (tests skip with a reason when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from parcelaudit.paths import shared_data_dir

# CI runs the same examples every time (a random counterexample must not decide whether a change lands);
# developers get fresh random examples on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; skips the test when it is not beside the checkout."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set PARCELAUDIT_SHARED_DATA to run this test)")
    return path


@pytest.fixture
def store_target(tmp_path: Path) -> str:
    """Where a test's store lives, as `--db` takes it: a new DuckDB file in the test's folder.

    Tests that open a store take it from here (never a path of their own), so that the whole suite can run
    on either engine.
    """
    return str(tmp_path / "store.duckdb")
