"""One file ingested on DuckDB and on PostgreSQL stores the same rows, row hashes included: a store copied
between engines then treats a re-import of the file as the duplicate it is."""

from __future__ import annotations

from parcelaudit.ingest import ingest_file
from parcelaudit.store import open_store

SHIPMENTS = """shipment_id,arrival_date,entry_type,declared_value,currency,country_of_origin,country_of_shipment,consignee_name,consignee_address,seller_name,seller_address
P1,2025-03-01,86,100.0,USD,CN,CN,Dana Whitfield,12 Main St Springfield IL 62701,Acme Ltd,1 Road Shenzhen
P2,2025-03-01,86,0.1,USD,VN,VN,Ann Lee,4 Oak Ave Dayton OH 45402,Beta Co,2 Street Hanoi
P3,2025-03-02,01,2500,USD,CN,HK,Bo Chen,9 Elm Rd Austin TX 73301,Gamma,3 Lane Hong Kong
"""


def _hashes(target: str) -> list[tuple]:
    with open_store(target) as store:
        return store.fetch("SELECT shipment_id, declared_value, row_hash FROM shipments ORDER BY shipment_id")


def test_row_hashes_are_the_same_on_both_engines(both_targets, tmp_path):
    duck, pg = both_targets
    path = tmp_path / "shipments.csv"
    path.write_text(SHIPMENTS, encoding="utf-8")
    for target in (duck, pg):
        with open_store(target) as store:
            result = ingest_file(store, path, rejects_dir=None)
            assert result.rows_stored == 3 and result.rows_rejected == 0
    assert _hashes(duck) == _hashes(pg)
