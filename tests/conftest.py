"""Shared fixtures: the external data folder (tests skip with a reason when it is absent) and the store a test
uses, on the engine `--store-engine` names (duckdb, the default, or postgresql)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from parcelaudit.paths import shared_data_dir
from tests import pg_server

# CI runs the same examples every time (a random counterexample must not decide whether a change lands);
# developers get fresh random examples on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


ENGINES = ("duckdb", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    """--store-engine: the engine of the store every test's `store_target` names."""
    parser.addoption(
        "--store-engine",
        choices=ENGINES,
        default="duckdb",
        help="engine of the tests' stores: duckdb (a file per test) or postgresql (a schema per test on "
        "$PARCELAUDIT_TEST_PG, default postgresql://127.0.0.1:5432/test)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers of this suite."""
    config.addinivalue_line("markers", "store: exercises the store seam itself (run on every engine)")


def engine_target(engine: str, tmp_path: Path) -> Iterator[str]:
    """Yield a new, empty store target on engine (a file in tmp_path, or a fresh PostgreSQL schema dropped
    afterwards); skips the test with the reason when no PostgreSQL server answers."""
    if engine == "duckdb":
        yield str(tmp_path / "store.duckdb")
        return
    reason = pg_server.unreachable_reason()
    if reason:
        pytest.skip(reason)
    url, schema = pg_server.new_schema_url()
    try:
        yield url
    finally:
        pg_server.drop_schema(schema)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; skips the test when it is not beside the checkout."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set PARCELAUDIT_SHARED_DATA to run this test)")
    return path


@pytest.fixture
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a test's store lives, as `--db` takes it: a new DuckDB file in the test's folder, or with
    `--store-engine postgresql` a postgresql:// URL naming a fresh schema (dropped after the test).

    Tests that open a store take it from here (never a path of their own), so that the whole suite can run
    on either engine.
    """
    yield from engine_target(request.config.getoption("--store-engine"), tmp_path)
