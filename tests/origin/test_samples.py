"""Reading reference samples and lab results: aliases, types and row-level errors."""

from __future__ import annotations

import pytest

from parcelaudit.errors import ParcelAuditError
from parcelaudit.origin.samples import canonical_name, marker_columns, read_samples


def test_aliases():
    assert canonical_name("d2H.sd") == "d2H_sd"
    assert canonical_name("Sample_ID") == "sample_id"
    assert canonical_name("87Sr/86Sr") == "sr87_86"
    assert canonical_name("Longitude") == "lon"
    assert canonical_name("Sr") == "Sr"


def test_reads_assignr_style_and_elements(tmp_path):
    path = tmp_path / "ref.csv"
    path.write_text(
        "Sample_ID,Site_ID,Latitude,Longitude,d2H,d2H.sd,Sr,Dataset_ID,notes\n"
        "1,10,40.1,-100.2,-60.5,2.0,33.1,7,x\n"
        "2,10,40.1,-100.2,NA,NA,30.0,7,y\n"
    )
    table = read_samples(path)
    assert set(table.column_names) == {"sample_id", "site_id", "lat", "lon", "d2H", "d2H_sd", "Sr"}
    assert table["sample_id"].to_pylist() == ["1", "2"]
    assert table["d2H"].to_pylist() == [-60.5, None]
    assert marker_columns(table) == ["d2H", "Sr"]


def test_errors_name_row_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("sample_id,lat,lon,d13C\na,91,0,-25\n")
    with pytest.raises(ParcelAuditError) as info:
        read_samples(bad)
    assert info.value.row == 2 and info.value.field == "lat"
    text = tmp_path / "text.csv"
    text.write_text("sample_id,d13C\na,-25\nb,abc\n")
    with pytest.raises(ParcelAuditError) as info:
        read_samples(text)
    assert info.value.row == 3 and info.value.field == "d13C"
    none = tmp_path / "none.csv"
    none.write_text("sample_id,colour\na,red\n")
    with pytest.raises(ParcelAuditError, match="no marker columns"):
        read_samples(none)
