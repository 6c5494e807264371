"""Generate a realistic, reproducible e-commerce import dataset with known, labelled problems.

Parcels are built column-wise with numpy/pyarrow (a million parcels in well under a minute). Clean
parcels trigger none of the rules behind the injected kinds; each injected parcel carries exactly one
kind (generate/injections.py), recorded in truth.csv. Same seed, same files. Policy dates (de minimis
suspensions, the Type 86 start) come from the policy tables in rules/data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from parcelaudit.generate import names
from parcelaudit.generate.catalog import PRODUCTS
from parcelaudit.generate.columns import IndexedColumn
from parcelaudit.generate.injections import ALL_PRODUCTS, INJECTIONS, KINDS, MISSING_FIELDS
from parcelaudit.generate.world import Parties, build_parties, consignee_columns
from parcelaudit.rules.policy import load_policy
from parcelaudit.schema import DE_MINIMIS_ENTRY_TYPES

PORTS = ("4701", "2720", "3901", "5206", "2006", "4196")  # CBP port codes of large express hubs (realism)
CHINA_GOODS = ("CN", "HK")  # the origins a country-specific suspension may name (EO 14256)

__all__ = ["KINDS", "de_minimis_available", "generate_dataset", "type86_start"]


@dataclass
class Injection:
    """Parcels chosen for one kind; groups hold several parcels (split orders, consignee-day sets)."""

    kind: str
    groups: list[list[int]] = field(default_factory=list)
    skipped: str = ""

    @property
    def parcels(self) -> list[int]:
        """Every parcel index in the injection."""
        return [p for group in self.groups for p in group]


def de_minimis_available(day_dates: np.ndarray, china_goods: np.ndarray) -> np.ndarray:
    """Whether duty-free de minimis was available on each date, for parcels with or without goods of CN/HK,
    as the de minimis suspension table (rules/data/de_minimis_suspensions.csv) has it: a suspension for all
    countries reaches every parcel; one for CN or HK (EO 14256: by origin, not by the country of shipment)
    reaches parcels with such goods."""
    dates = day_dates.astype("datetime64[D]")
    available = np.ones(dates.shape, dtype=bool)
    for row in load_policy().table("de_minimis_suspensions").to_pylist():
        if row["country"] != "*" and row["country"] not in CHINA_GOODS:
            continue
        suspended = (dates >= np.datetime64(row["effective_from"])) & (
            dates <= np.datetime64(row["effective_to"])
        )
        available &= ~(suspended if row["country"] == "*" else suspended & china_goods)
    return available


def type86_start() -> date:
    """The first day of Entry Type 86: when the required-elements table starts to ask Type 86 entries alone
    for their data (the Type 86 test, 84 FR 40079)."""
    table = load_policy().table("required_elements")
    return min(row["effective_from"] for row in table.to_pylist() if row["entry_types"] == "86")


def _pick(values: Sequence[str], indices: np.ndarray) -> pa.Array:
    """values[i] for every index, as an Arrow string array."""
    return pa.array(list(values), pa.string()).take(pa.array(indices))


# Parcels generated and written at a time: memory follows it, not the number of parcels.
CHUNK_PARCELS = 100_000


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers: prefix + each number zero-padded to width digits."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


class _Generator:
    def __init__(self, parcels: int, days: int, start: date, seed: int, rate: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.P, self.days, self.start, self.seed, self.rate = parcels, days, start, seed, rate
        self.prefix = f"PA{seed % 1000:03d}"  # shipment ids: prefix + 8-digit parcel number
        self.parties: Parties = build_parties(self.rng, parcels)
        self.truth: list[tuple[str, int | None, str, str]] = []

    # -- parcels -----------------------------------------------------------------------------------
    def draw_parcels(self) -> None:
        rng, P, parties = self.rng, self.P, self.parties
        self.day = rng.integers(0, self.days, size=P)
        self.seller = rng.choice(len(parties.seller_name), size=P, p=parties.seller_weight)
        self.consignee = rng.choice(len(parties.consignee_weight), size=P, p=parties.consignee_weight)
        self.n_lines = 1 + rng.binomial(3, 0.2, size=P)
        self.base = parties.seller_product_start[self.seller] + rng.integers(0, 3, size=P)
        self.mail = rng.random(P) < 0.06
        self.gift = rng.random(P) < 0.02
        self.order = np.arange(P)
        self.fresh_consignees = 0

    def dates(self, day: np.ndarray) -> np.ndarray:
        return np.datetime64(self.start) + day.astype("timedelta64[D]")

    def available(self, parcel_days: np.ndarray, sellers: np.ndarray) -> np.ndarray:
        """De minimis surely available: a seller with any Chinese manufacturer may ship Chinese goods."""
        return de_minimis_available(self.dates(parcel_days), self.parties.seller_any_cn[sellers])

    def surely_unavailable(self, parcel_days: np.ndarray, sellers: np.ndarray) -> np.ndarray:
        """De minimis surely not available: every manufacturer of the seller is Chinese, or all are suspended."""
        return ~de_minimis_available(self.dates(parcel_days), self.parties.seller_all_cn[sellers])

    # -- choosing injected parcels ------------------------------------------------------------------
    def choose(self) -> dict[str, Injection]:
        rng = self.rng
        taken = np.zeros(self.P, dtype=bool)
        per_kind = max(3, round(self.rate * self.P))
        injections: dict[str, Injection] = {}
        for kind in INJECTIONS:
            injection = Injection(kind.name)
            pool = kind.pool(self)
            candidates = np.flatnonzero(pool & ~taken)
            if len(candidates) == 0:
                injection.skipped = "no parcel in the date range allows this kind (de minimis timeline)"
                injections[kind.name] = injection
                continue
            group_sizes = kind.group_sizes
            count = min(per_kind, len(candidates))
            picks = rng.choice(candidates, size=count, replace=False)
            taken[picks] = True
            for anchor in picks:
                group = [int(anchor)]
                if group_sizes:
                    size = int(rng.integers(*group_sizes))
                    free = np.flatnonzero(~taken & ~self.mail)
                    if len(free) < size - 1:
                        continue
                    extra = rng.choice(free, size=size - 1, replace=False)
                    taken[extra] = True
                    group += [int(x) for x in extra]
                injection.groups.append(group)
            injections[kind.name] = injection
        self.taken = taken
        self._shape_groups(injections)
        return injections

    def _shape_groups(self, injections: dict[str, Injection]) -> None:
        """Give every injected parcel its own consignee; make split orders and consignee-day sets."""
        injected = [p for inj in injections.values() for group in inj.groups for p in group]
        n_fresh = len(injected)
        fresh_ids = len(self.parties.consignee_weight) + np.arange(n_fresh)
        self.consignee[injected] = fresh_ids
        self.fresh_consignees = n_fresh
        for kind in INJECTIONS:
            for group in injections[kind.name].groups:
                kind.shape_group(self, group)

    # -- lines --------------------------------------------------------------------------------------
    def draw_lines(self, injections: dict[str, Injection]) -> None:
        rng, parties = self.rng, self.parties
        self.first_product: dict[int, int] = {}  # parcel -> product of its first line, where a kind chose
        for kind in INJECTIONS:
            kind.products(self, injections[kind.name].parcels)
        self.l_parcel = np.repeat(np.arange(self.P), self.n_lines)
        starts = np.concatenate([[0], np.cumsum(self.n_lines)[:-1]])
        L = len(self.l_parcel)
        self.l_no = np.arange(L) - starts[self.l_parcel] + 1
        self.l_product = (self.base[self.l_parcel] + self.l_no - 1) % len(PRODUCTS)
        first_line = starts
        chosen = list(self.first_product)
        self.l_product[first_line[chosen]] = [self.first_product[p] for p in chosen]
        medians = np.array([p.median_price for p in ALL_PRODUCTS])
        self.l_qty = 1 + rng.poisson(0.35, size=L)
        self.l_price = np.round(medians[self.l_product] * rng.lognormal(0.0, 0.35, size=L), 2)
        seller_of_line = self.seller[self.l_parcel]
        offset = (rng.random(L) * parties.seller_mfr_count[seller_of_line]).astype(int)
        self.l_mfr = parties.seller_mfr_start[seller_of_line] + offset
        self.first_line = first_line
        self.l_hts = IndexedColumn([p.hts10 for p in ALL_PRODUCTS], self.l_product)
        self.l_origin = IndexedColumn(parties.mfr_country, self.l_mfr)
        self.l_mfr_name = IndexedColumn(parties.mfr_name, self.l_mfr)
        self.l_mfr_address = IndexedColumn(parties.mfr_address, self.l_mfr)
        self.l_mfr_country = IndexedColumn(parties.mfr_country, self.l_mfr)

    def set_values(self, injections: dict[str, Injection]) -> None:
        true_value = np.bincount(
            self.l_parcel, weights=np.round(self.l_qty * self.l_price, 2), minlength=self.P
        )
        scale = np.ones(self.P)
        for kind in INJECTIONS:
            kind.scale(self, injections[kind.name].parcels, true_value, scale)
        self.l_price = np.round(self.l_price * scale[self.l_parcel], 2)
        self.order_value = np.round(self.l_qty * self.l_price, 2)  # what the buyer paid per line
        declared_scale = np.ones(self.P)
        for kind in INJECTIONS:
            kind.declare(self, injections[kind.name].parcels, declared_scale)
        self.l_value = np.round(self.order_value * declared_scale[self.l_parcel], 2)
        self.declared = np.round(np.bincount(self.l_parcel, weights=self.l_value, minlength=self.P), 2)
        over = [p for kind in INJECTIONS if kind.keeps_gift_over_limit for p in injections[kind.name].parcels]
        self.gift &= (self.declared <= 100) | np.isin(np.arange(self.P), over)

    def set_entry_types(self, injections: dict[str, Injection]) -> None:
        rng, P = self.rng, self.P
        dates = self.dates(self.day)
        avail = self.available(self.day, self.seller)
        threshold = np.where(self.gift, 100.0, 800.0)
        type86 = (rng.random(P) < 0.35) & (dates >= np.datetime64(type86_start()))
        claim = np.where(type86, "86", "321")
        entry = np.where(self.declared <= 2500, "11", "01").astype(object)
        clean_claim = avail & (self.declared <= threshold) & ~self.taken
        entry[clean_claim] = claim[clean_claim]
        for kind in INJECTIONS:
            if kind.claims_de_minimis:
                parcels = injections[kind.name].parcels
                entry[parcels] = claim[parcels]
        entry[self.mail] = "postal"
        self._fix_consignee_days(entry)
        self.entry = entry

    def _fix_consignee_days(self, entry: np.ndarray) -> None:
        """Keep clean de minimis claims of one consignee on one day at or under $800 in total."""
        claimed = np.flatnonzero(np.isin(entry, DE_MINIMIS_ENTRY_TYPES) & ~self.taken)
        key = self.consignee[claimed].astype(np.int64) * 100_000 + self.day[claimed]
        order = np.lexsort((claimed, key))
        claimed, key = claimed[order], key[order]
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        totals = np.bincount(inverse, weights=self.declared[claimed])
        over = totals[inverse] > 800
        not_first = np.arange(len(claimed)) != first[inverse]
        entry[claimed[over & not_first]] = "11"

    # -- per-field injections ------------------------------------------------------------------------
    def inject_fields(self, injections: dict[str, Injection]) -> dict[str, np.ndarray]:
        """Let every kind change its parcels' fields and record its truth rows; returns the blanked
        shipment fields (field -> mask)."""
        self.blanks: dict[str, np.ndarray] = {name: np.zeros(self.P, dtype=bool) for name in MISSING_FIELDS}
        self.seller_name = IndexedColumn(self.parties.seller_name, self.seller)
        self.seller_address = IndexedColumn(self.parties.seller_address, self.seller)
        self.hts_dotted = self.rng.random(len(self.l_parcel)) < 0.3
        for kind in INJECTIONS:
            kind.mark(self, injections[kind.name])
        return self.blanks

    # -- tables --------------------------------------------------------------------------------------
    def draw_table_columns(self) -> None:
        """The random draws the tables need, for every parcel at once and in a fixed order (so the files do
        not depend on how many parcels are written at a time)."""
        rng, P, parties = self.rng, self.P, self.parties
        extra_name, extra_address = consignee_columns(rng, self.fresh_consignees)
        self.consignee_names = pa.concat_arrays([parties.consignee_name, extra_name])
        self.consignee_addresses = pa.concat_arrays([parties.consignee_address, extra_address])
        truck = np.isin(parties.ship_from[self.seller], ("MX", "CA")) & (rng.random(P) < 0.6)
        ocean = rng.random(P) < 0.05
        self.mode_index = np.where(self.mail, 3, np.where(truck, 2, np.where(ocean, 1, 0)))
        self.filer_index = np.where(self.mail, 3, rng.choice(3, P, p=[0.5, 0.35, 0.15]))
        self.port_index = rng.integers(0, len(PORTS), P)
        lead = rng.integers(2, 12, size=P)
        order_day = self.dates(self.day - lead)
        # A split order was placed once: every parcel of it carries the first parcel's order date.
        first_of_order = np.full(P, -1)
        first_of_order[self.order[::-1]] = np.arange(P)[::-1]
        self.order_day = order_day[first_of_order[self.order]]
        self.shipping = np.round(rng.choice([0, 0, 2.99, 4.99, 7.99], P), 2)
        self.line_start = np.concatenate([[0], np.cumsum(self.n_lines)])

    def chunk_tables(self, blanks: dict[str, np.ndarray], start: int, stop: int) -> dict[str, pa.Table]:
        """Shipments, lines and orders of parcels [start, stop) (draw_table_columns first)."""
        parties = self.parties
        parcels = slice(start, stop)
        seller = self.seller[parcels]

        def blank(array: pa.Array, field_name: str) -> pa.Array:
            mask = blanks.get(field_name)
            if mask is None:
                return array
            return pc.if_else(pa.array(mask[parcels]), pa.scalar(None, pa.string()), array)

        shipment_id = _numbered(self.prefix, np.arange(start, stop), 8)
        ship_from = _pick(parties.ship_from.astype(str), seller)
        seller_name = self.seller_name.to_arrow(start, stop)
        consignee = pa.array(self.consignee[parcels])
        market = parties.seller_marketplace[seller]
        market_urls = [m[1] for m in names.MARKETPLACES]
        day = self.day[parcels]
        master = pc.binary_join_element_wise(
            "MB-", ship_from, "-", pc.cast(pa.array(day + 1000 * (seller % 7)), pa.string()), ""
        )
        n = stop - start
        shipments = pa.table(
            {
                "shipment_id": shipment_id,
                "master_bill": master,
                "entry_type": pa.array(self.entry[parcels], pa.string()),
                "filer_type": _pick(
                    ("marketplace", "carrier", "broker", "postal"), self.filer_index[parcels]
                ),
                "mode": _pick(("air", "ocean", "truck", "mail"), self.mode_index[parcels]),
                "port_of_entry": _pick(PORTS, self.port_index[parcels]),
                "arrival_date": pa.array(self.dates(day).astype("datetime64[D]"), pa.date32()),
                "country_of_shipment": ship_from,
                "seller_name": blank(seller_name, "seller_name"),
                "seller_address": blank(self.seller_address.to_arrow(start, stop), "seller_address"),
                "seller_country": _pick(parties.seller_country.astype(str), seller),
                "shipper_name": seller_name,
                "shipper_address": _pick(parties.seller_address, seller),
                "shipper_country": ship_from,
                "consignee_name": blank(self.consignee_names.take(consignee), "consignee_name"),
                "consignee_address": blank(self.consignee_addresses.take(consignee), "consignee_address"),
                "consignee_country": _pick(("US",), np.zeros(n, dtype=np.int64)),
                "marketplace_name": _pick([m[0] for m in names.MARKETPLACES], market),
                "marketplace_url": _pick(market_urls, market),
                "order_id": _numbered(f"ORD{self.seed % 1000:03d}-", self.order[parcels], 8),
                "currency": _pick(("USD",), np.zeros(n, dtype=np.int64)),
                "declared_value": pa.array(self.declared[parcels]),
                "gift": pa.array(self.gift[parcels]),
            }
        )
        rows = slice(self.line_start[start], self.line_start[stop])
        lp = self.l_parcel[rows]
        product = self.l_product[rows]
        sku = pc.binary_join_element_wise(
            _pick(parties.seller_code, self.seller[lp]), _pick([p.code for p in ALL_PRODUCTS], product), "-"
        )
        url = _pick(market_urls, parties.seller_marketplace[self.seller[lp]])
        hts = self.l_hts.to_arrow(rows.start, rows.stop)
        dotted = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(hts, 0, 4),
            pc.utf8_slice_codeunits(hts, 4, 6),
            pc.utf8_slice_codeunits(hts, 6, 10),
            ".",
        )
        descriptions = _pick([p.description for p in ALL_PRODUCTS], product)
        lines = pa.table(
            {
                "shipment_id": shipment_id.take(pa.array(lp - start)),
                "line_no": pa.array(self.l_no[rows]),
                "description": descriptions,
                "hts_code": pc.if_else(pa.array(self.hts_dotted[rows]), dotted, hts),
                "quantity": pa.array(self.l_qty[rows].astype(float)),
                "unit": _pick([p.unit for p in ALL_PRODUCTS], product),
                "value": pa.array(self.l_value[rows]),
                "country_of_origin": self.l_origin.to_arrow(rows.start, rows.stop),
                "manufacturer_name": self.l_mfr_name.to_arrow(rows.start, rows.stop),
                "manufacturer_address": self.l_mfr_address.to_arrow(rows.start, rows.stop),
                "manufacturer_country": self.l_mfr_country.to_arrow(rows.start, rows.stop),
                "sku": sku,
                "listing_url": pc.binary_join_element_wise(url, "/item/", sku, ""),
                "image_url": pc.binary_join_element_wise(url, "/img/", sku, ".jpg", ""),
            }
        )
        orders = self._orders(shipments, lp - start, rows, sku, descriptions)
        return {"shipments": shipments, "lines": lines, "orders": orders}

    def _orders(
        self, shipments: pa.Table, local: np.ndarray, rows: slice, sku: pa.Array, descriptions: pa.Array
    ) -> pa.Table:
        """The order lines of a chunk's shipments (local: each line's parcel within the chunk)."""
        at = pa.array(local)
        lp = self.l_parcel[rows]
        shipping = np.where(self.l_no[rows] == 1, self.shipping[lp], 0.0)
        return pa.table(
            {
                "order_id": shipments["order_id"].take(at),
                "order_date": pa.array(self.order_day[lp].astype("datetime64[D]"), pa.date32()),
                "marketplace_name": shipments["marketplace_name"].take(at),
                "seller_name": _pick(self.parties.seller_name, self.seller[lp]),
                "buyer_name": shipments["consignee_name"].take(at),
                "buyer_address": shipments["consignee_address"].take(at),
                "sku": sku,
                "description": descriptions,
                "quantity": pa.array(self.l_qty[rows].astype(float)),
                "unit_price": pa.array(self.l_price[rows]),
                "currency": pa.array(np.full(len(lp), "USD")),
                "shipping_price": pa.array(shipping),
            }
        )

    def write_tables(self, blanks: dict[str, np.ndarray], out_dir: Path, chunk: int) -> dict[str, int]:
        """Write shipments, lines, orders and payments CSVs, `chunk` parcels at a time (so memory follows the
        chunk, not the day; the bytes are the same for any chunk); the rows written per table."""
        self.draw_table_columns()
        counts = dict.fromkeys(("shipments", "lines", "orders"), 0)
        writers: dict[str, pacsv.CSVWriter] = {}
        try:
            for start in range(0, self.P, chunk):
                for name, table in self.chunk_tables(blanks, start, min(start + chunk, self.P)).items():
                    if name not in writers:
                        writers[name] = pacsv.CSVWriter(out_dir / f"{name}.csv", table.schema)
                    writers[name].write_table(table)
                    counts[name] += table.num_rows
                pa.default_memory_pool().release_unused()  # the chunk's buffers back to the system
        finally:
            for writer in writers.values():
                writer.close()
        payments = self._payments(blanks)
        pacsv.write_csv(payments, out_dir / "payments.csv")
        counts["payments"] = payments.num_rows
        return counts

    def _payments(self, blanks: dict[str, np.ndarray]) -> pa.Table:
        """One payment per order: its order lines grouped by (order id, order date, buyer, marketplace), in
        the order of their first line. The keys are grouped as integer codes (equal strings, equal codes), so
        a day's payments need no string column of every order line."""
        rng = self.rng
        lp = self.l_parcel
        encoded_names = pc.dictionary_encode(self.consignee_names)
        names_code = encoded_names.indices.to_numpy(zero_copy_only=False)
        buyer = names_code[self.consignee].astype(np.int64)
        if "consignee_name" in blanks:
            buyer[blanks["consignee_name"]] = -1
        market_names = pa.array([m[0] for m in names.MARKETPLACES], pa.string())
        market_code = pc.dictionary_encode(market_names).indices.to_numpy(zero_copy_only=False)
        market = market_code[self.parties.seller_marketplace[self.seller]].astype(np.int64)
        order_day = self.order_day.astype("datetime64[D]").astype(np.int64)
        shipping = np.where(self.l_no == 1, self.shipping[lp], 0.0)
        keyed = pa.table(
            {
                "order": self.order[lp],
                "order_date": order_day[lp],
                "buyer": buyer[lp],
                "market": market[lp],
                "unit_price": self.l_price,
                "quantity": self.l_qty.astype(float),
                "shipping_price": shipping,
                "line": np.arange(len(lp)),
            }
        )
        totals = (
            keyed.group_by(["order", "order_date", "buyer", "market"], use_threads=False)
            .aggregate(
                [("unit_price", "list"), ("quantity", "list"), ("shipping_price", "sum"), ("line", "min")]
            )
            .sort_by("line_min")
        )
        del keyed
        dictionary = encoded_names.dictionary
        buyer_codes = totals["buyer"].to_numpy()
        payer = dictionary.take(pa.array(np.where(buyer_codes < 0, 0, buyer_codes)))
        payer = pc.if_else(pa.array(buyer_codes < 0), pa.scalar(None, pa.string()), payer)
        payee = pc.dictionary_encode(market_names).dictionary.take(totals["market"].combine_chunks())
        order_dates = totals["order_date"].to_numpy().astype("datetime64[D]")
        qty = pc.list_flatten(totals["quantity_list"])
        price = pc.list_flatten(totals["unit_price_list"])
        parents = pc.list_parent_indices(totals["quantity_list"])
        amount = np.bincount(
            parents.to_numpy(), weights=pc.multiply(qty, price).to_numpy(), minlength=totals.num_rows
        )
        amount = np.round(amount + totals["shipping_price_sum"].to_numpy(), 2)
        n = totals.num_rows
        seconds = rng.integers(0, 86_400, size=n).astype("timedelta64[s]")
        paid = order_dates.astype("datetime64[s]") + seconds
        return pa.table(
            {
                "payment_id": _numbered("PAY", np.arange(n), 9),
                "order_id": _numbered(f"ORD{self.seed % 1000:03d}-", totals["order"].to_numpy(), 8),
                "paid_at": pa.array(paid, pa.timestamp("s")),
                "amount": pa.array(amount),
                "currency": pa.array(np.full(n, "USD")),
                "payer_name": payer,
                "payee_name": payee,
                "method": pa.array(
                    rng.choice(["card", "paypal", "wallet", "bank_transfer"], n, p=[0.6, 0.25, 0.1, 0.05])
                ),
            }
        ).sort_by("payment_id")

    def truth_table(self) -> pa.Table:
        rows = sorted(self.truth, key=lambda r: (r[1], r[2], r[0]))
        return pa.table(
            {
                "shipment_id": [f"{self.prefix}{p:08d}" for _, p, _, _ in rows],
                "line_no": [line for _, _, line, _ in rows],
                "kind": [k for k, _, _, _ in rows],
                "detail": [d for _, _, _, d in rows],
            }
        )


