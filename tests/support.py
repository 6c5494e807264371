"""Helpers for tests: the optional external data (skipping with a reason without it), the CLI in a fresh
process, and a generated store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from parcelaudit.paths import shared_data_dir


def require_shared(relative: str) -> Path:
    """Return a path under ../shared/data, or skip the calling test saying what is missing."""
    base = shared_data_dir()
    if base is None or not (base / relative).exists():
        pytest.skip(f"../shared/data/{relative} is absent (set PARCELAUDIT_SHARED_DATA to run this test)")
    return base / relative


def cli(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python -m parcelaudit ARGS` in a fresh process (wide terminal), capturing text output."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "parcelaudit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def generated_store(folder: Path, parcels: int, seed: int = 3) -> Path:
    """Generate `parcels` parcels and ingest them with the CLI into folder/store.duckdb; return its path."""
    from parcelaudit.generate import generate_dataset

    generate_dataset(folder / "data", parcels=parcels, seed=seed)
    files = [str(folder / "data" / f"{n}.csv") for n in ("shipments", "lines", "orders", "payments")]
    db = folder / "store.duckdb"
    result = cli("ingest", *files, "--db", str(db), "--rejects-dir", str(folder / "rejects"), cwd=folder)
    assert result.returncode == 0, result.stderr
    return db
