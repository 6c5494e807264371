"""The smallest inputs the fuzzer found to raise a traceback in readers of other areas (tests/fuzz/findings)
now give a one-line ParcelAuditError naming the file and, where known, the byte offset or row and the fix."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from parcelaudit.audit.results_sheet import read_results_file
from parcelaudit.errors import ParcelAuditError
from parcelaudit.origin.samples import read_samples
from parcelaudit.reference.lists import load_list
from parcelaudit.tracing.epcis_import import read_epcis

FINDINGS = Path(__file__).parent / "findings"
READERS = {
    "tracing-epcis": read_epcis,
    "reference-lists": load_list,
    "origin-lab-csv": read_samples,
    "audit-results-csv": read_results_file,
    "audit-results-xlsx": read_results_file,
}
INPUTS = sorted(p for p in FINDINGS.iterdir() if p.suffix in (".csv", ".json", ".xlsx"))


@pytest.fixture
def field_limit():
    """The csv module's default field limit (a process-wide setting other readers raise), restored after."""
    before = csv.field_size_limit(131_072)
    yield 131_072
    csv.field_size_limit(before)


def _error(path: Path, reader=None) -> str:
    reader = reader or READERS[path.stem.rsplit("-", 1)[0]]
    with pytest.raises(ParcelAuditError) as caught:
        reader(path)
    text = str(caught.value)
    assert "\n" not in text and str(path) in text, text
    return text


def test_every_reader_has_committed_findings():
    assert {p.stem.rsplit("-", 1)[0] for p in INPUTS} == set(READERS)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_each_finding_reads_or_is_a_one_line_error_naming_the_file(path):
    reader = READERS[path.stem.rsplit("-", 1)[0]]
    try:
        reader(path)
    except ParcelAuditError as error:
        assert "\n" not in str(error) and str(path) in str(error), str(error)


def test_epcis_nested_100000_deep_is_refused_as_too_deep():
    assert "nest" in _error(FINDINGS / "tracing-epcis-0.json")


def test_list_with_a_lone_carriage_return_reads_it_as_a_line_end():
    # e5 0d 2e: one undecodable byte, a CR, a dot: two one-cell rows, not a known list layout.
    assert "unknown list format" in _error(FINDINGS / "reference-lists-0.csv")


def test_list_with_a_carriage_return_in_a_row_loads():
    assert len(load_list(FINDINGS / "reference-lists-1.csv").entries) == 16
    assert "row 10: not an SDN row" in _error(FINDINGS / "reference-lists-2.csv")


def test_list_csv_error_names_the_row(tmp_path, field_limit):
    path = tmp_path / "uflpa.csv"
    path.write_text(
        'name,aliases,section,effective_date\nA,,x,2024-01-01\n"' + "x" * (field_limit + 1) + '"\n'
    )
    text = _error(path, load_list)
    assert "row 3" in text and "field larger than field limit" in text


def test_lab_csv_not_utf8_names_the_byte_offset():
    assert "byte offset 0" in _error(FINDINGS / "origin-lab-csv-0.csv")
    assert "line 3, byte offset 62" in _error(FINDINGS / "origin-lab-csv-2.csv")


def test_lab_csv_row_of_the_wrong_width_names_the_row():
    text = _error(FINDINGS / "origin-lab-csv-1.csv")
    assert "row 2: the row has 22 columns, the header 20" in text


def test_results_csv_not_utf8_names_the_byte_offset():
    assert "line 1, byte offset 0" in _error(FINDINGS / "audit-results-csv-0.csv")


@pytest.mark.parametrize("path", sorted(FINDINGS.glob("audit-results-xlsx-*.xlsx")), ids=lambda p: p.name)
def test_damaged_results_workbook_is_not_a_readable_workbook(path):
    text = _error(path)
    assert "not a readable .xlsx workbook" in text or "has no sheet" in text, text


def test_results_csv_error_names_the_row(tmp_path, field_limit):
    path = tmp_path / "results.csv"
    path.write_text('item_id,notes\nP1,ok\nP2,"' + "x" * (field_limit + 1) + '"\n')
    assert "row 3: not a readable CSV row" in _error(path, read_results_file)
