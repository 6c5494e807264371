"""Hostile input to the ingest readers (issue 18 #6, #7): a one-line error or a precise reject each,
never a traceback and never a value stored wrong."""

from __future__ import annotations

import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from parcelaudit.errors import InputError
from parcelaudit.ingest import excel, ingest_file
from parcelaudit.store import Store
from tests.ingest.helpers import SHIPMENT_HEADER, good_shipment, write_csv


@pytest.fixture
def store(store_target):
    with Store.open(store_target) as opened:
        yield opened


def _rejects(store) -> list[tuple]:
    return store.fetch("SELECT row_number, field, reason FROM rejects ORDER BY row_number")


def test_a_malformed_row_after_a_giant_field_is_rejected_alone(store, tmp_path):
    rows = [
        good_shipment("P1", consignee_name="x" * 300_000),
        ["P2", "11", "2025-09-02"],
        good_shipment("P3"),
    ]
    path = write_csv(tmp_path / "giant.csv", SHIPMENT_HEADER, rows)
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1  # P3; P1's name is over the field limit, P2 is malformed
    reasons = _rejects(store)
    assert [r[0] for r in reasons] == [2, 3]
    assert "longer than" in reasons[0][2] and "malformed" in reasons[1][2]


def test_json_lines_nested_a_thousand_deep_is_a_reject(store, tmp_path):
    good = dict(zip(SHIPMENT_HEADER, good_shipment("P1"), strict=True))
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(good) + "\n" + '{"a": ' + "[" * 1000 + "]" * 1000 + "}\n", encoding="utf-8")
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1
    assert "nested too deeply" in _rejects(store)[0][2]
    first = tmp_path / "deepfirst.jsonl"
    first.write_text('{"a": ' + "[" * 5000 + "]" * 5000 + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        ingest_file(store, first)


def test_two_byte_order_marks_before_the_header(store, tmp_path):
    path = write_csv(tmp_path / "bom.csv", SHIPMENT_HEADER, [good_shipment("P1")])
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + path.read_bytes())
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1


def test_a_byte_order_mark_inside_the_file_is_rejected_not_stored_in_a_key(store, tmp_path):
    path = write_csv(
        tmp_path / "joined.csv", SHIPMENT_HEADER, [good_shipment("P1"), good_shipment("\ufeffP2")]
    )
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1
    assert store.scalar("SELECT count(*) FROM shipments WHERE shipment_id LIKE '%\ufeff%'") == 0
    assert "byte-order mark" in _rejects(store)[0][2]


def test_parquet_with_list_and_struct_columns_keeps_them_as_json(store, tmp_path):
    table = pa.table(
        {
            **{name: [value] for name, value in zip(SHIPMENT_HEADER, good_shipment("P1"), strict=True)},
            "tags": pa.array([["fragile", "gift"]]),
            "dims": pa.array([{"l": 10, "w": 5}]),
        }
    )
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    result = ingest_file(store, path, rejects_dir=None)
    assert result.rows_stored == 1
    extra = json.loads(store.scalar("SELECT fields FROM source_extras"))
    assert json.loads(extra["tags"]) == ["fragile", "gift"] and json.loads(extra["dims"]) == {"l": 10, "w": 5}


@pytest.mark.parametrize("codec", ["rot13", "zlib", "hex"])
def test_a_codec_that_is_not_a_text_encoding_is_refused(store, tmp_path, codec):
    path = write_csv(tmp_path / "m.csv", SHIPMENT_HEADER, [good_shipment("P1")])
    with pytest.raises(InputError, match="not a text encoding"):
        ingest_file(store, path, encoding=codec)


def test_an_encoding_that_does_not_fit_the_data_names_line_and_offset(store, tmp_path):
    path = write_csv(
        tmp_path / "m.csv", SHIPMENT_HEADER, [good_shipment("P1"), good_shipment("P2", consignee_name="Zoë")]
    )
    with pytest.raises(InputError, match=r"not valid ascii at line 3, byte offset \d+"):
        ingest_file(store, path, encoding="ascii")


def test_invalid_utf8_after_the_first_megabyte_names_line_and_offset(store, tmp_path):
    rows = [good_shipment(f"P{i}") for i in range(80_000)]
    path = write_csv(tmp_path / "m.csv", SHIPMENT_HEADER, rows)
    data = path.read_bytes()
    cut = data.index(b"\n", 1_500_000) + 1
    line = data[:cut].count(b"\n") + 1
    path.write_bytes(data[:cut] + b"P\xff\xfe,11,2025-09-02,CN,1,USD,x\n" + data[cut:])
    with pytest.raises(InputError) as error:
        ingest_file(store, path)
    assert f"line {line}, byte offset {cut + 1}" in str(error.value)


def _rewrite_sheet(source, target, sheet_xml: bytes) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else old.read(item)
            new.writestr(item.filename, data)


def test_an_xlsx_entity_expansion_bomb_is_refused_before_parsing(store, tmp_path):
    from tests.ingest.carrier import write_carrier_xlsx

    source = write_carrier_xlsx(tmp_path / "ok.xlsx")
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 12))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE bomb [<!ENTITY e0 "boom">{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&e11;</t></is></c></row></sheetData></worksheet>'
    ).encode()
    _rewrite_sheet(source, tmp_path / "bomb.xlsx", bomb)
    with pytest.raises(InputError, match="DOCTYPE"):
        ingest_file(store, tmp_path / "bomb.xlsx")


def test_an_xlsx_that_expands_far_is_refused_at_once(store, tmp_path, monkeypatch):
    from tests.ingest.carrier import write_carrier_xlsx

    source = write_carrier_xlsx(tmp_path / "ok.xlsx")
    padding = b'<?xml version="1.0"?><worksheet><sheetData>' + b" " * (40 << 20) + b"</sheetData></worksheet>"
    _rewrite_sheet(source, tmp_path / "zip.xlsx", padding)
    with pytest.raises(InputError, match=r"expands .* times"):
        ingest_file(store, tmp_path / "zip.xlsx")
    monkeypatch.setattr(excel, "MAX_DECOMPRESSED_BYTES", 1 << 10)
    with pytest.raises(InputError, match=r"expands to .* MiB"):
        ingest_file(store, source)
