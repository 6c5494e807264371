"""The Excel workpaper re-performs the projection: its formulas, recomputed by LibreOffice headless, give
the library's figures; amounts carry currency and rates percentage formats; the steps sheet is a table
with the inputs' hashes; the sample sheet shows what each item is tested against."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from parcelaudit.audit.evaluate import evaluate_audit
from parcelaudit.audit.lifecycle import new_audit
from parcelaudit.audit.plan import plan_audit
from parcelaudit.audit.results import record_results
from parcelaudit.audit.sampling import sample_audit, sample_items
from parcelaudit.reports.audit_report import build_context
from parcelaudit.reports.audit_workpaper import USD, write_workpaper
from parcelaudit.store import Store
from tests.audit.conftest import END, IMPORTER, START

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-calc; .ci/run installs it)",
)


def _audit(store, method: str, untested: int = 0, *, sample_size: int = 40, seed: int = 11) -> dict:
    audit_id = new_audit(store, IMPORTER, START, END, actor="t")
    plan_audit(store, audit_id, sample_size=sample_size, actor="t")
    sample_audit(store, audit_id, seed=seed, actor="t")
    rows = []
    for n, item in enumerate(sample_items(store, audit_id).to_pylist()):
        if n < untested:
            rows.append({"item_id": item["item_id"], "result": "not tested", "reason": "parcel lost"})
        elif n % 3 == 0:
            rows.append({"item_id": item["item_id"], "corrected_value": round(item["book_value"] * 1.7, 2)})
        elif n % 7 == 0:
            rows.append({"item_id": item["item_id"], "corrected_origin": "VN", "duty_free": False})
        else:
            rows.append({"item_id": item["item_id"], "result": "correct"})
    record_results(store, audit_id, rows, actor="t")
    evaluate_audit(store, audit_id, method=method, untested="exclude" if untested else "error", actor="t")
    return build_context(store, audit_id, with_reconciliation=False)


def _recompute(path, out_dir):
    """Open the workbook in LibreOffice headless, recalculate and save; return it with cached values."""
    profile = out_dir / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--calc",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out_dir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return load_workbook(out_dir / path.name, data_only=True)


@needs_libreoffice
@pytest.mark.parametrize(("method", "untested"), [("difference", 0), ("mpu", 3)])
def test_libreoffice_recomputes_the_library_figures(db, tmp_path, method, untested):
    with Store.open(db) as store:
        context = _audit(store, method, untested)
    path = write_workpaper(tmp_path / "in" / "workpaper.xlsx", context)
    formulas = load_workbook(path)["Projection"]
    values = _recompute(path, tmp_path / "out")["Projection"]
    evaluation = context["evaluation"]
    loss = evaluation["loss"][f"{evaluation['confidence']:.2f}"]
    start = next(r for r in range(1, 60) if values.cell(r, 1).value == "quantity")
    block = {}
    for r in range(start + 1, start + 9):
        label = values.cell(r, 1).value
        assert str(formulas.cell(r, 2).value).startswith("="), label  # a formula, not a pasted value
        block[label.split(" (")[0]] = (values.cell(r, 2).value, values.cell(r, 3).value)
    for label, (recomputed, library) in block.items():
        assert recomputed == pytest.approx(library, rel=1e-9, abs=1e-6), label
    assert block["projected underpayment"][0] == pytest.approx(loss["point"], abs=1e-6)
    assert block["lower limit"][0] == pytest.approx(loss["lower"], abs=1e-6)
    assert block["demand"][0] == pytest.approx(evaluation["demand"], abs=1e-6)
    assert block["compliance rate"][0] == pytest.approx(evaluation["compliance"]["rate"], abs=1e-9)
    # Per stratum: the formula estimate equals the library's estimate.
    for r in range(2, start - 1):
        if values.cell(r, 1).value is None:
            break
        assert values.cell(r, 7).value == pytest.approx(values.cell(r, 9).value, abs=1e-6)
        assert values.cell(r, 8).value == pytest.approx(values.cell(r, 10).value, abs=1e-6)


def test_workpaper_formats_tables_and_what_to_test_against(db, tmp_path):
    with Store.open(db) as store:
        context = _audit(store, "difference")
    book = load_workbook(write_workpaper(tmp_path / "workpaper.xlsx", context))
    results = book["Test results"]
    header = [c.value for c in results[1]]
    for name in ("declared_value", "duty_paid", "duty_owed", "underpayment"):
        assert results.cell(2, header.index(name) + 1).number_format == USD
    assert str(results.cell(2, header.index("underpayment") + 1).value).startswith("=")
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["compliance rate"].number_format.endswith("%")
    assert summary["demand (USD)"].number_format == USD
    steps = book["Steps"]
    assert steps.tables and "{" not in "".join(str(c.value) for row in steps.iter_rows() for c in row)
    hashes = list(book["Hashes"].iter_rows(min_row=2, values_only=True))
    assert any(row[3] == "audit_population" and len(row[4]) == 64 for row in hashes)
    sample_header = [c.value for c in book["Sample"][1]]
    assert {"description", "hts_code", "country_of_origin"} <= set(sample_header)
    first = dict(zip(sample_header, next(book["Sample"].iter_rows(min_row=2, values_only=True)), strict=True))
    assert first["description"] and first["hts_code"] and first["country_of_origin"] == "CN"
