"""Analysis details: coverage of untraced inputs, date order, lot over-use across customers, yields."""

from __future__ import annotations

import json

import pytest

from parcelaudit.errors import InputError
from parcelaudit.tracing.model import LotQuantity, Transformation
from parcelaudit.tracing.quantities import load_yields, yield_for
from parcelaudit.tracing.verdict import load_chain, trace
from tests.tracing.chains import PRODUCT_GTIN, lot


def _load(chain_dir, **edits):
    path = chain_dir / "epcis.json"
    doc = json.loads(path.read_text())
    for index, change in edits.get("events", {}).items():
        doc["epcisBody"]["eventList"][index].update(change)
    if "drop" in edits:
        doc["epcisBody"]["eventList"] = [
            e for i, e in enumerate(doc["epcisBody"]["eventList"]) if i not in edits["drop"]
        ]
    path.write_text(json.dumps(doc))
    return load_chain([path, chain_dir / "documents.csv"], chain_dir / "facilities.csv")


def test_input_without_origin_record_is_untraced_and_lowers_coverage(chain_dir):
    chain = _load(chain_dir, drop={0, 1, 2})  # the farm's commissioning, shipping and receiving events
    result = trace(chain, PRODUCT_GTIN, screen=None)
    assert result.verdict == "review"
    assert "UNTRACED-INPUT" in {r.code for r in result.reasons}
    assert result.coverage == 0.0
    assert result.tiers[-1]["traced_share"] == 0.0


def test_transforming_before_receiving_is_a_date_order_problem(chain_dir):
    # Event 6 is the spinner's transformation (farm 0-2, gin 3-5): move it before the lint arrives.
    chain = _load(chain_dir, events={6: {"eventTime": "2025-04-01T09:00:00+07:00"}})
    result = trace(chain, PRODUCT_GTIN, screen=None)
    details = [r.detail for r in result.reasons if r.code == "DATE-ORDER"]
    assert any("before it was received" in d for d in details), details
    assert result.verdict == "review"


def test_a_lot_used_by_two_customers_beyond_its_output_is_a_mismatch(chain_dir):
    chain = _load(chain_dir)
    # Another customer's weaver consumes 5,000 kg of the same 9,500 kg yarn lot.
    chain.transformations.append(
        Transformation(
            "other-weaver",
            None,
            "urn:other",
            [LotQuantity(lot("yarn"), 5000, "KGM")],
            [LotQuantity("OTHER#F1", 4600, "KGM")],
            "fabric",
        )
    )
    result = trace(chain, PRODUCT_GTIN, screen=None)
    assert any("14,500.0 kg consumed across all customers" in r.detail for r in result.reasons)


def test_missing_facility_master_data_is_never_clean(chain_dir):
    lines = (chain_dir / "facilities.csv").read_text().splitlines()
    (chain_dir / "facilities.csv").write_text("\n".join(line for line in lines if "00013" not in line) + "\n")
    result = trace(_load(chain_dir), PRODUCT_GTIN, screen=None)
    assert result.verdict == "review"
    assert any(r.code == "UNTRACED-INPUT" and "cannot be screened" in r.detail for r in result.reasons)


def test_unknown_product_names_the_known_ones(chain_dir):
    with pytest.raises(InputError, match="09521234000051"):
        trace(_load(chain_dir), "NOPE", screen=None)


def test_a_specific_lot_can_be_traced(chain_dir):
    result = trace(_load(chain_dir), lot("yarn"), screen=None)
    assert result.upstream.roots == [lot("yarn")] and result.upstream.depth == 2


def test_yield_overrides_are_read_and_checked(tmp_path):
    path = tmp_path / "yields.csv"
    path.write_text("input_material,output_material,min_yield,max_yield,source\nyarn,fabric,0.5,1.1,test\n")
    ranges = load_yields(path)
    assert yield_for(ranges, "yarn", "fabric").max_yield == 1.1
    assert yield_for(ranges, "lint", "yarn").max_yield == 1.0  # falls back to the mass balance
    path.write_text("input_material,output_material,min_yield,max_yield,source\nyarn,fabric,0.9,0.5,x\n")
    with pytest.raises(InputError, match="min_yield"):
        load_yields(path)


def test_bundled_yields_cite_domain_figures():
    ranges = load_yields()
    assert (
        yield_for(ranges, "seed_cotton", "lint").min_yield
        <= 0.35
        <= yield_for(ranges, "seed_cotton", "lint").max_yield
    )
    assert yield_for(ranges, "fabric", "garment").max_yield >= 0.85
    assert all(r.source for r in ranges.values())


def test_document_copies_join_epcis_references_by_number(chain_dir):
    # documents.csv may name a record by its number only; it then adds the copy to the EPCIS reference.
    docs = chain_dir / "documents.csv"
    text = docs.read_text().replace("urn:epcglobal:cbv:bt:952123400013:INV-SPINNER-2025", "INV-SPINNER-2025")
    docs.write_text(text)
    chain = _load(chain_dir)
    invoice = next(d for d in chain.documents.values() if d.number == "INV-SPINNER-2025")
    assert invoice.document_id.startswith("urn:epcglobal:cbv:bt:") and invoice.sha256
    assert sum(d.number == "INV-SPINNER-2025" for d in chain.documents.values()) == 1
    assert trace(chain, PRODUCT_GTIN, screen=None).verdict == "clear"


def test_a_shipped_pallet_moves_the_lots_packed_on_it(tmp_path):
    from parcelaudit.tracing.epcis_import import read_epcis

    base = {"eventTimeZoneOffset": "+00:00", "readPoint": {"id": "urn:epc:id:sgln:1.1.0"}}
    events = [
        {**base, "type": "AggregationEvent", "eventTime": "2025-01-01T00:00:00Z", "action": "ADD",
         "parentID": "urn:epc:id:sscc:1.1", "childQuantityList": [{"epcClass": "LOT#A", "quantity": 5, "uom": "KGM"}]},
        {**base, "type": "ObjectEvent", "eventTime": "2025-01-02T00:00:00Z", "action": "OBSERVE",
         "bizStep": "shipping", "epcList": ["urn:epc:id:sscc:1.1"],
         "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:2.2.0"}]},
    ]  # fmt: skip
    path = tmp_path / "pallet.json"
    path.write_text(json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
                                "type": "EPCISDocument", "schemaVersion": "2.0",
                                "creationDate": "2025-01-03T00:00:00Z", "epcisBody": {"eventList": events}}))  # fmt: skip
    (movement,) = read_epcis(path).movements
    assert [q.lot for q in movement.lots] == ["LOT#A"]
    assert (movement.from_facility, movement.to_facility) == (
        "urn:epc:id:sgln:1.1.0",
        "urn:epc:id:sgln:2.2.0",
    )
