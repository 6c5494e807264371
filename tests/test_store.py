"""The store: migrations are versioned and applied once; transactions are all or nothing."""

from __future__ import annotations

import pytest

from parcelaudit.errors import StoreError
from parcelaudit.store import Store, available_migrations


def test_migrations_apply_once_in_order(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        newest = available_migrations()[-1][0]
        assert store.schema_version() == newest
        assert store.migrate() == []
    with Store.open(path) as store:
        versions = [
            r[0] for r in store.con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        ]
        assert versions == [v for v, _, _ in available_migrations()]


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.con.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now())")
    with pytest.raises(StoreError, match="newer ParcelAudit"):
        Store.open(path)


def test_transaction_rolls_back_on_error(tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction() as con:
            con.execute(
                "INSERT INTO imports VALUES (1, 'f', 'h', 'csv', 'shipments', now(), now(), 1, 1, 0, 0, '{}')"
            )
            raise RuntimeError("boom")
        assert store.con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_read_only_open_of_a_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no store"):
        Store.open(tmp_path / "absent.duckdb", read_only=True)
