"""EPCIS documents are read as a stream: the same answers as reading them whole, at any size and member order."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from parcelaudit.errors import InputError
from parcelaudit.generate.supply_season import EVENTS_PER_LOT, PRODUCT_GTIN, write_facilities, write_season
from parcelaudit.tracing.epcis_import import read_epcis
from parcelaudit.tracing.epcis_validate import read_outline, validate_document, validate_file
from parcelaudit.tracing.quantities import load_yields
from parcelaudit.tracing.verdict import load_chain, trace


def test_a_generated_season_streams_into_the_chain_it_describes(tmp_path):
    path = tmp_path / "season.json"
    assert write_season(path, 50 * EVENTS_PER_LOT) == {"lots": 50, "events": 800}
    outline = read_outline(path)
    assert outline.events == 800 and outline.event_key == "eventList"
    assert outline.header["schemaVersion"] == "2.0"
    seen = []
    chain = read_epcis(path, progress=seen.append)
    assert len(chain.transformations) == 50 * 5  # commissioning, ginning, spinning, weaving, sewing
    assert Counter(m.kind for m in chain.movements) == {"movement": 50 * 5}  # every receipt paired
    assert len(chain.aggregations) == 50


def test_streamed_validation_gives_the_problems_reading_whole_gives(tmp_path):
    path = tmp_path / "season.json"
    write_season(path, 10 * EVENTS_PER_LOT)
    doc = json.loads(path.read_text(encoding="utf-8"))
    events = doc["epcisBody"]["eventList"]
    events[3]["bizStep"] = "teleporting"
    del events[7]["eventTime"]
    events[9]["eventTimeZoneOffset"] = "8 hours"
    path.write_text(json.dumps(doc), encoding="utf-8")
    whole, schema_whole = validate_document(doc)
    streamed, schema_streamed, count = validate_file(path)
    assert streamed == whole and schema_streamed == schema_whole and count == len(whole) >= 3
    assert {p.where.split(" (")[0] for p in streamed} == {"event 4", "event 8", "event 10"}
    with pytest.raises(InputError, match=r"event 4 \(TransformationEvent.*teleporting.*more problem"):
        read_epcis(path)


def test_members_after_the_body_are_still_read(tmp_path):
    path = tmp_path / "season.json"
    write_season(path, 2 * EVENTS_PER_LOT)
    doc = json.loads(path.read_text(encoding="utf-8"))
    reordered = {"epcisBody": doc.pop("epcisBody"), **doc}  # @context (declaring pa:) comes last
    path.write_text(json.dumps(reordered), encoding="utf-8")
    problems, _, _ = validate_file(path, use_schema=False)
    assert problems == []
    assert len(read_epcis(path, use_schema=False).transformations) == 10


@pytest.mark.parametrize("text", ["[]", '"EPCISDocument"', "[{}]"])
def test_a_document_that_is_not_an_object_is_one_line(tmp_path, text):
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="must be a JSON object"):
        read_epcis(path)


def test_a_truncated_document_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "cut.json"
    write_season(path, 2 * EVENTS_PER_LOT)
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(InputError, match="not a readable JSON document") as caught:
        read_epcis(path)
    assert caught.value.file == str(path)


def test_a_season_with_xinjiang_farms_is_exposed_for_that_reason_only(tmp_path):
    path = tmp_path / "season.json"
    write_season(path, 40 * EVENTS_PER_LOT)
    chain = load_chain([path], write_facilities(tmp_path / "f.csv"))
    result = trace(chain, PRODUCT_GTIN, load_yields(None))
    assert result.verdict == "exposed"
    assert {r.code for r in result.reasons} == {"XINJIANG-FACILITY"}
