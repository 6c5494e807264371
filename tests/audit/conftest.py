"""A small deterministic importer written as canonical CSVs and ingested into a real store (on the engine the
suite runs on)."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from parcelaudit.ingest import ingest_file
from parcelaudit.store import Store
from tests.support import clone_store

IMPORTER = "Acme Trading Co., Ltd."
OTHER = "Other Seller Ltd"
START, END = date(2025, 3, 1), date(2025, 4, 30)
PRODUCTS = [
    ("Men's cotton T-shirt, crew neck", "6109100012"),
    ("Cotton ankle socks, 5 pairs", "6115959000"),
    ("Women's cotton shorts, woven", "6204625011"),
]


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def build_books(folder: Path, parcels: int = 300, seed: int = 3) -> dict:
    """Write shipments/lines/orders/payments CSVs; return the planted differences."""
    rng = random.Random(seed)
    shipments, lines, orders, payments = [], [], [], []
    planted = {
        "undervalued": [],
        "never_shipped": [],
        "no_order": [],
        "payment_short": [],
        "orphan_orders": [],
    }
    for i in range(parcels):
        seller = IMPORTER if i % 5 else OTHER
        sid, oid = f"PX{i:06d}", f"ORD{i:06d}"
        arrival = START + timedelta(days=rng.randrange((END - START).days + 1))
        description, hts = PRODUCTS[i % len(PRODUCTS)]
        price = round(rng.uniform(5, 60), 2) if i % 97 else round(rng.uniform(900, 1500), 2)
        declared = price
        if seller == IMPORTER and i % 23 == 0:
            declared = round(price * 0.5, 2)
            planted["undervalued"].append(sid)
        order_id = oid
        if seller == IMPORTER and i % 61 == 0:
            order_id = ""
            planted["no_order"].append(sid)
        shipments.append(
            {
                "shipment_id": sid,
                "entry_type": "11" if i % 3 else "321",
                "arrival_date": arrival,
                "country_of_shipment": "CN",
                "seller_name": seller,
                "consignee_name": f"Buyer {i}",
                "consignee_address": f"{i} Main St, Boston, MA",
                "marketplace_name": "Temu",
                "order_id": order_id,
                "declared_value": declared,
            }
        )
        lines.append(
            {
                "shipment_id": sid,
                "line_no": 1,
                "description": description,
                "hts_code": hts,
                "quantity": 1,
                "value": declared,
                "country_of_origin": "CN",
                "manufacturer_name": "Dongguan Maker Co",
                "manufacturer_country": "CN",
                "sku": f"SKU{i % 3}",
            }
        )
        order_date = arrival - timedelta(days=5)
        if not order_id and order_date >= START:
            planted["orphan_orders"].append(
                oid
            )  # its parcel lost the order id, so the books show it unshipped
        orders.append(
            {
                "order_id": oid,
                "order_date": order_date,
                "marketplace_name": "Temu",
                "seller_name": seller,
                "buyer_name": f"Buyer {i}",
                "sku": f"SKU{i % 3}",
                "description": description,
                "quantity": 1,
                "unit_price": price,
                "shipping_price": 0,
            }
        )
        amount = price
        if seller == IMPORTER and i % 41 == 0:
            amount = round(price - 3, 2)
            planted["payment_short"].append(oid)
        payments.append(
            {
                "payment_id": f"PAY{i:06d}",
                "order_id": oid,
                "paid_at": datetime.combine(order_date, datetime.min.time()),
                "amount": amount,
            }
        )
    for j in range(2):
        oid = f"ORDX{j}"
        orders.append(
            {
                "order_id": oid,
                "order_date": START + timedelta(days=10 + j),
                "marketplace_name": "Temu",
                "seller_name": IMPORTER,
                "buyer_name": "Ghost",
                "sku": "SKU0",
                "description": PRODUCTS[0][0],
                "quantity": 2,
                "unit_price": 10.0,
                "shipping_price": 1.0,
            }
        )
        payments.append(
            {
                "payment_id": f"PAYX{j}",
                "order_id": oid,
                "paid_at": datetime.combine(START, datetime.min.time()),
                "amount": 21.0,
            }
        )
        planted["never_shipped"].append(oid)
    files = {
        name: _write(folder / f"{name}.csv", rows)
        for name, rows in (
            ("shipments", shipments),
            ("lines", lines),
            ("orders", orders),
            ("payments", payments),
        )
    }
    return {"files": files, "planted": planted}


@pytest.fixture(scope="module")
def books(tmp_path_factory, session_target) -> dict:
    """The books ingested once per module into a store that tests only read (`db` copies it for writers)."""
    folder = tmp_path_factory.mktemp("books")
    data = build_books(folder)
    db = session_target("books")
    with Store.open(db) as store:
        for name in ("shipments", "lines", "orders", "payments"):
            result = ingest_file(store, data["files"][name], rejects_dir=folder / "rejects")
            assert result.rows_rejected == 0, name
    return {**data, "db": db, "folder": folder}


@pytest.fixture()
def db(books, store_target) -> str:
    """A private copy of the books store, for tests that change it."""
    return clone_store(books["db"], store_target)
