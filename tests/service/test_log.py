"""The tamper-evident log: intact logs verify; any edited, removed, reordered or re-chained entry is named."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from parcelaudit.service import ledger, load_settings, queue
from parcelaudit.service.accounts import User
from parcelaudit.store import is_url, open_store
from tests.service.conftest import prepare_store
from tests.support import cli


@pytest.fixture
def logged(store_target, checked_template, tmp_path):
    """A store whose log holds a refresh and 12 decisions (checkpoints every 5 entries); returns (target,
    settings)."""
    prepare_store(store_target, checked_template)
    settings = load_settings(key_file=tmp_path / "log.key", checkpoint_every=5)
    ana, sue = User(2, "ana", "analyst"), User(4, "sue", "supervisor")
    with open_store(store_target) as store:
        queue.refresh(store, settings)
        items, _ = (
            store.fetch("SELECT item_id FROM wb_items WHERE kind = 'review' ORDER BY item_id LIMIT 6"),
            None,
        )
        for (item_id,) in items:
            queue.decide(store, settings, ana, item_id, "release", 'paperwork <b>fine</b> & "quoted"')
            queue.reopen(store, settings, sue, item_id, "second look")
        assert ledger.verify_store(store, ledger.load_key(settings.key_file)).ok
    return store_target, settings


@contextmanager
def tampering(target: str) -> Iterator:
    """The store as someone with the owner's rights sees it: on PostgreSQL the append-only triggers are
    switched off first (the server refuses the edit otherwise), so the chain and checkpoints must catch it."""
    with open_store(target) as store:
        guarded = store.engine == "postgresql"
        for table in ("wb_log", "wb_checkpoints") if guarded else ():
            store.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield store
        for table in ("wb_log", "wb_checkpoints") if guarded else ():
            store.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _verify(target: str, settings) -> ledger.Verdict:
    with open_store(target) as store:
        return ledger.verify_store(store, ledger.load_key(settings.key_file))


def test_an_intact_log_verifies_in_the_store_and_exported(logged, tmp_path):
    target, settings = logged
    verdict = _verify(target, settings)
    assert verdict.ok and verdict.entries == 13 and verdict.checkpoints == 2 and verdict.signed == 2
    out = tmp_path / "log.jsonl"
    key = ["--key-file", str(settings.key_file)]
    exported = cli("log", "export", "--out", str(out), "--db", target, *key, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[1])["entry"]
    assert (
        first["action"].endswith("release")
        and first["payload"]["reason"] == 'paperwork <b>fine</b> & "quoted"'
    )
    assert (
        first["payload"]["lists"] and first["payload"]["policy"]["workbench_sha256"] == settings.policy_sha256
    )
    checked = cli("log", "verify", "--file", str(out), *key, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "13 entries, 3 checkpoint(s), 3 signature(s) checked" in checked.stdout
    in_store = cli("log", "verify", "--db", target, *key, cwd=tmp_path)
    assert in_store.returncode == 0, in_store.stderr


def test_an_edited_entry_in_the_store_is_named(logged, tmp_path):
    target, settings = logged
    with tampering(target) as store:
        payload = store.scalar("SELECT payload FROM wb_log WHERE seq = 4")
        store.execute(
            "UPDATE wb_log SET payload = ? WHERE seq = 4", [payload.replace('"reason":"', '"reason":"not ')]
        )
    verdict = _verify(target, settings)
    assert not verdict.ok and verdict.bad_seq == 4 and "does not match its hash" in verdict.problem
    result = cli("log", "verify", "--db", target, "--key-file", str(settings.key_file), cwd=tmp_path)
    assert result.returncode == 1 and "entry 4" in result.stderr


def test_an_edited_column_is_named(logged):
    target, settings = logged
    with tampering(target) as store:
        store.execute("UPDATE wb_log SET actor = 'mallory' WHERE seq = 6")
    verdict = _verify(target, settings)
    assert not verdict.ok and verdict.bad_seq == 6 and "actor" in verdict.problem


def test_a_removed_entry_is_named(logged):
    target, settings = logged
    with tampering(target) as store:
        store.execute("DELETE FROM wb_log WHERE seq = 7")
    verdict = _verify(target, settings)
    assert not verdict.ok and verdict.bad_seq == 7 and "missing" in verdict.problem


def test_a_cut_tail_is_caught_by_a_checkpoint(logged):
    target, settings = logged
    with tampering(target) as store:
        store.execute("DELETE FROM wb_log WHERE seq >= 9")
    verdict = _verify(target, settings)
    assert not verdict.ok and verdict.bad_seq == 10 and "cut short" in verdict.problem


def test_a_consistently_rechained_log_is_caught_by_the_signed_checkpoints(logged):
    """Whoever edits entry 3 and recomputes every later hash still cannot sign: the checkpoint at 5 says so,
    and rewriting the checkpoint's hash breaks its HMAC."""
    target, settings = logged
    with tampering(target) as store:
        rows = store.fetch("SELECT seq, payload, prev_hash FROM wb_log ORDER BY seq")
        prev = rows[1 - 1][2]
        for seq, payload, _ in rows:
            if seq == 3:
                payload = payload.replace('"reason":"', '"reason":"not ')
            if seq >= 3:
                store.execute(
                    "UPDATE wb_log SET payload = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?",
                    [payload, prev, ledger.entry_hash(prev, payload), seq],
                )
            prev = (
                ledger.entry_hash(prev, payload)
                if seq >= 3
                else store.scalar("SELECT entry_hash FROM wb_log WHERE seq = ?", [seq])
            )
    verdict = _verify(target, settings)
    assert not verdict.ok and verdict.bad_seq == 5 and "rewritten" in verdict.problem
    with tampering(target) as store:
        for seq, hash_ in store.fetch("SELECT seq, entry_hash FROM wb_log WHERE seq IN (5, 10)"):
            store.execute("UPDATE wb_checkpoints SET entry_hash = ? WHERE seq = ?", [hash_, seq])
    verdict = _verify(target, settings)
    assert not verdict.ok and verdict.bad_seq == 5 and "signature" in verdict.problem


