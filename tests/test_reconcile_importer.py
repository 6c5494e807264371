"""`audit reconcile` with a mistyped importer: an error with a suggestion, never all zeros and exit 0."""

from __future__ import annotations

from typer.testing import CliRunner

from parcelaudit.cli import app
from parcelaudit.errors import ParcelAuditError
from parcelaudit.store import Store
from tests.rules.builders import orders_for, parcels
from tests.rules.store_support import load


def test_a_mistyped_importer_is_refused_with_did_you_mean(store_target):
    shipments, lines = parcels({"seller_name": "Hanoi Home Goods Co"})
    path = store_target
    with Store.open(path) as store:
        load(store, "shipments", shipments)
        load(store, "lines", lines)
        load(store, "orders", orders_for(shipments))
    args = [
        "audit",
        "reconcile",
        "Hanoi Home Good Co",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--db",
        path,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and isinstance(result.exception, ParcelAuditError)
    assert "did you mean 'Hanoi Home Goods Co'" in str(result.exception)  # the CLI prints it as one line
    args[2] = "Hanoi Home Goods Co"
    assert CliRunner().invoke(app, args).exit_code == 0
