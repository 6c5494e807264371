"""The store: migrations are versioned and applied once; transactions are all or nothing (on the engine the
suite runs on)."""

from __future__ import annotations

import pytest

from parcelaudit.errors import StoreError
from parcelaudit.store import Store, available_migrations


def test_migrations_apply_once_in_order(store_target):
    with Store.open(store_target) as store:
        newest = available_migrations(store.engine)[-1][0]
        assert store.schema_version() == newest
        assert store.migrate() == []
    with Store.open(store_target) as store:
        versions = [r[0] for r in store.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [v for v, _, _ in available_migrations(store.engine)]


def test_a_store_from_a_newer_version_is_refused(store_target):
    with Store.open(store_target) as store:
        store.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now())")
    with pytest.raises(StoreError, match="newer ParcelAudit"):
        Store.open(store_target)


def test_transaction_rolls_back_on_error(store_target):
    with Store.open(store_target) as store:
        with pytest.raises(RuntimeError), store.transaction() as inside:
            inside.execute(
                "INSERT INTO imports VALUES (1, 'f', 'h', 'csv', 'shipments', now(), now(), 1, 1, 0, 0, '{}')"
            )
            assert inside.scalar("SELECT count(*) FROM imports") == 1
            raise RuntimeError("boom")
        assert store.scalar("SELECT count(*) FROM imports") == 0


def test_read_only_open_of_a_missing_store_is_a_clear_error(store_target):
    with pytest.raises(StoreError, match="no store"):
        Store.open(store_target, read_only=True)