def _export(target: str, settings, tmp_path: Path) -> Path:
    out = tmp_path / "log.jsonl"
    with open_store(target) as store:
        out.write_text("".join(line + "\n" for line in ledger.export_lines(store)), encoding="utf-8")
    return out


def test_an_edited_or_removed_line_of_an_export_is_named(logged, tmp_path):
    target, settings = logged
    out = _export(target, settings, tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines()
    edited = tmp_path / "edited.jsonl"
    record = json.loads(lines[2])
    record["entry"]["payload"]["reason"] = "nothing happened"
    edited.write_text("\n".join([*lines[:2], json.dumps(record), *lines[3:]]) + "\n", encoding="utf-8")
    result = cli("log", "verify", "--file", str(edited), "--key-file", str(settings.key_file), cwd=tmp_path)
    assert result.returncode == 1 and "entry 3" in result.stderr
    removed = tmp_path / "removed.jsonl"
    removed.write_text("\n".join([*lines[:7], *lines[8:]]) + "\n", encoding="utf-8")
    result = cli("log", "verify", "--file", str(removed), "--key-file", str(settings.key_file), cwd=tmp_path)
    assert result.returncode == 1 and "entry 8" in result.stderr
    swapped = tmp_path / "swapped.jsonl"
    swapped.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n", encoding="utf-8")
    assert cli("log", "verify", "--file", str(swapped), cwd=tmp_path).returncode == 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text(lines[0] + "\n{not json\n", encoding="utf-8")
    result = cli("log", "verify", "--file", str(broken), cwd=tmp_path)
    assert result.returncode == 2 and "row 2" in result.stderr


def test_audit_steps_run_from_the_command_line_reach_the_log(logged, tmp_path):
    target, settings = logged
    from parcelaudit.audit.lifecycle import new_audit

    with open_store(target) as store:
        seller = store.scalar(
            "SELECT seller_name FROM shipments GROUP BY seller_name ORDER BY count(*) DESC LIMIT 1"
        )
        low, high = store.fetch_one("SELECT min(arrival_date), max(arrival_date) FROM shipments")
        audit_id = new_audit(store, seller, low, high, actor="auditor-1")
        queue.refresh(store, settings)
        entries = store.fetch("SELECT actor, action, subject FROM wb_log WHERE subject LIKE 'audit:%'")
    assert entries == [("auditor-1", "audit_new", f"audit:{audit_id}#1")]
    assert _verify(target, settings).ok


PG_URL = "postgresql://127.0.0.1:5432/test"


def test_postgresql_refuses_updates_and_deletes_of_the_log(tmp_path):
    """The PostgreSQL migration's triggers, run on the real server: UPDATE, DELETE and TRUNCATE raise."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    probe = subprocess.run(
        [psql, "-h", "127.0.0.1", "-d", "test", "-Atc", "SELECT 1"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 db test: {probe.stderr.strip()}")
    from parcelaudit.store.base import MIGRATIONS_DIR

    schema = f"wb_guard_{tmp_path.name[-8:].replace('-', '_').lower()}"
    guard = (MIGRATIONS_DIR / "0076_workbench_log_guard.postgresql.sql").read_text(encoding="utf-8")
    script = f"""
        DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema};
        CREATE TABLE wb_log (seq BIGINT PRIMARY KEY, payload VARCHAR);
        CREATE TABLE wb_checkpoints (seq BIGINT PRIMARY KEY, signature VARCHAR);
        {guard}
        INSERT INTO wb_log VALUES (1, 'a'), (2, 'b');
        INSERT INTO wb_checkpoints VALUES (2, 's');
    """

    def run(sql: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                psql,
                "-h",
                "127.0.0.1",
                "-d",
                "test",
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                f"SET search_path TO {schema}; {sql}",
            ],
            capture_output=True,
            text=True,
        )

    setup = subprocess.run(
        [psql, "-h", "127.0.0.1", "-d", "test", "-v", "ON_ERROR_STOP=1", "-c", script],
        capture_output=True,
        text=True,
    )
    try:
        assert setup.returncode == 0, setup.stderr
        for statement in (
            "UPDATE wb_log SET payload = 'x' WHERE seq = 1",
            "DELETE FROM wb_log WHERE seq = 2",
            "TRUNCATE wb_log",
            "UPDATE wb_checkpoints SET signature = 'x'",
            "DELETE FROM wb_checkpoints",
        ):
            refused = run(statement)
            assert refused.returncode != 0 and "append-only" in refused.stderr, statement
        assert run("INSERT INTO wb_log VALUES (3, 'c')").returncode == 0
        assert run("SELECT count(*) FROM wb_log").stdout.split() == ["SET", "3"]
    finally:
        run(f"DROP SCHEMA {schema} CASCADE")


def test_engine_note():
    """On DuckDB (no triggers) the store cannot refuse an UPDATE; the chain and checkpoints make it evident
    instead (tests above). This checks the note in the docs stays true to the migration files."""
    from parcelaudit.store import available_migrations

    duck = {name: path for _, name, path in available_migrations("duckdb")}
    pg = {name: path for _, name, path in available_migrations("postgresql")}
    assert "CREATE TRIGGER" in pg["workbench_log_guard"].read_text(encoding="utf-8")
    # DuckDB's file of that version only keeps the engines' schema versions equal (store copy needs them so).
    assert "TRIGGER" not in duck["workbench_log_guard"].read_text(encoding="utf-8").upper().replace(
        "TRIGGERS", ""
    )
    assert not is_url("store.duckdb")
