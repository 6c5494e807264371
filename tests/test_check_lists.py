"""Issue 13 items 4 and 6 in the check: a run records the list snapshots it screened against, and honours
analysts' dispositions (a false positive on an unchanged list entry is no SCREEN-* finding)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json

import pytest
import typer
from typer.testing import CliRunner

from parcelaudit.commands import check as check_commands
from parcelaudit.errors import ParcelAuditError
from parcelaudit.pipeline import evaluate, run_check
from parcelaudit.reports.check_outputs import write_outputs
from parcelaudit.store import Store
from tests.rules.builders import parcels
from tests.rules.store_support import store_file

screening = pytest.importorskip("parcelaudit.screening")
from parcelaudit.screening.dispositions import load_dispositions, record_disposition  # noqa: E402

LISTED = "Xinjiang Daqo New Energy Co., Ltd."


def _screened_rules(findings) -> list[str]:
    return sorted(r for r in findings["rule_id"].to_pylist() if r.startswith("SCREEN-"))


@pytest.fixture
def store_path(store_target):
    shipments, lines = parcels({"seller_name": LISTED, "seller_country": "CN"}, {})
    return store_file(store_target, shipments, lines)


@pytest.fixture
def false_positive(tmp_path):
    """A dispositions CSV holding one analyst's false-positive decision on the listed seller's hit."""
    screener = screening.Screener(screening.load_bundled_lists())
    hit = screener.screen(LISTED, "CN")[0]
    path = tmp_path / "dispositions.csv"
    record_disposition(path, LISTED, hit.entry, "false_positive", "different company, checked", "analyst")
    return path, hit.entry


def test_a_check_run_stores_and_shows_the_list_snapshots_it_used(store_path, tmp_path):
    with Store.open(store_path) as store:
        result = run_check(store)
        paths = write_outputs(result, tmp_path / "out", store=store)
        stored = store.fetch(
            "SELECT list, source, sha256, entries FROM check_list_snapshots WHERE run_id = ? ORDER BY list",
            [result.run_id],
        )
    expected = sorted((s["list"], s["source"], s["sha256"], s["entries"]) for s in result.list_snapshots)
    assert stored == expected and any(row[0] == "UFLPA" and len(row[2]) == 64 for row in stored)
    manifest = json.loads(next(p for p in paths if p.name == "manifest.json").read_text(encoding="utf-8"))
    assert [s["sha256"] for s in manifest["list_snapshots"]] == [s["sha256"] for s in result.list_snapshots]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    uflpa = next(s for s in result.list_snapshots if s["list"] == "UFLPA")
    assert uflpa["sha256"] in html and (uflpa["snapshot_date"] or "unknown") in html


def test_an_existing_store_gains_the_list_snapshot_table(store_target):
    with Store.open(store_target) as store:
        store.execute("DROP TABLE check_list_snapshots")
        store.execute("DELETE FROM schema_migrations WHERE version = 58")
    with Store.open(store_target) as store:
        assert store.fetch("SELECT count(*) FROM check_list_snapshots") == [(0,)]


def test_a_false_positive_is_no_finding_while_its_entry_is_unchanged(store_path, false_positive):
    path, _ = false_positive
    with Store.open(store_path) as store:
        plain = run_check(store, persist=False)
        decided = run_check(store, persist=False, dispositions=path)
    assert _screened_rules(plain.findings) == ["SCREEN-UFLPA"]
    assert _screened_rules(decided.findings) == []
    assert {r["shipment_id"]: r["decision"] for r in decided.decisions.to_pylist()}["S1"] != "hold"


def test_the_finding_comes_back_when_the_list_entry_changes(false_positive):
    path, entry = false_positive
    lists = screening.load_bundled_lists()
    changed = [
        dataclasses.replace(
            lst,
            entries=[
                dataclasses.replace(e, remarks=(e.remarks or "") + " amended") if e == entry else e
                for e in lst.entries
            ],
        )
        for lst in lists
    ]
    shipments, lines = parcels({"seller_name": LISTED, "seller_country": "CN"})
    decided = load_dispositions(path)
    same = evaluate(shipments, lines, screener=screening.Screener(lists), dispositions=decided)
    amended = evaluate(shipments, lines, screener=screening.Screener(changed), dispositions=decided)
    assert _screened_rules(same.findings) == []
    assert _screened_rules(amended.findings) == ["SCREEN-UFLPA"]


def test_cli_check_takes_dispositions(store_path, false_positive, tmp_path):
    path, _ = false_positive
    app = typer.Typer()
    check_commands.register(app)
    out = tmp_path / "cli-out"
    args = ["check", "--db", str(store_path), "--out", str(out), "--dispositions", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with (out / "findings.csv").open(encoding="utf-8") as handle:
        assert not [r for r in csv.DictReader(handle) if r["rule_id"].startswith("SCREEN-")]
    missing = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "none.csv")])
    # The bare app has no error printer (cli.py has): the ParcelAuditError itself says what is wrong.
    assert missing.exit_code != 0 and isinstance(missing.exception, ParcelAuditError)
    assert "dispositions file not found" in str(missing.exception)


def test_a_run_records_the_dispositions_it_applied_and_explain_shows_them(
    store_path, false_positive, tmp_path
):
    # Issue 13 items 4 and 6: which dispositions file (SHA-256) a run applied, and the lists it screened
    # against, are stored with the run and shown by `explain`.
    path, _ = false_positive
    app = typer.Typer()
    check_commands.register(app)
    with Store.open(store_path) as store:
        plain = run_check(store)
        decided = run_check(store, dispositions=path)
        rows = store.fetch("SELECT run_id, source, sha256, decisions FROM check_dispositions")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert rows == [(decided.run_id, str(path.resolve()), digest, 1)]
    assert plain.run_id != decided.run_id
    shown = CliRunner().invoke(app, ["explain", "S1", "--db", str(store_path)], terminal_width=400)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert f"Lists screened against in check run {decided.run_id}" in text
    assert f"sha256 {digest}, 1 decisions" in text
    uflpa = next(s for s in decided.list_snapshots if s["list"] == "UFLPA")
    assert f"sha256 {uflpa['sha256']}" in text
