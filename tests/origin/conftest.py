"""Fixtures for origin tests: a small simulated reference set on disk (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcelaudit.origin.simulated import write_simulated


@pytest.fixture(scope="session")
def simulated_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """reference.csv, lab_results.csv and isoscape_d2H.tif written once per session."""
    return write_simulated(tmp_path_factory.mktemp("origin-sim"), seed=42)
