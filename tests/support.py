"""Helpers for tests: the optional external data (skipping with a reason without it), the CLI in a fresh
process, and a generated store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from parcelaudit.paths import shared_data_dir

if TYPE_CHECKING:
    from parcelaudit.store import Store


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


def generated_store(folder: Path, target: str, parcels: int, seed: int = 3) -> str:
    """Generate `parcels` parcels into folder/data and ingest them with the CLI into the store at target (a
    `store_target`); return target."""
    from parcelaudit.generate import generate_dataset

    generate_dataset(folder / "data", parcels=parcels, seed=seed)
    files = [str(folder / "data" / f"{n}.csv") for n in ("shipments", "lines", "orders", "payments")]
    result = cli("ingest", *files, "--db", target, "--rejects-dir", str(folder / "rejects"), cwd=folder)
    assert result.returncode == 0, result.stderr
    return target


def clone_store(template: str, target: str) -> str:
    """Fill the new store at target with every row of the store at template (same engine): a file copy on
    DuckDB, `store copy` (counts and checksums compared) on a server; return target."""
    from parcelaudit.store import is_url, open_store
    from parcelaudit.store.transfer import copy_store

    if not is_url(template):
        shutil.copyfile(template, target)
        return target
    with open_store(template, read_only=True) as source, open_store(target) as destination:
        copies = copy_store(source, destination)
    assert all(copy.matches for copy in copies), [c for c in copies if not c.matches]
    return target


def store_as_of(target: str, version: int, fill: Callable[[Store], None] | None = None) -> str:
    """Make the store at target (any engine) as a ParcelAudit whose newest migration was `version` left it:
    every view, table and sequence dropped, the migrations up to version applied, then fill(store) writes the old
    rows; return target. The next `Store.open` upgrades it, as it would a user's old store."""
    from parcelaudit.store import open_store

    with open_store(target) as store, store.transaction():
        views = store.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'VIEW' AND table_schema = current_schema()"
        )
        for (view,) in views:
            store.execute(f'DROP VIEW "{view}"')
        for table in store.tables():
            store.execute(f'DROP TABLE "{table}"')
        for sequence in store.sequences():
            store.execute(f'DROP SEQUENCE "{sequence}"')
        store.migrate(up_to=version)
        assert store.schema_version() == version
        if fill is not None:
            fill(store)
    return target
