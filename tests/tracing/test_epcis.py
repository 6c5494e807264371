"""EPCIS import: every valid/ document accepted; every invalid/ one rejected naming event and field."""

from __future__ import annotations

import json

import pytest

from parcelaudit.errors import InputError
from parcelaudit.tracing.epcis_import import read_epcis
from parcelaudit.tracing.epcis_validate import validate_document
from tests.support import require_shared


def _files(folder):
    return sorted(require_shared(f"epcis/{folder}").glob("*.json"))


@pytest.mark.parametrize("use_schema", [True, False], ids=["schema", "builtin"])
def test_every_valid_document_is_accepted(use_schema):
    files = _files("valid")
    assert len(files) == 38
    for path in files:
        chain = read_epcis(path, use_schema=use_schema)
        assert chain.inputs == [str(path)]


@pytest.mark.parametrize("use_schema", [True, False], ids=["schema", "builtin"])
def test_every_invalid_document_is_rejected_naming_event_and_field(use_schema):
    files = _files("invalid")
    assert len(files) == 15
    for path in files:
        with pytest.raises(InputError) as caught:
            read_epcis(path, use_schema=use_schema)
        error = caught.value
        assert error.file == str(path) and error.field, path.name
        assert "event " in error.message or "document" in error.message, error.message


def test_cbv_problems_point_at_the_event_and_field():
    doc = json.loads(
        (
            require_shared("epcis/invalid") / "ObjectEvent_with_non_standard_bizStep_in_second_event.json"
        ).read_text()
    )
    problems, _ = validate_document(doc)
    assert [(p.where, p.field) for p in problems] == [("event 2 (ObjectEvent)", "bizStep")]


def test_all_event_types_map_onto_the_model():
    chain = read_epcis(require_shared("epcis/valid") / "Combination_of_different_event.json")
    assert chain.transformations or chain.movements or chain.documents
    chain = read_epcis(require_shared("epcis/valid") / "TransformationEvent_all_possible_fields.json")
    assert chain.transformations and chain.transformations[0].inputs and chain.transformations[0].outputs
    chain = read_epcis(require_shared("epcis/valid") / "AggregationEvent.json")
    assert chain.aggregations
    chain = read_epcis(require_shared("epcis/valid") / "AssociationEvent.json")
    assert chain.associations
    chain = read_epcis(require_shared("epcis/valid") / "TransactionEvent.json")
    assert chain.documents and all(d.lots and d.events for d in chain.documents.values())


def test_own_fixture_imports_every_step(chain_dir):
    chain = read_epcis(chain_dir / "epcis.json")
    assert len(chain.transformations) == 5 and len(chain.movements) == 5
    assert all(m.received_at for m in chain.movements)
    assert {d.doc_type for d in chain.documents.values()} >= {
        "invoice",
        "affidavit",
        "payment_record",
        "production_record",
    }


def test_a_broken_json_file_is_a_user_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not a readable JSON"):
        read_epcis(path)
