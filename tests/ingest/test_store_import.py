"""Storing one import (parcelaudit.store.ingest.store_import): the file's SHA-256 is looked up again inside
the import's transaction, so an import that lost a race to another import of the same file stores nothing."""

from __future__ import annotations

from parcelaudit.hashing import file_sha256
from parcelaudit.ingest import ingest_file
from parcelaudit.schema import SHIPMENTS
from parcelaudit.store import Store, utc_now
from parcelaudit.store.ingest import ImportRecord, Target, store_import
from tests.ingest.helpers import SHIPMENT_HEADER, good_shipment, write_csv


class _Unread:
    """A source that must not be read: the import it belongs to was already stored."""

    def batches(self):
        raise AssertionError("an already stored file was read again")

    def malformed(self):
        raise AssertionError("an already stored file was read again")

    def mapping_json(self):
        raise AssertionError("an already stored file was read again")


def test_a_file_stored_meanwhile_is_not_stored_twice(store_target, tmp_path):
    path = write_csv(tmp_path / "s.csv", SHIPMENT_HEADER, [good_shipment("P1"), good_shipment("P2")])
    with Store.open(store_target) as store:
        first = ingest_file(store, path, rejects_dir=None)
        # What a second process would do after its own check found nothing: store the same file.
        record = ImportRecord(str(path), file_sha256(path), "csv", utc_now())
        again = store_import(store, record, [Target(SHIPMENTS)], _Unread())
        assert again.already_imported and again.import_id == first.import_id
        assert again.tables == ["shipments"]
        assert store.scalar("SELECT count(*) FROM imports") == 1
        assert store.scalar("SELECT count(*) FROM shipments") == 2
