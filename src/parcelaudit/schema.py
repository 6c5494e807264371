"""Canonical tables: Arrow schemas with a documented field each, and the column aliases used on input.

The column names are a public contract shared by every stage. Money columns are float64 in the
currency named by `currency` (USD unless stated); dates are ISO dates; countries ISO 3166-1 alpha-2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class Field:
    """One canonical column: name, Arrow type, whether a row needs it, and what it means."""

    name: str
    type: pa.DataType
    doc: str
    required: bool = False
    kind: str = (
        "text"  # text | date | timestamp | money | number | integer | country | currency | hts | bool | enum
    )
    choices: tuple[str, ...] = ()
    default: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Table:
    """A canonical table: its fields and the columns that identify a row."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    doc: str

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the stored table (without bookkeeping columns)."""
        return pa.schema([pa.field(f.name, f.type, nullable=not f.required) for f in self.fields])

    def field(self, name: str) -> Field:
        """Return the field called name."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [f.name for f in self.fields]


ENTRY_TYPES = ("321", "86", "11", "01", "postal")
# Entry types that claim duty-free de minimis (19 U.S.C. 1321): Section 321 manifest and Entry Type 86.
DE_MINIMIS_ENTRY_TYPES = ("321", "86")
FILER_TYPES = ("marketplace", "carrier", "broker", "importer", "postal")
MODES = ("air", "ocean", "truck", "rail", "mail")

S, F, D, B, INT = pa.string(), pa.float64(), pa.date32(), pa.bool_(), pa.int64()

SHIPMENT_ID_ALIASES = (
    "ctin",
    "clearance_tracing_identification_number",
    "house_bill",
    "house_bill_number",
    "hawb",
    "hawb_number",
    "tracking_number",
    "tracking_no",
    "parcel_id",
    "waybill",
)

# A carrier's "Ship Date" is the day the shipper tendered the parcel in the country of export (the
# start of the waybill), not the US arrival: it is read as export_date. Arrival has its own column.
EXPORT_DATE_ALIASES = (
    "ship_date",
    "shipped_date",
    "shipping_date",
    "date_shipped",
    "date_of_export",
    "date_of_exportation",
    "exportation_date",
    "departure_date",
    "pickup_date",
)

