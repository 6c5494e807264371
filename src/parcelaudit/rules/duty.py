"""Duty per line and per shipment, from the duty API (`parcelaudit.duty.quote`): one source of truth.

A line's duty is `quote(hts, origin, arrival_date, value, mode=..., entry_type=..., shipment_value=...,
metal_value=...).amount` for the line's US-dollar value (after currency conversion), the parcel's mode
(`duty_mode`), its entry type (a de minimis claim is priced as the entry it becomes when the claim fails:
whether the claim stands is judged per shipment in `shipment_duty`), the parcel's declared value (the
limits that belong to a shipment: de minimis, the $800 limit of the postal duty methods, $2,500 informal
entries) and the line's metal content when the data gives one. The exact sum of the components is
rounded once to cents, half-up (parcelaudit.duty.money); `refundable` is the part that is refundable
(IEEPA duties). A line is `verified` only when no component is unverified or not covered by the tables.

Speed: components change only on `change_dates()` and, for postal parcels, where the parcel's value
crosses a threshold, so the API is asked once per (hts, origin, mode, entry type, period, value band)
and lines are priced on the rates in SQL on exact DECIMALs; only lines with a metal value (charged on
their metal content) are quoted one by one. The postal method is the ad valorem one (quote's default;
the per-item specific duties were a carrier's option for six months), so quantity does not change a
line's duty. Money is float64 dollars holding exact cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.arrow_sql import exact_sum
from parcelaudit.duty import Component, quote
from parcelaudit.duty.fees import FORMAL_OVER, FeeCharge, FeeSchedule, fee_schedule
from parcelaudit.duty.money import as_decimal
from parcelaudit.duty.quote import POSTAL_METHOD_MAX, change_dates, de_minimis_thresholds
from parcelaudit.duty.tables import OPEN_END, load_tables
from parcelaudit.errors import ParcelAuditError
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.derived import order_totals
from parcelaudit.schema import DE_MINIMIS_ENTRY_TYPES

LINE_DUTY_SCHEMA = pa.schema(
    [
        ("shipment_id", pa.string()),
        ("line_no", pa.int64()),
        ("hts", pa.string()),
        ("origin", pa.string()),
        ("arrival_date", pa.date32()),
        ("value", pa.float64()),
        ("mfn_rate", pa.float64()),
        ("extra_rate", pa.float64()),
        ("rate", pa.float64()),
        ("duty", pa.float64()),
        ("refundable", pa.float64()),
        ("verified", pa.bool_()),
        ("measures", pa.string()),
    ]
)

# Mode of transport (shipments.mode) -> the quote's mode. Mail, a postal entry or a postal filer make a
# parcel postal. Without a mode the parcel is priced as express: the conservative reading, which grants
# none of the postal treatments (free mail up to $800, the postal duty methods) the data does not show.
TRANSPORT_MODES = {"mail": "postal", "air": "express", "ocean": "cargo", "truck": "cargo", "rail": "cargo"}
UNKNOWN_MODE = "express"
LAND_MODES = ("truck", "rail")
_DM_TYPES = ", ".join(f"'{t}'" for t in DE_MINIMIS_ENTRY_TYPES)


def duty_mode(mode: str | None, entry_type: str | None, filer_type: str | None) -> str:
    """The quote mode of a parcel from its mode of transport, entry type and filer type."""
    if mode == "mail" or entry_type == "postal" or filer_type == "postal":
        return "postal"
    return TRANSPORT_MODES.get(mode or "", UNKNOWN_MODE)


def duty_entry_type(entry_type: str | None, shipment_value: float | None) -> str | None:
    """The entry type a parcel's lines are quoted under: a de minimis claim (321, 86) is priced as the
    informal (11) or formal (01) entry it becomes when the claim fails; others as declared (None: inferred)."""
    if entry_type in DE_MINIMIS_ENTRY_TYPES:
        return "01" if Decimal(repr(float(shipment_value or 0))) > FORMAL_OVER else "11"
    return entry_type or None


def parcel_entry_fees(
    on: date,
    value: float | Decimal,
    mode: str | None,
    entry_type: str | None,
    filer_type: str | None,
    duty: float | Decimal,
) -> tuple[FeeCharge, ...]:
    """The fees of a parcel's entry, charged once per entry (19 CFR 24.22-24.24: merchandise processing fee
    informal, formal within its per-entry minimum and maximum, or express per waybill; dutiable mail fee;
    harbor maintenance fee), for its USD value, transport mode, entry type and duty. A de minimis claim is
    priced as the entry it becomes when the claim fails (whether it stands is the caller's to judge)."""
    return parcel_fee_schedule(on, value, mode, entry_type, filer_type, duty).charges(as_decimal(value or 0))


def parcel_fee_schedule(
    on: date,
    value: float | Decimal,
    mode: str | None,
    entry_type: str | None,
    filer_type: str | None,
    duty: float | Decimal,
) -> FeeSchedule:
    """The fee schedule (`duty.fees.fee_schedule`) of a parcel's entry: the same for every parcel of the same
    fee period, transport mode, entry, filer type and dutiability on the same side of the $2,500 limit."""
    amount = as_decimal(value or 0)
    kind = duty_entry_type(entry_type, float(amount)) or ("01" if amount > FORMAL_OVER else "11")
    quoted = duty_mode(mode, entry_type, filer_type)
    vessel = mode not in LAND_MODES  # truck and rail cargo uses no port: no HMF (19 CFR 24.24)
    return fee_schedule(load_tables(), on, quoted, kind, as_decimal(duty or 0) > 0, vessel)


def _mode_sql(s: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TRANSPORT_MODES.items())
    return (
        f"CASE WHEN {s}.mode = 'mail' OR {s}.entry_type = 'postal' OR {s}.filer_type = 'postal' THEN 'postal' "
        f"ELSE coalesce(CASE {s}.mode {cases} END, '{UNKNOWN_MODE}') END"
    )


@dataclass(frozen=True)
class DutyRate:
    """A line's total ad valorem rate, its parts as (measure id, rate fraction, citation), and whether verified."""

    ad_valorem: float
    components: list[tuple[str, float, str]]
    verified: bool


def _quote(hts: str | None, origin: str | None, on: date | None, value=1, **how):
    """The line's quote without fees (None when the line cannot be quoted: no code, origin or date)."""
    if not hts or not origin or on is None:
        return None
    try:
        return quote(hts, origin, on, value, with_fees=False, **how)
    except ParcelAuditError:
        return None


def _components(hts: str | None, origin: str | None, on: date | None, mode: str) -> tuple[Component, ...]:
    """The components of a $1 line of entry type 11 in the given mode (rates only, for the rate lookups)."""
    found = _quote(hts, origin, on, 1, mode=mode, entry_type="11")
    return found.components if found is not None else ()


RATE = pa.decimal128(18, 6)  # every rate in the tables has at most 6 decimals (MPF 0.003464)
CENTS = pa.decimal128(18, 2)
SIX = Decimal("0.000001")


def _rates(keys: list[dict]) -> pa.Table:
    """Per key: MFN, total and refundable rates (exact decimals), verified, measures; for a line quoted on
    its own (a metal value) its duty and refundable duty in cents."""
    names = ("hts", "origin", "mode", "kind", "seg", "band", "vkey", "mkey")
    out: dict[str, list] = {
        n: [] for n in (*names, "mfn", "total", "refund", "ok", "ids", "fixed", "fixed_refund")
    }
    for key in keys:
        own = key["mkey"] is not None
        found = _quote(
            key["hts"],
            key["origin"],
            key["first_day"],
            Decimal(key["vkey"]) if own else 1,
            mode=key["mode"],
            entry_type=key["kind"],
            shipment_value=key["shipment_value"],
            metal_value=Decimal(key["mkey"]) if own else None,
        )
        parts = found.components if found is not None else ()
        for name in names:
            out[name].append(key[name])
        out["mfn"].append(sum((c.rate for c in parts if c.program == "MFN"), Decimal(0)).quantize(SIX))
        out["total"].append(sum((c.rate for c in parts), Decimal(0)).quantize(SIX))
        out["refund"].append(sum((c.rate for c in parts if c.refundable), Decimal(0)).quantize(SIX))
        out["ok"].append(bool(parts) and all(c.status != "unverified" for c in parts))
        out["ids"].append(";".join(c.measure for c in parts if c.program != "MFN"))
        out["fixed"].append(found.amount if own and found is not None else None)
        out["fixed_refund"].append(found.refundable_amount if own and found is not None else None)
    types = {
        "seg": pa.int64(),
        "band": pa.int64(),
        "mfn": RATE,
        "total": RATE,
        "refund": RATE,
        "ok": pa.bool_(),
        "fixed": CENTS,
        "fixed_refund": CENTS,
    }
    return pa.table({n: pa.array(v, types.get(n, pa.string())) for n, v in out.items()})


def _exact_text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Floats as exact decimal text: the shortest round trip, the digits quote() reads (Decimal(repr(x)))."""
    return pc.cast(values, pa.string())


def _metal_texts(lines: pa.Table) -> pa.Table | None:
    """Per line with a metal value: its key and the metal value as exact decimal text; None when no line
    has one (the common case, which then needs no join)."""
    if "metal_value" not in lines.column_names or lines["metal_value"].null_count == lines.num_rows:
        return None
    given = lines.filter(pc.is_valid(lines["metal_value"]))
    return pa.table(
        {
            "shipment_id": given["shipment_id"],
            "line_no": given["line_no"],
            "metal_text": _exact_text(given["metal_value"]),
        }
    )


def line_duty_table(ctx: RuleContext) -> pa.Table:
    """Per-line duty of the context's lines (LINE_DUTY_SCHEMA), equal line by line to quote() (module doc).

    Keys: (hts, origin, mode, entry type, period between two change dates, value band); the value band
    counts the thresholds a postal parcel's value is over (de minimis thresholds, $800, $2,500), the only
    way a parcel's value changes a line's rates. Lines are priced in SQL on exact DECIMALs: round(value x
    rate, 2) is half away from zero, i.e. half-up for the non-negative amounts here, once per line.
    """
    changes = pa.table({"day": pa.array(change_dates(), pa.date32())})
    changes = changes.append_column("seg", pa.array(range(1, changes.num_rows + 1), pa.int64()))
    cuts = sorted({*de_minimis_thresholds(), POSTAL_METHOD_MAX, FORMAL_OVER})
    band = " + ".join(f"CAST(sv > {cut} AS BIGINT)" for cut in cuts)
    keyed = ctx.ln.append_column("value_text", _exact_text(pc.fill_null(ctx.ln["value"], 0.0)))
    metal = _metal_texts(ctx.lines)
    extra = {"duty_changes": changes, "duty_ln": keyed}
    if metal is not None:
        extra["duty_metal"] = metal
    # the parcel's value: declared, else the sum of its lines (a window, computed only when needed)
    parcel = "s.declared_value"
    if ctx.shipments["declared_value"].null_count:
        parcel = "coalesce(s.declared_value, sum(l.value) OVER (PARTITION BY l.shipment_id))"
    with ctx.session(**extra) as session:
        session.create(
            "duty_lines",
            f"""
            SELECT l.shipment_id, l.line_no, l.hts, coalesce(l.origin, l.country_of_shipment) AS origin,
                   l.arrival_date, coalesce(l.value, 0.0) AS value, l.value_text,
                   {"t.metal_text" if metal is not None else "CAST(NULL AS VARCHAR)"} AS metal_text,
                   {_mode_sql("s")} AS mode, s.entry_type, coalesce({parcel}, 0.0) AS sv,
                   coalesce(c.seg, 0) AS seg
            FROM duty_ln l JOIN shipments s USING (shipment_id)
            {"LEFT JOIN duty_metal t ON t.shipment_id = l.shipment_id AND t.line_no = l.line_no" if metal is not None else ""}
            ASOF LEFT JOIN duty_changes c ON l.arrival_date >= c.day
            """,
        )
        session.create(
            "duty_keys",
            f"""
            SELECT *, CASE WHEN mode <> 'postal' THEN '11'  -- only a postal parcel's entry type changes its rates
                           WHEN entry_type IN ({_DM_TYPES}) THEN CASE WHEN sv > {FORMAL_OVER} THEN '01' ELSE '11' END
                           ELSE nullif(entry_type, '') END AS kind,
                   CASE WHEN mode = 'postal' THEN {band} ELSE 0 END AS band,
                   CASE WHEN metal_text IS NOT NULL THEN value_text END AS vkey, metal_text AS mkey
            FROM duty_lines
            """,
        )
        keys = session.query("""
            SELECT hts, origin, mode, kind, seg, band, vkey, mkey, min(arrival_date) AS first_day,
                   min(sv) AS shipment_value
            FROM duty_keys GROUP BY ALL ORDER BY ALL
        """).to_pylist()
        session.register("duty_rates", _rates(keys))
        table = session.query("""
            SELECT k.shipment_id, k.line_no, k.hts, k.origin, k.arrival_date, k.value,
                   CAST(coalesce(r.mfn, 0) AS DOUBLE) AS mfn_rate,
                   CAST(coalesce(r.total - r.mfn, 0) AS DOUBLE) AS extra_rate,
                   CAST(coalesce(r.total, 0) AS DOUBLE) AS rate,
                   CAST(coalesce(r.fixed, round(TRY_CAST(k.value_text AS DECIMAL(30, 17)) * coalesce(r.total, 0), 2),
                                 round(k.value * CAST(coalesce(r.total, 0) AS DOUBLE), 2)) AS DOUBLE) AS duty,
                   CAST(coalesce(r.fixed_refund,
                                 round(TRY_CAST(k.value_text AS DECIMAL(30, 17)) * coalesce(r.refund, 0), 2),
                                 round(k.value * CAST(coalesce(r.refund, 0) AS DOUBLE), 2)) AS DOUBLE) AS refundable,
                   coalesce(r.ok, false) AS verified, coalesce(r.ids, '') AS measures
            FROM duty_keys k
            LEFT JOIN duty_rates r ON r.hts IS NOT DISTINCT FROM k.hts AND r.origin IS NOT DISTINCT FROM k.origin
                 AND r.mode = k.mode AND r.kind IS NOT DISTINCT FROM k.kind AND r.seg = k.seg AND r.band = k.band
                 AND r.vkey IS NOT DISTINCT FROM k.vkey AND r.mkey IS NOT DISTINCT FROM k.mkey
            ORDER BY k.shipment_id, k.line_no
        """)
    return table.cast(LINE_DUTY_SCHEMA)


def compute_duty(shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None) -> pa.Table:
    """Per line: shipment_id, line_no, rate, duty, refundable (plus hts, origin, verified) on each date."""
    with RuleContext(shipments, lines, orders) as ctx:
        return line_duty_table(ctx).select(
            ["shipment_id", "line_no", "hts", "origin", "rate", "duty", "refundable", "verified"]
        )


def quote_parts(
    hts_code: str | None,
    origin: str | None,
    on: date,
    value: float = 1.0,
    *,
    mode: str = "express",
    entry_type: str | None = "11",
    shipment_value: float | None = None,
    metal_value: float | None = None,
) -> list[dict]:
    """measure_id, rate, amount (USD), citation, status and note of each component of a line's quote, for
    the line's value, mode, entry type and parcel value (for explanations; the defaults price $1 express)."""
    found = _quote(
        hts_code,
        origin,
        on,
        value,
        mode=mode,
        entry_type=entry_type,
        shipment_value=shipment_value,
        metal_value=metal_value,
    )
    return [
        {
            "measure_id": c.measure,
            "rate": float(c.rate),
            "amount": str(c.amount),
            "citation": c.citation,
            "status": c.status,
            "note": c.note,
        }
        for c in (found.components if found is not None else ())
    ]


def line_duty_rate(hts_code: str, country_of_origin: str | None, on: date) -> DutyRate:
    """The total ad valorem rate for one HTS code and origin on a date, with its components and citations."""
    parts = _components(hts_code, country_of_origin, on, "express")
    return DutyRate(
        ad_valorem=float(sum((c.rate for c in parts), Decimal(0))),
        components=[(c.measure, float(c.rate), c.citation) for c in parts],
        verified=bool(parts) and all(c.status != "unverified" for c in parts),
    )


def _postal_duty_at_transaction_value(ctx: RuleContext, factors: pa.Table) -> pa.Table:
    """Per undervalued postal parcel (its order worth more than declared): the duty quote() gives its lines
    at transaction value (values and parcel value scaled by the order's factor). A postal parcel's rates
    depend on its value (free mail and the postal methods stop at $800), so its duty does not scale."""
    rows = ctx.query(
        f"""
        SELECT l.shipment_id, l.hts, coalesce(l.origin, l.country_of_shipment) AS origin, l.arrival_date,
               coalesce(l.value, 0.0) AS value, s.entry_type, f.factor,
               coalesce(s.declared_value, sum(l.value) OVER (PARTITION BY l.shipment_id), 0.0) AS sv
        FROM ln l JOIN shipments s USING (shipment_id) JOIN duty_factors f USING (shipment_id)
        WHERE f.factor > 1 AND ({_mode_sql("s")}) = 'postal'
        ORDER BY l.shipment_id, l.line_no
        """,
        duty_factors=factors,
    ).to_pylist()
    owed: dict[str, Decimal] = {}
    for row in rows:
        parcel = row["sv"] * row["factor"]
        found = _quote(
            row["hts"],
            row["origin"],
            row["arrival_date"],
            row["value"] * row["factor"],
            mode="postal",
            entry_type=duty_entry_type(row["entry_type"], parcel),
            shipment_value=parcel,
        )
        owed[row["shipment_id"]] = owed.get(row["shipment_id"], Decimal(0)) + (found.amount if found else 0)
    return pa.table(
        {
            "shipment_id": pa.array(list(owed), pa.string()),
            "duty": pa.array([float(v) for v in owed.values()], pa.float64()),
        }
    )


def shipment_duty(ctx: RuleContext, line_duty: pa.Table, findings: pa.Table) -> pa.Table:
    """Per shipment: shipment_id, duty_owed (0 for a valid de minimis claim), duty_at_risk (the duty and fees
    owed but left unpaid: the loss of revenue of 19 U.S.C. 1592) and fees (its entry's fees, `_entry_fees`;
    0 for a valid de minimis claim), from the line duty (line_duty_table) and the run's findings (rule ids).

    The duty at risk is the duty on the transaction value the declaration avoids: all of it when a de minimis
    claim is invalid (any DM-* finding, or an undervalued claim whose transaction value is over the
    threshold), else the duty on the gap between declared and transaction value. The duty at transaction
    value is the line duty scaled by the order's factor, except for a postal parcel, whose lines are quoted
    again at transaction value (its rates depend on its value). The fees at risk are the fees of the entry
    at transaction value (a denied claim priced as the entry it becomes, an informal entry over $2,500 as a
    formal one, dutiable when it owes duty) less the fees the declared entry pays (none for a de minimis
    claim), never below 0.
    """
    factors = ctx.query(
        """
        SELECT s.shipment_id, greatest(1.0, o.order_value / nullif(o.declared_value, 0)) AS factor
        FROM shipments s JOIN order_totals o ON o.order_id = s.order_id
    """,
        order_totals=order_totals(ctx),
    )
    duty = ctx.query(
        f"""
        WITH ld AS (
            SELECT shipment_id, {exact_sum("duty")} AS duty FROM line_duty GROUP BY 1
        ), dm_bad AS (SELECT DISTINCT shipment_id FROM findings WHERE rule_id LIKE 'DM-%'),
        judged AS (
            SELECT s.shipment_id, s.declared_value, s.entry_type, d.shipment_id IS NOT NULL AS claimed,
                   coalesce(f.factor, 1) AS factor, coalesce(ld.duty, 0.0) AS duty,
                   coalesce(tv.duty, coalesce(ld.duty, 0.0) * coalesce(f.factor, 1)) AS tv_duty,
                   tv.shipment_id IS NOT NULL AS requoted,
                   d.shipment_id IS NOT NULL AND (b.shipment_id IS NOT NULL
                      OR s.declared_value * coalesce(f.factor, 1) > d.threshold) AS denied,
                   d.shipment_id IS NOT NULL AND b.shipment_id IS NULL
                      AND (d.threshold IS NULL OR s.declared_value * coalesce(f.factor, 1) <= d.threshold) AS stands
            FROM shipments s
            LEFT JOIN ld USING (shipment_id)
            LEFT JOIN dm d USING (shipment_id)
            LEFT JOIN dm_bad b USING (shipment_id)
            LEFT JOIN duty_factors f USING (shipment_id)
            LEFT JOIN postal_at_tv tv USING (shipment_id)
        )
        SELECT shipment_id, declared_value, entry_type, claimed, factor, tv_duty,
               round(CASE WHEN stands THEN 0.0 ELSE duty END, 2) AS duty_owed,
               stands AND entry_type IN ({_DM_TYPES}) AS claim_stands,
               round(CASE WHEN denied THEN tv_duty WHEN claimed THEN 0.0
                          WHEN requoted THEN greatest(0.0, tv_duty - duty)
                          ELSE duty * (factor - 1) END, 2) AS duty_at_risk,
               coalesce(denied OR (NOT claimed AND factor > 1), false) AS fees_at_risk
        FROM judged
    """,
        line_duty=line_duty,
        findings=findings.select(["shipment_id", "rule_id"]),
        duty_factors=factors,
        postal_at_tv=_postal_duty_at_transaction_value(ctx, factors),
    )
    declared = ctx.query(
        "SELECT shipment_id, declared_value AS value, entry_type, duty_owed > 0 AS dutiable FROM d "
        "WHERE NOT coalesce(claim_stands, false)",
        d=duty,
    )
    owed = ctx.query(
        f"""
        SELECT shipment_id, declared_value * factor AS value,
               CASE WHEN entry_type = '11' AND declared_value * factor > {FORMAL_OVER} THEN '01'
                    ELSE entry_type END AS entry_type, round(tv_duty, 2) > 0 AS dutiable
        FROM d WHERE fees_at_risk
        """,
        d=duty,
    )
    return ctx.query(
        """
        SELECT d.shipment_id, d.duty_owed,
               CASE WHEN d.fees_at_risk THEN round(d.duty_at_risk + greatest(0.0, coalesce(o.fees, 0.0)
                    - CASE WHEN d.claimed THEN 0.0 ELSE coalesce(f.fees, 0.0) END), 2)
                    ELSE d.duty_at_risk END AS duty_at_risk,
               coalesce(f.fees, 0.0) AS fees
        FROM fee_duty d LEFT JOIN fee_parcels f USING (shipment_id) LEFT JOIN fee_owed o USING (shipment_id)
        """,
        fee_duty=duty,
        fee_parcels=_entry_fees(ctx, declared),
        fee_owed=_entry_fees(ctx, owed),
    )


def _entry_fees(ctx: RuleContext, entries: pa.Table) -> pa.Table:
    """shipment_id, fees: the fees of each entry of entries (shipment_id, value, entry_type, dutiable), with the
    parcel's date, transport mode and filer type, by `parcel_fee_schedule` (i.e. duty/fees.py, the one fee
    computation `parcel_entry_fees` and `explain` use); none for an entry without a value or arrival date
    (as `explain` shows them).

    Fees change only on the fee table's dates and depend on the value only for a formal entry (MPF within
    its minimum and maximum) or ocean cargo (HMF): one schedule per (fee period, mode, entry type, filer type,
    dutiable, over $2,500), charged once per distinct value where the value matters, the amounts joined back.
    """
    rows = load_tables().fees
    days = sorted({f.start for f in rows} | {f.end + timedelta(days=1) for f in rows if f.end < OPEN_END})
    changes = pa.table(
        {"day": pa.array(days, pa.date32()), "seg": pa.array(range(1, len(days) + 1), pa.int64())}
    )
    key = "seg, mode, entry_type, filer_type, dutiable, formal, vkey"
    with ctx.session(fee_entries=entries, fee_changes=changes) as session:
        session.create(
            "fee_keys",
            f"""
            SELECT e.shipment_id, s.arrival_date, e.value, s.mode, e.entry_type, s.filer_type,
                   coalesce(c.seg, 0) AS seg, e.dutiable, e.value > {FORMAL_OVER} AS formal,
                   CASE WHEN e.value > {FORMAL_OVER} OR e.entry_type = '01' OR ({_mode_sql("s")}) = 'cargo'
                        THEN e.value END AS vkey
            FROM fee_entries e JOIN shipments s USING (shipment_id)
            ASOF LEFT JOIN fee_changes c ON s.arrival_date >= c.day
            WHERE e.value IS NOT NULL AND s.arrival_date IS NOT NULL
            """,
        )
        keys = session.query(
            f"SELECT {key}, min(arrival_date) AS first_day, min(value) AS value FROM fee_keys GROUP BY ALL"
        ).to_pylist()
        schedules: dict[tuple, FeeSchedule] = {}
        amounts = []
        for k in keys:
            group = (k["seg"], k["mode"], k["entry_type"], k["filer_type"], k["dutiable"], k["formal"])
            if group not in schedules:
                schedules[group] = parcel_fee_schedule(
                    k["first_day"],
                    k["value"],
                    k["mode"],
                    k["entry_type"],
                    k["filer_type"],
                    int(k["dutiable"]),
                )
            charges = schedules[group].charges(as_decimal(k["value"]))
            amounts.append(sum((f.amount for f in charges), Decimal(0)))
        found = session.query("SELECT * FROM fee_keys LIMIT 0").schema
        columns = {n: pa.array([k[n] for k in keys], found.field(n).type) for n in key.split(", ")}
        session.register("fee_amounts", pa.table({**columns, "amount": pa.array(amounts, CENTS)}))
        joins = " AND ".join(f"a.{n} IS NOT DISTINCT FROM k.{n}" for n in key.split(", "))
        return session.query(
            f"SELECT k.shipment_id, CAST(a.amount AS DOUBLE) AS fees FROM fee_keys k JOIN fee_amounts a ON {joins}"
        )
