"""Small canonical tables for rule tests: one clean parcel by default, override any field per parcel."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from parcelaudit.schema import LINES, ORDERS, SHIPMENTS

CLEAN_SHIPMENT = {
    "entry_type": "11",
    "filer_type": "marketplace",
    "mode": "air",
    "port_of_entry": "4701",
    "arrival_date": date(2024, 3, 1),
    "country_of_shipment": "VN",
    "seller_name": "Hanoi Home Goods Co",
    "seller_address": "12 Tran Phu, Hanoi",
    "seller_country": "VN",
    "shipper_name": "Hanoi Home Goods Co",
    "shipper_address": "12 Tran Phu, Hanoi",
    "shipper_country": "VN",
    "consignee_name": "Ann Smith",
    "consignee_address": "1 Main St, Springfield IL",
    "consignee_country": "US",
    "marketplace_name": "ShopMart",
    "marketplace_url": "https://shopmart.example",
    "currency": "USD",
    "declared_value": 50.0,
    "gift": False,
}
CLEAN_LINE = {
    "line_no": 1,
    "description": "Ceramic coffee mug",
    "hts_code": "6912004400",
    "quantity": 1.0,
    "unit": "pcs",
    "value": 50.0,
    "country_of_origin": "VN",
    "manufacturer_name": "Binh Duong Ceramics",
    "manufacturer_address": "5 Le Loi, Binh Duong",
    "manufacturer_country": "VN",
    "sku": "MUG-1",
    "listing_url": "https://shopmart.example/mug",
    "image_url": "https://shopmart.example/mug.jpg",
}


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([{f.name: row.get(f.name) for f in schema} for row in rows], schema=schema)


def parcels(*specs: dict) -> tuple[pa.Table, pa.Table]:
    """Shipments and lines from specs: shipment fields at top level, `lines` a list of line overrides."""
    shipments, lines = [], []
    for number, spec in enumerate(specs, start=1):
        spec = dict(spec)
        line_specs = spec.pop("lines", [{}])
        shipment = {**CLEAN_SHIPMENT, "shipment_id": f"S{number}", "order_id": f"O{number}", **spec}
        shipments.append(shipment)
        for line_no, line_spec in enumerate(line_specs, start=1):
            lines.append(
                {**CLEAN_LINE, "line_no": line_no, **line_spec, "shipment_id": shipment["shipment_id"]}
            )
    return _table(shipments, SHIPMENTS.arrow_schema), _table(lines, LINES.arrow_schema)


def orders_for(shipments: pa.Table, overrides: dict[str, float] | None = None) -> pa.Table:
    """One order line per order id, priced at the parcels' declared total unless overridden."""
    totals: dict[str, float] = {}
    dates: dict[str, date] = {}
    for row in shipments.to_pylist():
        totals[row["order_id"]] = totals.get(row["order_id"], 0.0) + row["declared_value"]
        dates[row["order_id"]] = row["arrival_date"]
    totals.update(overrides or {})
    rows = [
        {
            "order_id": o,
            "order_date": dates[o],
            "sku": "SKU",
            "quantity": 1.0,
            "unit_price": v,
            "currency": "USD",
        }
        for o, v in totals.items()
    ]
    return _table(rows, ORDERS.arrow_schema)