SHIPMENTS = Table(
    name="shipments",
    key=("shipment_id",),
    doc="One row per parcel or entry.",
    fields=(
        Field(
            "shipment_id",
            S,
            "Unique parcel identifier: CTIN, house bill or tracking number.",
            True,
            aliases=SHIPMENT_ID_ALIASES,
        ),
        Field(
            "master_bill",
            S,
            "Master air waybill or ocean bill of lading.",
            aliases=("master_bill_number", "mawb", "mawb_number", "mbol", "bill_of_lading"),
        ),
        Field(
            "entry_type",
            S,
            "Entry claimed: 321 (manifest de minimis), 86, 11 (informal), 01 (formal), postal.",
            True,
            kind="enum",
            choices=ENTRY_TYPES,
            aliases=("entry_type_code", "type_of_entry", "clearance_type", "customs_entry_type"),
        ),
        Field(
            "filer_type",
            S,
            "Who filed the data: marketplace, carrier, broker, importer, postal.",
            kind="enum",
            choices=FILER_TYPES,
            aliases=("filer", "originator_type"),
        ),
        Field(
            "mode",
            S,
            "Mode of transport: air, ocean, truck, rail, mail.",
            kind="enum",
            choices=MODES,
            aliases=("mode_of_transport", "transport_mode"),
        ),
        Field(
            "port_of_entry",
            S,
            "CBP port code of entry (4 digits).",
            aliases=("port", "port_code", "entry_port"),
        ),
        Field(
            "arrival_date",
            D,
            "Date of arrival in the US (ISO date); the rules in force on it apply.",
            True,
            kind="date",
            aliases=(
                "arrival",
                "date_of_arrival",
                "eta",
                "import_date",
                "entry_date",
                "arrival_date_us",
                "flight_arrival_date",
                "us_arrival_date",
            ),
        ),
        Field(
            "country_of_shipment",
            S,
            "Country the parcel was shipped from (ISO alpha-2).",
            True,
            kind="country",
            aliases=("shipment_country", "country_of_export", "export_country", "origin_country_of_shipment"),
        ),
        Field(
            "seller_name", S, "Seller (marketplace seller or vendor) name.", aliases=("seller", "vendor_name")
        ),
        Field("seller_address", S, "Seller address, one line.", aliases=("seller_addr",)),
        Field("seller_country", S, "Seller country (ISO alpha-2).", kind="country"),
        Field(
            "shipper_name", S, "Shipper (consignor) name.", aliases=("shipper", "consignor_name", "consignor")
        ),
        Field(
            "shipper_address", S, "Shipper address, one line.", aliases=("consignor_address", "shipper_addr")
        ),
        Field(
            "shipper_country",
            S,
            "Shipper country (ISO alpha-2).",
            kind="country",
            aliases=("consignor_country",),
        ),
        Field(
            "consignee_name",
            S,
            "Consignee (final recipient, usually the US buyer) name.",
            aliases=(
                "consignee",
                "final_recipient",
                "final_recipient_name",
                "recipient_name",
                "receiver_name",
                "purchaser_name",
            ),
        ),
        Field(
            "consignee_address",
            S,
            "Consignee address, one line.",
            aliases=("final_recipient_address", "recipient_address", "receiver_address"),
        ),
        Field(
            "consignee_country",
            S,
            "Consignee country (ISO alpha-2); US when absent.",
            kind="country",
            default="US",
            aliases=("recipient_country", "final_recipient_country"),
        ),
        Field(
            "marketplace_name",
            S,
            "Marketplace where the goods were sold.",
            aliases=("marketplace", "platform"),
        ),
        Field("marketplace_url", S, "Marketplace website.", aliases=("marketplace_website", "platform_url")),
        Field(
            "order_id",
            S,
            "Marketplace order number this parcel fulfils.",
            aliases=("order_number", "order_no", "order", "order_ref", "transaction_id"),
        ),
        Field(
            "currency",
            S,
            "ISO 4217 currency of declared_value; USD when absent.",
            kind="currency",
            default="USD",
            aliases=("currency_code", "value_currency"),
        ),
        Field(
            "declared_value",
            F,
            "Total declared fair retail value of the parcel (float, in `currency`).",
            True,
            kind="money",
            aliases=(
                "value",
                "total_value",
                "fair_retail_value",
                "declared_total",
                "customs_value",
                "shipment_value",
                "listed_price_total",
            ),
        ),
        Field("gift", B, "Declared a bona fide gift.", kind="bool", aliases=("is_gift", "gift_indicator")),
        # Added in migration 0011; appended so that older stores gain it at the same position.
        Field(
            "export_date",
            D,
            "Date the parcel left the country of export (a carrier's ship date); CBP converts foreign "
            "currency at the rate of this date (31 U.S.C. 5151; 19 CFR 159.32 and 152.1(c)). Empty when not given.",
            kind="date",
            aliases=EXPORT_DATE_ALIASES,
        ),
    ),
)

LINES = Table(
    name="lines",
    key=("shipment_id", "line_no"),
    doc="One row per line item of a shipment.",
    fields=(
        Field("shipment_id", S, "Shipment the line belongs to.", True, aliases=SHIPMENT_ID_ALIASES),
        Field(
            "line_no",
            INT,
            "Line number within the shipment (1, 2, ...); 1 when absent.",
            True,
            kind="integer",
            default="1",
            aliases=("line", "line_number", "item_no", "item_number", "line_item"),
        ),
        Field(
            "description",
            S,
            "Product description (enhanced description where given).",
            aliases=(
                "item_description",
                "product_description",
                "goods_description",
                "enhanced_description",
                "commodity_description",
            ),
        ),
        Field(
            "hts_code",
            S,
            "HTS code as digits (6, 8 or 10); dots and spaces are removed on input.",
            kind="hts",
            aliases=(
                "hts",
                "hts_number",
                "htsus",
                "tariff_number",
                "hs_code",
                "hs",
                "hs_tariff_code",
                "commodity_code",
                "hts10",
            ),
        ),
        Field(
            "quantity",
            F,
            "Quantity in `unit`.",
            kind="number",
            aliases=("qty", "pieces", "item_quantity", "quantity_pcs"),
        ),
        Field("unit", S, "Unit of quantity (pcs, kg, pairs, doz...).", aliases=("uom", "unit_of_measure")),
        Field(
            "value",
            F,
            "Line value (fair retail value) in the shipment currency.",
            kind="money",
            aliases=(
                "line_value",
                "item_value",
                "unit_total",
                "listed_price",
                "value_usd",
                "item_value_usd",
                "line_value_usd",
            ),
        ),
        Field(
            "country_of_origin",
            S,
            "Declared country of origin (ISO alpha-2).",
            kind="country",
            aliases=("origin", "origin_country", "coo", "country_origin"),
        ),
        Field(
            "manufacturer_name",
            S,
            "Manufacturer or producer name.",
            aliases=("manufacturer", "mid_name", "producer"),
        ),
        Field("manufacturer_address", S, "Manufacturer address, one line.", aliases=("manufacturer_addr",)),
        Field("manufacturer_country", S, "Manufacturer country (ISO alpha-2).", kind="country"),
        Field("sku", S, "Seller stock-keeping unit.", aliases=("item_sku", "product_sku", "seller_sku")),
        Field("listing_url", S, "Marketplace listing URL.", aliases=("product_url", "listing_link", "url")),
        Field(
            "image_url",
            S,
            "Product picture URL.",
            aliases=("picture_url", "product_image", "image", "product_picture"),
        ),
        Field(
            "metal_value",
            F,
            "Value of the line's steel, aluminum or copper content in the shipment currency: Section 232 "
            "derivatives are charged on it (without it duty assumes the full value, unverified).",
            kind="money",
            aliases=("metal_content_value", "steel_aluminum_value", "s232_content_value"),
        ),
    ),
)

