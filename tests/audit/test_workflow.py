"""The stored workflow end to end through the CLI on a real store: new, plan, sample, record (CSV and
Excel), evaluate, report; every step logged; results reproducible from the recorded seed."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from parcelaudit.audit.evaluate import evaluate_audit
from parcelaudit.audit.lifecycle import new_audit
from parcelaudit.audit.plan import plan_audit
from parcelaudit.audit.projection import StratumSample, project_stratified
from parcelaudit.audit.results import record_results, sampled_results
from parcelaudit.audit.results_sheet import read_results_file
from parcelaudit.audit.sampling import sample_audit, sample_items
from parcelaudit.audit.steplog import steps
from parcelaudit.cli import app
from parcelaudit.errors import ParcelAuditError
from parcelaudit.store import Store
from tests.audit.conftest import END, IMPORTER, START

runner = CliRunner()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _fill_sheet(sheet_path, prices: dict[str, float], undervalued: set[str]) -> list[dict]:
    with sheet_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["item_id"] in undervalued:
            row["corrected_value"] = f"{prices[row['item_id']]:.2f}"
            row["notes"] = '=HYPERLINK("http://x") price paid on the order'
        else:
            row["result"] = "correct"
    with sheet_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_full_workflow_through_the_cli(books, db, tmp_path):
    _cli(
        "audit",
        "new",
        IMPORTER,
        "--from",
        str(START),
        "--to",
        str(END),
        "--id",
        "A-T1",
        "--db",
        str(db),
        "--by-user",
        "alice",
    )
    _cli("audit", "plan", "A-T1", "--sample-size", "120", "--db", str(db), "--by-user", "alice")
    sheet = tmp_path / "sheet.csv"
    _cli(
        "audit", "sample", "A-T1", "--seed", "12345", "--out", str(sheet), "--db", str(db), "--by-user", "bob"
    )
    with Store.open(db) as store:
        prices = dict(
            store.fetch("SELECT s.shipment_id, o.unit_price FROM shipments s JOIN orders o USING (order_id)")
        )
    _fill_sheet(sheet, prices, set(books["planted"]["undervalued"]))
    out = _cli("audit", "record", "A-T1", str(sheet), "--db", str(db), "--by-user", "carol")
    assert "0 sampled items still without a result" in out
    out = _cli("audit", "evaluate", "A-T1", "--db", str(db), "--by-user", "carol")
    assert "demand" in out
    report_dir = tmp_path / "report"
    out = _cli("audit", "report", "A-T1", "--out", str(report_dir), "--db", str(db))
    html, pdf, xlsx = (
        report_dir / "audit_A-T1.html",
        report_dir / "audit_A-T1.pdf",
        report_dir / "audit_A-T1_workpaper.xlsx",
    )
    assert html.exists() and pdf.stat().st_size > 10_000 and xlsx.exists()

    assert "evaluate" in _cli("audit", "status", "A-T1", "--db", str(db))
    recon = tmp_path / "recon"
    _cli(
        "audit",
        "reconcile",
        IMPORTER,
        "--from",
        str(START),
        "--to",
        str(END),
        "--out",
        str(recon),
        "--db",
        str(db),
    )
    with (recon / "orders_never_shipped.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) >= len(books["planted"]["never_shipped"])
    with Store.open(db) as store:
        log = steps(store, "A-T1")
        assert [s["step"] for s in log] == ["new", "plan", "sample", "record", "evaluate", "report"]
        assert [s["actor"] for s in log[:5]] == ["alice", "alice", "bob", "carol", "carol"]
        assert log[2]["parameters"]["seed"] == 12345 and log[0]["parameters"]["importer"] == IMPORTER
        assert all(s["acted_at"] is not None for s in log)
        items = sampled_results(store, "A-T1").to_pylist()
        strata = store.query(
            "SELECT * FROM audit_strata WHERE audit_id = 'A-T1' ORDER BY stratum"
        ).to_pylist()
        detail = evaluate_audit(store, "A-T1", actor="carol")
    # The stored projection equals a direct computation from the tested items.
    samples = [
        StratumSample(
            [i["book_duty"] for i in items if i["stratum"] == s["stratum"]],
            [i["audited_duty"] for i in items if i["stratum"] == s["stratum"]],
            s["population"],
            s["duty_total"],
        )
        for s in strata
    ]
    direct = project_stratified(samples, "difference", 0.90)
    assert detail["loss"]["0.90"]["point"] == pytest.approx(-direct.point)
    assert detail["demand"] == pytest.approx(max(detail["loss"]["0.90"]["lower"], 0))
    planted = set(books["planted"]["undervalued"])
    owing = [i for i in items if i["item_id"] in planted and i["entry_type"] == "11"]
    assert owing and all(i["audited_duty"] > i["book_duty"] for i in owing)  # seed 12345 samples some
    assert detail["loss"]["0.90"]["point"] > 0
    assert sum(1 for i in items if i["in_error"]) >= 1
    c = detail["compliance"]
    assert c["lower"] <= c["rate"] <= c["upper"] <= 1

    import pypdfium2

    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(str(pdf)))
    assert "Demand" in text and "1592(c)" in text and "reconciliation" in text.lower()
    book = load_workbook(xlsx)
    assert {"Summary", "Steps", "Sample", "Test results", "Computations", "Reconciliation"} <= set(
        book.sheetnames
    )
    column = [c.value for c in book["Test results"][1]].index("notes")
    notes = [r[column] for r in book["Test results"].iter_rows(min_row=2, values_only=True) if r[column]]
    assert notes and all(n.startswith("'=") for n in notes)


def test_sample_is_reproducible_from_its_seed(db):
    with Store.open(db) as store:
        first = new_audit(store, IMPORTER, START, END, actor="t")
        second = new_audit(store, IMPORTER, START, END, actor="t")
        chosen = []
        for audit_id in (first, second):
            plan_audit(store, audit_id, sample_size=40, actor="t")
            sample_audit(store, audit_id, seed=99, generator="ratstats", spares=2, actor="t")
            chosen.append(sample_items(store, audit_id, include_spares=True)["item_id"].to_pylist())
    assert chosen[0] == chosen[1] and len(chosen[0]) >= 40


def test_results_from_excel_and_user_errors(db, tmp_path):
    with Store.open(db) as store:
        audit_id = new_audit(store, IMPORTER, START, END, actor="t")
        with pytest.raises(ParcelAuditError, match="run `audit plan` first"):
            sample_audit(store, audit_id)
        plan_audit(store, audit_id, sample_size=20, actor="t")
        sample_audit(store, audit_id, seed=5, actor="t")
        with pytest.raises(ParcelAuditError, match="run `audit record` first"):
            evaluate_audit(store, audit_id)
        items = sample_items(store, audit_id).to_pylist()
        book = Workbook()
        sheet = book.active
        sheet.append(["item_id", "corrected_value", "corrected_origin", "duty_free", "notes"])
        for item in items:
            sheet.append([item["item_id"], item["book_value"] * 2, "vn", "no", "checked"])
        path = tmp_path / "results.xlsx"
        book.save(path)
        rows = read_results_file(path)
        assert rows[0]["corrected_origin"] == "VN" and rows[0]["duty_free"] is False
        summary = record_results(store, audit_id, rows, actor="t")
        assert summary["outstanding"] == 0 and summary["in_error"] == len(items)
        with pytest.raises(ParcelAuditError, match="not in the sample"):
            record_results(store, audit_id, [{"item_id": "NOPE"}], actor="t")
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,corrected_value\nPX000001,abc\n", encoding="utf-8")
    with pytest.raises(ParcelAuditError, match="not a number") as error:
        read_results_file(bad)
    assert "row 2" in str(error.value) and "corrected_value" in str(error.value)


def test_cli_user_error_is_one_line_exit_2(db):
    result = subprocess.run(
        [sys.executable, "-m", "parcelaudit.cli", "audit", "plan", "NO-SUCH", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "no audit 'NO-SUCH'" in result.stderr and "Traceback" not in result.stderr


def test_line_audit_rates_corrected_lines(db):
    with Store.open(db) as store:
        audit_id = new_audit(
            store, IMPORTER, START, END, unit="line", filters={"entry_type": "11"}, actor="t"
        )
        summary = plan_audit(store, audit_id, sample_size=30, actor="t")
        assert summary["population"] == store.scalar(
            "SELECT count(*) FROM lines JOIN shipments USING (shipment_id) WHERE seller_name = ? AND entry_type = '11'"
            " AND arrival_date BETWEEN ? AND ?",
            [IMPORTER, START, END],
        )
        sample_audit(store, audit_id, seed=8, actor="t")
        items = sample_items(store, audit_id).to_pylist()
        assert all(i["item_id"] == f"{i['shipment_id']}#{i['line_no']}" for i in items)
        rows = [{"item_id": i["item_id"], "corrected_value": i["book_value"] * 1.5} for i in items]
        record_results(store, audit_id, rows, actor="t")
        results = {r["item_id"]: r for r in sampled_results(store, audit_id).to_pylist()}
        for item in items:
            # Same HTS and origin: duty owed scales with the corrected value.
            assert results[item["item_id"]]["audited_duty"] == pytest.approx(
                item["book_duty"] * 1.5, abs=0.02
            )
        detail = evaluate_audit(store, audit_id, method="ratio", demand="point", actor="t")
    assert detail["demand"] == pytest.approx(detail["loss"]["0.90"]["point"])
    assert detail["loss"]["0.90"]["point"] == pytest.approx(0.5 * detail["population"]["duty_paid"], rel=0.02)
