"""Audit integrity (issue 17, issue 18 #4 and #6, issue 11 #6): append-only steps and versions, validated
results, exact seeds and hashes in the log, finding the importer, list/show/discard, confined output
paths and hostile results workbooks. Everything on a real store through the library or the CLI."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from parcelaudit.audit.evaluate import evaluate_audit
from parcelaudit.audit.lifecycle import discard_audit, get_audit, list_audits, new_audit, open_version
from parcelaudit.audit.plan import plan_audit
from parcelaudit.audit.results import record_results, sampled_results
from parcelaudit.audit.results_sheet import read_results_file
from parcelaudit.audit.sampling import sample_audit, sample_items
from parcelaudit.audit.steplog import steps
from parcelaudit.cli import app
from parcelaudit.errors import ParcelAuditError
from parcelaudit.hashing import file_sha256
from parcelaudit.reports.audit_report import confined
from parcelaudit.store import Store
from tests.audit.conftest import END, IMPORTER, START
from tests.support import store_as_of

runner = CliRunner()


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _fail(*args: str) -> str:
    """Run a command that must fail with a user error (the CLI prints it as one line, exit 2)."""
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, ParcelAuditError), result.output
    assert "\n" not in str(result.exception)
    return str(result.exception)


def _sheet_rows(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_sheet(path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _sampled(store, n: int = 20, seed: int = 5) -> str:
    audit_id = new_audit(store, IMPORTER, START, END, actor="t")
    plan_audit(store, audit_id, sample_size=n, actor="t")
    sample_audit(store, audit_id, seed=seed, actor="t")
    return audit_id


def test_end_to_end_resample_refused_version_two_and_both_results_readable(db, tmp_path):
    base = ["--db", str(db), "--by-user", "alice"]
    _run("audit", "new", IMPORTER, "--from", str(START), "--to", str(END), "--id", "A-E2E", *base)
    _run("audit", "plan", "A-E2E", "--sample-size", "30", *base)
    sheet = tmp_path / "sheet.csv"
    _run("audit", "sample", "A-E2E", "--seed", "4242", "--out", str(sheet), *base)
    rows = _sheet_rows(sheet)
    assert {"description", "hts_code", "country_of_origin", "result", "reason"} <= set(rows[0])
    assert all(r["description"] and r["hts_code"] for r in rows)
    for row in rows:
        row["result"] = "correct"
    rows[0]["result"], rows[0]["corrected_value"] = "", f"{float(rows[0]['declared_value']) * 2:.2f}"
    _write_sheet(sheet, rows)
    _run("audit", "record", "A-E2E", str(sheet), *base)
    _run("audit", "evaluate", "A-E2E", *base)

    assert "audit version" in _fail("audit", "sample", "A-E2E", "--seed", "1", *base)
    assert "would discard" in _fail("audit", "plan", "A-E2E", *base)
    assert "evaluation" in _fail("audit", "record", "A-E2E", str(sheet), *base)

    out = _run("audit", "version", "A-E2E", "--reason", "sample sheet lost in the field", *base).output
    assert "A-E2E.v2" in out
    sheet2 = tmp_path / "sheet2.csv"
    _run("audit", "sample", "A-E2E", "--seed", "777", "--out", str(sheet2), *base)
    rows2 = _sheet_rows(sheet2)
    for row in rows2:
        row["result"] = "correct"
    _write_sheet(sheet2, rows2)
    _run("audit", "record", "A-E2E", str(sheet2), *base)
    _run("audit", "evaluate", "A-E2E", *base)
    # The old version is read-only but readable, with its own results.
    assert "superseded" in _fail("audit", "evaluate", "A-E2E.v1", *base)
    shown = _run("audit", "show", "A-E2E", "--db", str(db)).output
    assert "A-E2E.v1" in shown and "A-E2E.v2" in shown and "sample sheet lost" in shown
    with Store.open(db) as store:
        v1, v2 = get_audit(store, "A-E2E.v1"), get_audit(store, "A-E2E")
        assert (v1["version"], v2["version"]) == (1, 2) and v2["audit_id"] == "A-E2E.v2"
        first = sampled_results(store, v1["audit_id"]).to_pylist()
        second = sampled_results(store, v2["audit_id"]).to_pylist()
        assert len(first) == len(second) >= 30
        assert sum(1 for i in first if i["test"] == "error") == 1
        assert all(i["test"] == "correct" for i in second)
        # Version 2 re-sampled from the same plan with its own seed.
        assert [i["item_id"] for i in first] != [i["item_id"] for i in second]
        log1 = [s["step"] for s in steps(store, v1["audit_id"])]
        assert log1 == ["new", "plan", "sample", "record", "evaluate", "superseded"]
        assert [s["step"] for s in steps(store, v2["audit_id"])] == [
            "version",
            "sample",
            "record",
            "evaluate",
        ]
    report = tmp_path / "report"
    _run("audit", "report", "A-E2E.v1", "--out", str(report), "--db", str(db))
    _run("audit", "report", "A-E2E", "--out", str(report), "--db", str(db))
    assert (report / "audit_A-E2E.pdf").exists() and (report / "audit_A-E2E.v2.pdf").exists()


def test_seed_is_recorded_exactly_with_generator_version_and_hashes(db, tmp_path):
    sheet = tmp_path / "sheet.csv"
    with Store.open(db) as store:
        audit_id = new_audit(store, IMPORTER, START, END, actor="t")
        plan_audit(store, audit_id, sample_size=20, actor="t")
        result = sample_audit(store, audit_id, actor="t", sheet=sheet)
        log = steps(store, audit_id)
        drawn = sample_items(store, audit_id)["item_id"].to_pylist()
    sample = log[-1]
    seed = sample["parameters"]["seed"]
    assert isinstance(seed, int) and seed == result["seed"] and sample["parameters"]["seed_given"] is False
    assert sample["parameters"]["generator"] == "pcg64"
    assert "NumPy" in sample["parameters"]["generator_version"]
    assert sample["outputs"][str(sheet)] == file_sha256(sheet)
    assert len(log[1]["outputs"]["audit_population"]) == 64  # the plan's frame is hashed
    # The recorded seed redraws the same sample in a fresh audit.
    with Store.open(db) as store:
        again = new_audit(store, IMPORTER, START, END, actor="t")
        plan_audit(store, again, sample_size=20, actor="t")
        sample_audit(store, again, seed=seed, actor="t")
        assert sample_items(store, again)["item_id"].to_pylist() == drawn
    # The CLI prints the seed exactly (not 8.97235e+08) and refuses a fractional pcg64 seed.
    _run("audit", "new", IMPORTER, "--from", str(START), "--to", str(END), "--id", "A-S", "--db", str(db))
    _run("audit", "plan", "A-S", "--sample-size", "10", "--db", str(db))
    out = _run("audit", "sample", "A-S", "--seed", "897234561", "--db", str(db)).output
    assert "897234561" in out and "e+08" not in out
    with Store.open(db) as store:
        assert steps(store, "A-S")[-1]["parameters"]["seed"] == 897234561
    assert "whole number" in _fail("audit", "sample", "A-S", "--seed", "12.5", "--db", str(db))
    # Recording names the results file's hash.
    rows = _sheet_rows(sheet)
    for row in rows:
        row["result"] = "correct"
    _write_sheet(sheet, rows)
    with Store.open(db) as store:
        record_results(store, audit_id, read_results_file(sheet), actor="t", source=str(sheet))
        record = steps(store, audit_id)[-1]
    assert record["inputs"] == {str(sheet): file_sha256(sheet)} and "audit_results" in record["outputs"]


def test_blank_rows_are_untested_and_projections_say_how_they_were_treated(db, tmp_path):
    with Store.open(db) as store:
        audit_id = _sampled(store)
        items = sample_items(store, audit_id).to_pylist()
        blank = tmp_path / "blank.csv"
        blank.write_text(
            "item_id,result,corrected_value,reason\n" + "".join(f"{i['item_id']},,,\n" for i in items)
        )
        summary = record_results(store, audit_id, read_results_file(blank), actor="t")
        assert summary["tested"] == 0 and summary["not_tested"] == len(items) and summary["in_error"] == 0
        detail = evaluate_audit(store, audit_id, actor="t")
        assert (
            detail["untested"]["count"] == len(items)
            and "treated as errors" in detail["untested"]["statement"]
        )
        assert detail["compliance"]["rate"] == pytest.approx(0.0)
        with pytest.raises(ParcelAuditError, match="have no reason"):
            evaluate_audit(store, audit_id, untested="exclude", actor="t")

    with Store.open(db) as store:
        audit_id = _sampled(store, seed=6)
        items = sample_items(store, audit_id).to_pylist()
        rows = [{"item_id": i["item_id"], "result": "correct"} for i in items]
        rows[0] = {"item_id": items[0]["item_id"], "result": "not tested", "reason": "parcel destroyed"}
        record_results(store, audit_id, rows, actor="t")
        detail = evaluate_audit(store, audit_id, untested="exclude", actor="t")
        assert detail["untested"]["count"] == 1 and "excluded" in detail["untested"]["statement"]
        assert detail["compliance"]["rate"] == pytest.approx(1.0)
        assert detail["sample"]["items"] == len(items) - 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("item_id,corrected_value\nPX000001,nan\n", "out of range"),
        ("item_id,corrected_value\nPX000001,-5\n", "out of range"),
        ("item_id,audited_duty\nPX000001,1e12\n", "out of range"),
        ("item_id,result\nPX000001,maybe\n", "not a test result"),
        ("item_id,corrected_hts\nPX000001,shirt\n", "not an HTS number"),
        ("item_id,corrected_origin\nPX000001,China\n", "not a country code"),
        ("item_id,result\nPX000001,correct\nPX000001,error\n", "listed twice"),
        ("item_id,result\n", "lists no items"),
    ],
)
def test_results_values_are_checked(tmp_path, body, message):
    path = tmp_path / "results.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ParcelAuditError, match=message) as error:
        read_results_file(path)
    assert "\n" not in str(error.value)


def test_outcome_must_agree_with_the_corrections(db):
    with Store.open(db) as store:
        audit_id = _sampled(store)
        item = sample_items(store, audit_id).to_pylist()[0]
        doubled = item["book_value"] * 2
        cases = [
            ({"result": "correct", "corrected_value": doubled}, "marked correct"),
            ({"result": "error"}, "marked error"),
            ({"result": "not_tested", "corrected_value": doubled}, "marked not tested"),
        ]
        for extra, message in cases:
            with pytest.raises(ParcelAuditError, match=message):
                record_results(store, audit_id, [{"item_id": item["item_id"], **extra}], actor="t")
        with pytest.raises(ParcelAuditError, match="given twice"):
            record_results(
                store, audit_id, [{"item_id": item["item_id"], "result": "correct"}] * 2, actor="t"
            )


def test_unknown_importer_is_an_error_with_did_you_mean(db):
    near = IMPORTER.replace(",", "", 1)  # "Acme Trading Co. Ltd." - off by one comma
    with Store.open(db) as store, pytest.raises(ParcelAuditError, match="did you mean") as error:
        new_audit(store, near, START, END, actor="t")
    assert repr(IMPORTER) in str(error.value)
    for args in (
        ("audit", "new", near, "--from", str(START), "--to", str(END)),
        ("audit", "reconcile", near, "--from", str(START), "--to", str(END)),
    ):
        assert "did you mean" in _fail(*args, "--db", str(db))
    with Store.open(db) as store, pytest.raises(ParcelAuditError, match="no parcels arriving"):
        new_audit(store, IMPORTER, START.replace(year=2019), END.replace(year=2019), actor="t")
    out = _run("audit", "importers", "--like", "acme trading", "--db", str(db)).output
    assert "Acme Trading" in out and "2025-03-0" in out
    with Store.open(db) as store:
        parcels = store.scalar("SELECT count(*) FROM shipments WHERE seller_name = ?", [IMPORTER])
    assert f"{parcels:,}" in out
    assert "did you mean" in _fail("audit", "importers", "--like", "Acme Tradng", "--db", str(db))


def test_list_show_and_discard_keep_the_record(db):
    with Store.open(db) as store:
        kept = new_audit(store, IMPORTER, START, END, audit_id="A-KEEP", actor="t")
        gone = new_audit(store, IMPORTER, START, END, audit_id="A-GONE", actor="t")
        with pytest.raises(ParcelAuditError, match="needs a reason"):
            discard_audit(store, gone, "", actor="t")
        discard_audit(store, gone, "wrong period", actor="bob")
        with pytest.raises(ParcelAuditError, match="discarded by bob"):
            plan_audit(store, gone, sample_size=10, actor="t")
        assert {r["audit_id"] for r in list_audits(store)} == {kept, gone}
        assert {r["audit_id"] for r in list_audits(store, include_discarded=False)} == {kept}
        assert steps(store, gone)[-1]["step"] == "discard"
        with pytest.raises(ParcelAuditError, match="already exists"):
            new_audit(store, IMPORTER, START, END, audit_id="A-KEEP", actor="t")
    listed = _run("audit", "list", "--db", str(db)).output
    assert "A-KEEP" in listed and "A-GONE" in listed and "discarded" in listed
    shown = _run("audit", "show", "A-GONE", "--db", str(db)).output
    assert "discarded" in shown and "wrong period" in shown
    assert "did you mean 'A-KEEP'" in _fail("audit", "show", "A-KEPE", "--db", str(db))


@pytest.mark.parametrize("bad_id", ["../../../x", "a/b", "..", "A 1", "x.v2", ".hidden", ""])
def test_audit_ids_that_could_escape_the_output_folder_are_refused(db, bad_id, tmp_path):
    with Store.open(db) as store, pytest.raises(ParcelAuditError, match="not allowed"):
        new_audit(store, IMPORTER, START, END, audit_id=bad_id, actor="t")
    args = ("audit", "new", IMPORTER, "--from", str(START), "--to", str(END), "--id", bad_id)
    assert "not allowed" in _fail(*args, "--db", str(db))
    assert not list(tmp_path.parent.glob("x.*"))


def test_report_paths_stay_inside_the_folder(tmp_path):
    out = tmp_path / "out"
    assert confined(out, "audit_A-1.pdf") == (out / "audit_A-1.pdf").resolve()
    for name in ("audit_../../../x.pdf", "../x.pdf", "/etc/x.pdf", ".."):
        with pytest.raises(ParcelAuditError, match="outside"):
            confined(out, name)


def test_a_stored_id_with_a_path_is_never_written_outside(db, tmp_path):
    """An id stored before ids were validated (written straight into the table) cannot steer the report."""
    with Store.open(db) as store:
        audit_id = _sampled(store)
        rows = [
            {"item_id": i["item_id"], "result": "correct"} for i in sample_items(store, audit_id).to_pylist()
        ]
        record_results(store, audit_id, rows, actor="t")
        evaluate_audit(store, audit_id, actor="t")
        for table in (
            "audits",
            "audit_steps",
            "audit_population",
            "audit_strata",
            "audit_sample",
            "audit_results",
            "audit_evaluations",
        ):
            column = "base_id = '../../x', audit_id" if table == "audits" else "audit_id"
            store.execute(f"UPDATE {table} SET {column} = '../../x' WHERE audit_id = ?", [audit_id])
    assert "outside" in _fail(
        "audit", "report", "../../x", "--out", str(tmp_path / "r" / "s"), "--db", str(db)
    )
    assert not list(tmp_path.glob("**/x.*")) and not list(tmp_path.glob("**/audit_*"))


def _bomb(path) -> None:
    book = Workbook()
    book.active.append(["item_id", "result"])
    book.active.append(["PX000001", "correct"])
    book.save(path)
    entities = "".join(
        f'<!ENTITY e{i} "{"".join(f"&e{i - 1};" for _ in range(10)) if i else "lol"}">' for i in range(9)
    )
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    name = next(n for n, data in parts.items() if b"correct" in data)
    text = parts[name].decode()
    head, body = text.split("?>", 1) if "?>" in text else ("", text)
    doctype = f"<!DOCTYPE lolz [{entities}]>"
    parts[name] = ((head + "?>" if head else "") + doctype + body.replace("correct", "&e8;")).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_xlsx_entity_bomb_and_oversized_workbooks_are_one_line_errors(store_target, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _bomb(bomb)
    with pytest.raises(ParcelAuditError, match="declares a DOCTYPE/entities") as error:
        read_results_file(bomb)
    assert "\n" not in str(error.value)
    big = tmp_path / "big.xlsx"
    shutil.copy(bomb, big)
    with zipfile.ZipFile(big, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (65 * 1024 * 1024))
    with pytest.raises(ParcelAuditError, match="the limit is 64 MiB"):
        read_results_file(big)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParcelAuditError, match="xlsx"):
        read_results_file(broken)
    Store.open(store_target).close()  # an existing store: the bomb, not a mistyped --db, is what is refused
    assert "entities" in _fail("audit", "record", "A-1", str(bomb), "--db", store_target)


def _old_audit(store: Store) -> None:
    store.execute(
        "INSERT INTO audits VALUES ('A-OLD', 'seller_name', 'X', DATE '2025-01-01', DATE '2025-02-01', 'parcel', "
        "'{}', 'recorded', 'me', now())"
    )
    store.execute(
        "INSERT INTO audit_results VALUES ('A-OLD', 'P1', NULL, NULL, NULL, NULL, 1.0, true, NULL, 'me', now())"
    )
    store.execute(
        "INSERT INTO audit_steps VALUES ('A-OLD', 1, 'new', 'me', now(), ?, '{}')",
        [json.dumps({"seed": None})],
    )


def test_a_store_from_before_versions_upgrades(store_target):
    """A store written with the audit schema before issue 17 (migrations up to 0050) opens, and its audit
    becomes version 1 with its results' outcomes taken from in_error."""
    path = store_as_of(store_target, 50, _old_audit)
    with Store.open(path) as store:
        audit = get_audit(store, "A-OLD")
        assert (audit["version"], audit["base_id"]) == (1, "A-OLD")
        assert store.scalar("SELECT test FROM audit_results") == "error"
        assert steps(store, "A-OLD")[0]["outputs"] == {}
        assert open_version(store, "A-OLD", "upgrade check", actor="t")["audit_id"] == "A-OLD.v2"


def test_a_result_recorded_again_keeps_the_earlier_one(db):
    with Store.open(db) as store:
        audit_id = _sampled(store)
        item = sample_items(store, audit_id).to_pylist()[0]
        record_results(store, audit_id, [{"item_id": item["item_id"], "result": "correct"}], actor="ann")
        value = item["book_value"] * 3
        summary = record_results(
            store, audit_id, [{"item_id": item["item_id"], "corrected_value": value}], actor="bo"
        )
        assert summary["replaced"] == 1
        history = store.fetch(
            "SELECT test, recorded_by, replaced_by FROM audit_result_history WHERE audit_id = ?", [audit_id]
        )
        current = store.fetch("SELECT test FROM audit_results WHERE audit_id = ?", [audit_id])
    assert history == [("correct", "ann", "bo")] and current == [("error",)]