ORDERS = Table(
    name="orders",
    key=("order_id", "sku"),
    doc="Marketplace transaction records, one row per order line.",
    fields=(
        Field("order_id", S, "Marketplace order number.", True, aliases=("order_number", "order_no")),
        Field(
            "order_date",
            D,
            "Date of the order.",
            True,
            kind="date",
            aliases=("date", "ordered_at", "purchase_date"),
        ),
        Field("marketplace_name", S, "Marketplace.", aliases=("marketplace", "platform")),
        Field("seller_name", S, "Seller.", aliases=("seller", "vendor_name")),
        Field("buyer_name", S, "Buyer (purchaser).", aliases=("buyer", "purchaser_name", "customer_name")),
        Field(
            "buyer_address",
            S,
            "Buyer address.",
            aliases=("purchaser_address", "customer_address", "shipping_address"),
        ),
        Field(
            "sku",
            S,
            "Seller stock-keeping unit; the order line key with order_id.",
            True,
            aliases=("item_sku", "product_sku", "seller_sku"),
        ),
        Field("description", S, "Product title.", aliases=("title", "product_title", "item_description")),
        Field("quantity", F, "Units ordered.", kind="number", aliases=("qty",)),
        Field(
            "unit_price",
            F,
            "Price per unit paid by the buyer (float, in `currency`).",
            kind="money",
            aliases=("price", "item_price"),
        ),
        Field("currency", S, "ISO 4217 currency; USD when absent.", kind="currency", default="USD"),
        Field(
            "shipping_price",
            F,
            "Shipping charged on this order line.",
            kind="money",
            aliases=("shipping", "shipping_fee", "freight"),
        ),
    ),
)

PAYMENTS = Table(
    name="payments",
    key=("payment_id",),
    doc="Payment records that settle marketplace orders.",
    fields=(
        Field(
            "payment_id",
            S,
            "Payment or transaction reference.",
            True,
            aliases=("transaction_ref", "payment_ref"),
        ),
        Field("order_id", S, "Order the payment settles.", aliases=("order_number", "order_no")),
        Field(
            "paid_at",
            pa.timestamp("s"),
            "When the payment was made (ISO date or date-time, UTC).",
            kind="timestamp",
            aliases=("payment_date", "paid_on", "date"),
        ),
        Field(
            "amount",
            F,
            "Amount paid (float, in `currency`).",
            True,
            kind="money",
            aliases=("payment_amount", "total"),
        ),
        Field("currency", S, "ISO 4217 currency; USD when absent.", kind="currency", default="USD"),
        Field("payer_name", S, "Who paid.", aliases=("payer", "buyer_name")),
        Field("payee_name", S, "Who was paid.", aliases=("payee", "merchant_name")),
        Field("method", S, "Payment method (card, wallet, bank transfer...).", aliases=("payment_method",)),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (SHIPMENTS, LINES, ORDERS, PAYMENTS)}

# Columns every stored row carries besides its canonical fields.
ROW_HASH = "row_hash"  # MD5 of the row's canonical content: re-ingesting the same content adds nothing
IMPORT_ID = "import_id"  # the import that stored the row


# A traced supply chain's verdict by SKU: what tracing hands the checks (FL-TRACE, FL-SECTOR).
TRACE_VERDICT_SCHEMA = pa.schema(
    [
        ("sku", pa.string()),
        ("trace_product", pa.string()),
        ("trace_verdict", pa.string()),
        ("trace_coverage", pa.float64()),
        ("trace_reasons", pa.string()),
    ]
)
