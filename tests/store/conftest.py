"""Engine-contract tests run on BOTH engines in every run: `target` is a new store on each in turn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ENGINES, engine_target


@pytest.fixture(params=ENGINES)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store target on each engine in turn (the PostgreSQL half skips when no server answers)."""
    yield from engine_target(request.param, tmp_path)


@pytest.fixture
def both_targets(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A new DuckDB store target and a new PostgreSQL one (skips when no PostgreSQL server answers)."""
    for pg in engine_target("postgresql", tmp_path):
        yield str(tmp_path / "parity.duckdb"), pg


@pytest.fixture
def pg_target(tmp_path: Path) -> Iterator[str]:
    """A new PostgreSQL store target (skips when no PostgreSQL server answers)."""
    yield from engine_target("postgresql", tmp_path)
