"""`parcelaudit store migrate|info|copy` across engines: a copy is proven by row counts and checksums."""

from __future__ import annotations

import pytest

from parcelaudit.store import open_store
from parcelaudit.store.transfer import table_checksum
from tests.support import cli, generated_store

pytestmark = pytest.mark.store


def test_copy_duckdb_to_postgresql_and_back_keeps_every_row(both_targets, tmp_path):
    source, pg = both_targets
    generated_store(tmp_path, source, parcels=300)
    there = cli("store", "copy", source, pg, cwd=tmp_path)
    assert there.returncode == 0, there.stderr
    assert "row counts and checksums equal" in there.stdout
    back = tmp_path / "back.duckdb"
    again = cli("store", "copy", pg, str(back), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with open_store(source, read_only=True) as first, open_store(back) as last:
        assert first.counts() == last.counts()
        assert first.counts()["shipments"] == 300
        for table in ("shipments", "lines", "imports"):
            assert table_checksum(first, table) == table_checksum(last, table)
        # the sequences moved too: the next import gets a new id
        assert last.next_id("import_id_seq") > max(r[0] for r in first.fetch("SELECT import_id FROM imports"))


def test_a_changed_value_changes_the_checksum(target):
    with open_store(target) as store:
        store.execute(
            "INSERT INTO payments (payment_id, amount, row_hash, import_id) VALUES ('p1', 1.5, 'h', 1)"
        )
        store.execute(
            "INSERT INTO payments (payment_id, amount, row_hash, import_id) VALUES ('p2', 2.5, 'h', 1)"
        )
        before = table_checksum(store, "payments")
        store.execute("UPDATE payments SET amount = 2.25 WHERE payment_id = 'p2'")
        after = table_checksum(store, "payments")
    assert before[0] == after[0] == 2
    assert before[1] != after[1]


def test_copy_refuses_a_destination_that_holds_rows(target, tmp_path):
    source = tmp_path / "source.duckdb"
    open_store(source).close()
    with open_store(target) as store:
        store.execute(
            "INSERT INTO payments (payment_id, amount, row_hash, import_id) VALUES ('p1', 1, 'h', 1)"
        )
    result = cli("store", "copy", str(source), target, cwd=tmp_path)
    assert result.returncode == 2
    assert "already holds rows (payments)" in result.stderr


def test_info_names_the_engine_and_counts_and_refuses_a_missing_store(target, tmp_path):
    missing = cli("store", "info", "--db", target, cwd=tmp_path)
    assert missing.returncode == 2 and "no store" in missing.stderr
    migrated = cli("store", "migrate", "--db", target, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    shown = cli("store", "info", "--db", target, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    engine = "postgresql" if target.startswith("postgresql://") else "duckdb"
    assert f"engine: {engine}" in shown.stdout
    assert "schema_migrations" in shown.stdout and "shipments" in shown.stdout


def test_a_password_in_a_store_url_is_never_printed(pg_target, tmp_path):
    from urllib.parse import urlsplit

    parts = urlsplit(pg_target)
    with_password = pg_target.replace(f"//{parts.netloc}", f"//nobody:s3cret@{parts.netloc}", 1)
    result = cli("store", "info", "--db", with_password, cwd=tmp_path)
    assert result.returncode == 2
    assert "s3cret" not in result.stdout + result.stderr and "***" in result.stderr
