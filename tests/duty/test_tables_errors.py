"""A broken duty table names its file, row and field and says how to fix it (no silent empties)."""

from __future__ import annotations

import shutil

import pytest

from parcelaudit.duty import tables
from parcelaudit.errors import ReferenceDataError


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of duty/data that the tables are read from, and a fresh cache before and after."""
    copy = tmp_path / "data"
    shutil.copytree(tables.DATA_DIR, copy)
    monkeypatch.setattr(tables, "DATA_DIR", copy)
    tables.load_tables.cache_clear()
    yield copy
    tables.load_tables.cache_clear()


def _break(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_bad_line_in_a_list_file_names_file_row_and_field(data_copy):
    _break(data_copy / "s301_lines.csv", "01012100,4A", "0101.21,4A")
    with pytest.raises(ReferenceDataError) as error:
        tables.load_tables()
    assert error.value.row == 2 and error.value.field == "hts8" and "s301_lines.csv" in str(error.value.file)


def test_a_list_measure_on_a_list_the_file_lacks_is_refused(data_copy):
    _break(
        data_copy / "list_measures.csv",
        "S301-L1,S301-CN,s301_lines.csv,1,",
        "S301-L1,S301-CN,s301_lines.csv,9,",
    )
    with pytest.raises(ReferenceDataError) as error:
        tables.load_tables()
    assert error.value.field == "list" and "list_measures.csv" in str(error.value.file)


def test_an_unknown_postal_kind_is_refused(data_copy):
    _break(data_copy / "postal.csv", ",sole_ad_valorem,", ",flat,")
    with pytest.raises(ReferenceDataError) as error:
        tables.load_tables()
    assert error.value.field == "kind"


def test_an_unknown_duty_basis_is_refused(data_copy):
    _break(data_copy / "list_measures.csv", ",content\n", ",metal\n")
    with pytest.raises(ReferenceDataError) as error:
        tables.load_tables()
    assert error.value.field == "basis"
