"""A check run's worker pool (parcelaudit.parallel): the same output as one process, in the order of the input,
and a check run judged with two workers gives exactly the findings, decisions and duty of one."""

from __future__ import annotations

import os
from datetime import date

import pytest

from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.parallel import check_workers, default_workers, parallel_map, worker_pool
from parcelaudit.pipeline import run_check
from parcelaudit.rules.consignee import normalise_address
from parcelaudit.store import Store


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _fails_on_seven(x: int) -> int:
    if x == 7:
        raise ArithmeticError("seven")
    return x


def test_parallel_map_runs_in_worker_processes_and_keeps_the_order():
    items = list(range(1000))
    with worker_pool(2, min_items=1) as pool:
        out = parallel_map(_pid_and_square, items)
    assert [square for _, square in out] == [x * x for x in items]
    pids = {pid for pid, _ in out}
    assert os.getpid() not in pids and len(pids) >= 1
    assert pool.used == 1


def test_parallel_map_is_serial_without_a_pool_or_with_few_items():
    assert {pid for pid, _ in parallel_map(_pid_and_square, [1, 2, 3])} == {os.getpid()}
    with worker_pool(2, min_items=10) as pool:
        assert {pid for pid, _ in parallel_map(_pid_and_square, [1, 2, 3])} == {os.getpid()}
    assert pool.used == 0 and pool.executor is None


def test_an_error_in_a_worker_is_raised_to_the_caller():
    with worker_pool(2, min_items=1), pytest.raises(ArithmeticError, match="seven"):
        parallel_map(_fails_on_seven, list(range(20)))


def _exits(x: int) -> int:
    os._exit(3)


def test_a_worker_that_dies_is_a_clear_error():
    with worker_pool(2, min_items=1), pytest.raises(RuntimeError, match="worker process stopped"):
        parallel_map(_exits, list(range(10)))


def test_bad_worker_counts_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="1 or more"):
        check_workers(0)
    monkeypatch.setenv("PARCELAUDIT_WORKERS", "two")
    with pytest.raises(ValueError, match="PARCELAUDIT_WORKERS"):
        default_workers()
    monkeypatch.setenv("PARCELAUDIT_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.delenv("PARCELAUDIT_WORKERS")
    assert default_workers() == 1  # opt-in: two were slower on the shared machine


def test_addresses_parse_the_same_in_workers():
    addresses = [f"{n} North Main Street Apt {n % 7}, Austin, Texas 78701-1234" for n in range(1, 60)] + [
        "",
        None,
    ]
    with worker_pool(2, min_items=1) as pool:
        parsed = parallel_map(normalise_address, addresses)
    assert pool.used == 1
    assert parsed == [normalise_address(a) for a in addresses]
    assert parsed[0] == ("1 N MAIN ST APT 1 AUSTIN TX 78701", "usps-pub28")


@pytest.fixture(scope="module")
def one_day_store(tmp_path_factory):
    """A store of one generated arrival day (consignee-days over $800 injected among 2,000 parcels)."""
    folder = tmp_path_factory.mktemp("day")
    generate_dataset(folder / "data", parcels=2000, days=1, start=date(2025, 3, 1), seed=5, rate=0.03)
    db = folder / "day.duckdb"
    with Store.open(db) as store:
        for name in ("shipments", "lines", "orders"):
            ingest_file(store, folder / "data" / f"{name}.csv", rejects_dir=folder / "rejects")
    return db


def test_a_check_with_two_workers_equals_one_with_one(one_day_store):
    with Store.open(one_day_store) as store:
        with worker_pool(1):
            one = run_check(store, screening=False, persist=False)
        with worker_pool(2, min_items=1) as pool:
            two = run_check(store, screening=False, persist=False)
    assert pool.used >= 1  # the addresses were parsed in the workers
    assert "DM-AGG" in set(one.findings["rule_id"].to_pylist())
    assert one.findings.equals(two.findings)
    assert one.decisions.equals(two.decisions)
    assert one.line_duty.equals(two.line_duty)