def generate_dataset(
    out_dir: Path,
    parcels: int = 10_000,
    days: int = 240,
    start: date | str = date(2025, 3, 1),
    seed: int = 7,
    rate: float = 0.001,
    chunk: int = CHUNK_PARCELS,
) -> dict:
    """Write shipments/lines/orders/payments/truth CSVs for `parcels` parcels; return a summary.

    chunk: parcels turned into rows and written at a time (memory follows it; the files are the same for
    any chunk)."""
    if chunk < 1:
        raise ValueError(f"chunk must be 1 or more parcels, not {chunk}")
    started = time.perf_counter()
    start = date.fromisoformat(start) if isinstance(start, str) else start
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = _Generator(parcels, days, start, seed, rate)
    gen.draw_parcels()
    injections = gen.choose()
    gen.draw_lines(injections)
    gen.set_values(injections)
    gen.set_entry_types(injections)
    blanks = gen.inject_fields(injections)
    counts = gen.write_tables(blanks, out_dir, chunk)
    truth = gen.truth_table()
    pacsv.write_csv(truth, out_dir / "truth.csv")
    counts["truth"] = truth.num_rows
    summary = {
        "parcels": parcels,
        "days": days,
        "start": start.isoformat(),
        "end": (start + timedelta(days=days - 1)).isoformat(),
        "seed": seed,
        "rate": rate,
        "rows": counts,
        "injected": {kind: len(inj.parcels) for kind, inj in injections.items()},
        "skipped": {kind: inj.skipped for kind, inj in injections.items() if inj.skipped},
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out_dir / "generation.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
