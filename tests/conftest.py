"""Shared fixtures: the external data folder (tests skip with a reason when it is absent) and the store a test
uses, on the engine `--store-engine` names (duckdb, the default, or postgresql).

Every test that keeps data in a store takes it from `store_target` (or `session_target` for a template built
once and copied with `tests.support.clone_store`), so `--store-engine postgresql` runs it on PostgreSQL. Such
tests are marked `store` automatically (`pytest -m store` selects them). A test about one engine itself (a
DuckDB file's crash safety, DuckDB's single-writer lock) says so with `@pytest.mark.duckdb_only(reason=...)`
and is skipped with that reason on the other engine. A test that leaves a DuckDB file in its folder fails
when it took no store fixture (so `-m store` misses no store test) and, on another engine, whenever it is not
`duckdb_only`: it bypassed the engine it was asked to run on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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


# A test taking one of these fixtures keeps data in a store on the chosen engine; one taking an EXPLICIT one
# (tests/store/conftest.py) names its engines itself, whatever --store-engine says.
EXPLICIT_ENGINE_FIXTURES = frozenset({"target", "both_targets", "pg_target"})
STORE_FIXTURES = (
    frozenset({"store_target", "other_store_target", "session_target"}) | EXPLICIT_ENGINE_FIXTURES
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers of this suite."""
    config.addinivalue_line(
        "markers", "store: keeps data in a store (set automatically from the fixtures a test takes)"
    )
    config.addinivalue_line(
        "markers",
        "duckdb_only(reason): about the DuckDB engine itself (a file's crash safety, its single-writer lock); "
        "skipped with the reason on other engines",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test taking a store fixture `store`; skip `duckdb_only` tests on other engines."""
    engine = config.getoption("--store-engine")
    for item in items:
        if STORE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.store)
        only = item.get_closest_marker("duckdb_only")
        if only is not None:
            if not only.kwargs.get("reason"):
                raise pytest.UsageError(f"{item.nodeid}: duckdb_only needs reason=...")
            if engine != "duckdb":
                item.add_marker(pytest.mark.skip(reason=f"DuckDB only: {only.kwargs['reason']}"))


def _duckdb_files(folder: Path) -> list[Path]:
    """DuckDB database files under folder (recognised by their header, whatever their name)."""
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root, name)
            try:
                with path.open("rb") as handle:
                    head = handle.read(12)
            except OSError:
                continue
            if head[8:12] == b"DUCK":
                found.append(path)
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that wrote a DuckDB store into its folder without taking it from the store fixtures (on
    any engine: `-m store` must select every test that keeps data in a store), or, on another engine, wrote
    one at all: it did not run on the engine asked. `duckdb_only` tests and those naming their engines
    themselves (tests/store/) are exempt."""
    result = yield
    engine = item.config.getoption("--store-engine")
    folder = getattr(item, "funcargs", {}).get("tmp_path")
    fixtures = set(getattr(item, "fixturenames", ()))
    exempt = item.get_closest_marker("duckdb_only") is not None or EXPLICIT_ENGINE_FIXTURES & fixtures
    if folder is None or exempt or (engine == "duckdb" and STORE_FIXTURES & fixtures):
        return result
    strays = _duckdb_files(folder)
    if strays:
        names = ", ".join(str(p.relative_to(folder)) for p in strays)
        raise AssertionError(
            f"the test wrote DuckDB store(s) ({names}) without taking its store from the store_target fixture"
            f" (the suite runs on {engine}): take it from there, or mark the test duckdb_only(reason=...)"
        )
    return result


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


@pytest.fixture
def other_store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second new store on the same engine as `store_target`, for a test that needs two."""
    folder = tmp_path / "other-store"
    folder.mkdir()
    yield from engine_target(request.config.getoption("--store-engine"), folder)


@pytest.fixture(scope="session")
def session_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """new(name): a new, empty store target on the suite's engine kept for the whole session (a template built
    once and copied into each test's `store_target` with tests.support.clone_store); dropped at the end."""
    engine = request.config.getoption("--store-engine")
    opened: list[Iterator[str]] = []

    def new(name: str) -> str:
        targets = engine_target(engine, tmp_path_factory.mktemp(name))
        opened.append(targets)
        return next(targets)

    yield new
    for targets in opened:
        targets.close()
