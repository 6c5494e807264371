"""Hostile input for tracing: deep nesting and oversized documents fail in one line; the dossier stays
bounded on repeated events; user text in charts is drawn literally."""

from __future__ import annotations

import csv
import json

import pypdfium2 as pdfium
import pytest
from typer.testing import CliRunner

from parcelaudit.cli import app
from parcelaudit.errors import InputError
from parcelaudit.reports.trace_dossier import MAX_ROWS
from parcelaudit.reports.trace_outputs import trace_files
from parcelaudit.tracing import epcis_validate
from parcelaudit.tracing.epcis_import import read_epcis
from tests.tracing.chains import PRODUCT_GTIN, with_repeated_events, write_chain

runner = CliRunner()


def _document(events: list, extra: object = None) -> dict:
    doc = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    if extra is not None:
        doc["epcisBody"]["ext:deep"] = extra
    return doc


def _event(number: int) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": "2025-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{number}"],
    }


def test_epcis_nested_100k_deep_is_a_one_line_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"epcisBody": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match="nested deeper than the limit of 64"):
        read_epcis(path)
    result = runner.invoke(app, ["trace", str(path), "--product", "X", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)
    result = runner.invoke(app, ["trace-validate", str(path)])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)


def test_nesting_below_the_parser_limit_but_over_ours_is_refused(tmp_path):
    deep: object = "x"
    for _ in range(200):
        deep = {"ext:a": deep}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(_document([_event(1)], deep)))
    with pytest.raises(InputError, match="nested deeper"):
        read_epcis(path, use_schema=False)


def test_events_per_document_are_limited(tmp_path, monkeypatch):
    monkeypatch.setattr(epcis_validate, "MAX_EVENTS_PER_DOCUMENT", 10)
    path = tmp_path / "many.json"
    path.write_text(json.dumps(_document([_event(n) for n in range(11)])))
    with pytest.raises(InputError, match="11 events, over the limit of 10 per document") as caught:
        read_epcis(path, use_schema=False)
    assert caught.value.field == "epcisBody.eventList"
    path.write_text(json.dumps(_document([_event(n) for n in range(10)])))
    assert read_epcis(path, use_schema=False).inputs == [str(path)]


def test_a_facility_named_like_matplotlib_math_still_renders(tmp_path):
    paths = write_chain(tmp_path / "in", "clean")
    facilities = paths["facilities.csv"]
    rows = list(csv.reader(facilities.open(encoding="utf-8")))
    rows[3][1] = "$$$ Cheap Store $$$"  # the spinner
    rows[4][1] = "Mill $\\frac$ [/]"  # short enough to be drawn on one line: matplotlib math before
    with facilities.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    out = tmp_path / "out"
    args = [str(paths["epcis.json"]), str(paths["documents.csv"]), "--facilities", str(facilities)]
    result = runner.invoke(app, ["trace", *args, "--product", PRODUCT_GTIN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "$$$ Cheap Store $$$" in (out / "dossier.html").read_text(encoding="utf-8")
    assert (out / "dossier.pdf").stat().st_size > 0


def test_the_dossier_of_1000_repeated_events_is_bounded_with_an_annex(tmp_path):
    paths = with_repeated_events(tmp_path / "in", 1000)
    result, written = trace_files(
        [paths["epcis.json"], paths["documents.csv"]],
        PRODUCT_GTIN,
        tmp_path / "out",
        facilities=paths["facilities.csv"],
        screen=None,
    )
    # The lot shipped 1,001 times its output is a real mismatch; the repeats are one checklist step.
    assert result.verdict == "review"
    assert [r.code for r in result.reasons] == ["QUANTITY-MISMATCH"]
    names = {p.name for p in written}
    assert {"verdict.json", "dossier.html", "dossier.pdf"} <= names
    assert {"dossier_documents.csv", "dossier_uncopied.csv"} <= names
    with open(tmp_path / "out" / "dossier_documents.csv", encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == len(result.chain.documents) > 5000
    html = (tmp_path / "out" / "dossier.html").read_text(encoding="utf-8")
    assert f"Showing {MAX_ROWS} of {len(result.chain.documents):,} rows" in html
    assert "x1,001" in html  # the repeated shipment, once, with its count
    assert html.count("<tr>") < 8 * MAX_ROWS
    assert len(pdfium.PdfDocument(str(tmp_path / "out" / "dossier.pdf"))) <= 40
