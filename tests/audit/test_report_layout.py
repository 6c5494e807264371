"""The audit report's PDF layout: the audit id and "page N of M" on every page, table rows never split
across pages (each row's full text is found on one page), and no half-empty page before the last."""

from __future__ import annotations

import re

import pypdfium2
import pytest

from parcelaudit.audit.evaluate import evaluate_audit
from parcelaudit.audit.lifecycle import new_audit
from parcelaudit.audit.plan import plan_audit
from parcelaudit.audit.results import record_results
from parcelaudit.audit.sampling import sample_audit, sample_items
from parcelaudit.reports.audit_report import write_report
from parcelaudit.store import Store
from tests.audit.conftest import END, IMPORTER, START

NOTE = "declared value below the price paid on the order; the invoice shows a further discount line"


@pytest.fixture()
def report_pdf(db, tmp_path):
    with Store.open(db) as store:
        audit_id = new_audit(store, IMPORTER, START, END, audit_id="A-LAYOUT", actor="t")
        plan_audit(store, audit_id, sample_size=120, actor="t")
        sample_audit(store, audit_id, seed=3, actor="t")
        rows = []
        for n, item in enumerate(sample_items(store, audit_id).to_pylist()):
            if n % 2:
                rows.append({"item_id": item["item_id"], "result": "correct"})
            else:
                value = round(item["book_value"] * 1.5 + 1, 2)
                rows.append({"item_id": item["item_id"], "corrected_value": value, "notes": f"{NOTE} {n}"})
        record_results(store, audit_id, rows, actor="t")
        evaluate_audit(store, audit_id, actor="t")
        paths = write_report(store, audit_id, tmp_path / "report")
    return next(p for p in paths if p.suffix == ".pdf")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_page_names_the_audit_and_its_number(report_pdf):
    pdf = pypdfium2.PdfDocument(str(report_pdf))
    pages = len(pdf)
    assert pages >= 3
    for number, page in enumerate(pdf, start=1):
        text = page.get_textpage().get_text_range()
        assert "A-LAYOUT.v1" in text, number
        assert f"page {number} of {pages}" in text, number


def test_table_rows_are_never_split_across_pages(report_pdf):
    pdf = pypdfium2.PdfDocument(str(report_pdf))
    texts = [_norm(page.get_textpage().get_text_range()) for page in pdf]
    notes = [f"{NOTE} {n}" for n in range(0, 120, 2)]
    listed = [note for note in notes if any(note.split(" ")[0] in t for t in texts)]
    whole = [note for note in notes if any(note in t for t in texts)]
    assert len(whole) >= 40  # the 40 largest findings are listed, each row's note on one page
    assert len(whole) <= len(listed)
    # The penalty table's multi-line basis cells stay with their row.
    assert any("min(domestic value, 4x) of lost duties" in t and "gross" in t for t in texts)


def test_no_half_empty_page_before_the_last(report_pdf):
    pdf = pypdfium2.PdfDocument(str(report_pdf))
    footer = 20 / 25.4 * 72  # the bottom margin with the running footer, in points
    for number, page in enumerate(pdf, start=1):
        if number == len(pdf):
            break
        height = page.get_height()
        bottoms = [obj.get_bounds()[1] for obj in page.get_objects() if obj.get_bounds()[1] > footer]
        lowest = min(bottoms)
        assert lowest < height / 2, f"page {number} ends {lowest / height:.0%} up the page"
