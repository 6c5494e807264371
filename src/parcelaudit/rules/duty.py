"""Duty per line and per shipment, from the duty API (`parcelaudit.duty.quote`): one source of truth.

Per line: the components of `quote()` for the line's HTS, origin, arrival date and mode, priced on the
line value; the line duty is the exact sum rounded once to cents, half-up (parcelaudit.duty.money). Quotes are computed once per distinct (hts, origin, date, mode) and joined back,
so a million lines cost a few thousand quotes. A line is `verified` only when no component is unverified
or not covered by the tables; `refundable` is the part of its duty that is refundable (IEEPA duties).
Money is float64 dollars holding exact cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pyarrow as pa

from parcelaudit.duty import Component, quote
from parcelaudit.duty.money import as_decimal, cents
from parcelaudit.errors import ParcelAuditError
from parcelaudit.rules.context import RuleContext

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


@dataclass(frozen=True)
class DutyRate:
    """A line's total ad valorem rate, its parts as (measure id, rate fraction, citation), and whether verified."""

    ad_valorem: float
    components: list[tuple[str, float, str]]
    verified: bool


def _mode(mode: str | None, entry_type: str | None) -> str:
    if mode == "mail" or entry_type == "postal":
        return "postal"
    return "cargo" if mode == "ocean" else "express"


def _components(hts: str | None, origin: str | None, on: date | None, mode: str) -> tuple[Component, ...]:
    """The priced-at-$1 components of a line (empty when the line cannot be quoted: no code, origin or date)."""
    if not hts or not origin or on is None:
        return ()
    try:
        # Entry type 11: the duty the line owes when entered; de minimis is judged per shipment below.
        return quote(hts, origin, on, 1, mode=mode, entry_type="11").components
    except ParcelAuditError:
        return ()


def line_duty_table(ctx: RuleContext) -> pa.Table:
    """Per-line duty in the context (also kept in it as the table `line_duty` for the shipment roll-up)."""
    rows = ctx.query("""
        SELECT l.shipment_id, l.line_no, l.hts, coalesce(l.origin, l.country_of_shipment) AS origin,
               l.arrival_date, coalesce(l.value, 0.0) AS value, s.mode, l.entry_type
        FROM ln l JOIN shipments s USING (shipment_id)
        ORDER BY l.shipment_id, l.line_no
    """).to_pylist()
    cache: dict[tuple, tuple[Component, ...]] = {}
    out: dict[str, list] = {name: [] for name in LINE_DUTY_SCHEMA.names}
    for row in rows:
        key = (row["hts"], row["origin"], row["arrival_date"], _mode(row["mode"], row["entry_type"]))
        if key not in cache:
            cache[key] = _components(*key)
        parts = cache[key]
        value = as_decimal(row["value"])
        exact = [c.amount if c.rate == 0 else value * c.rate for c in parts]
        mfn = sum((c.rate for c in parts if c.program == "MFN"), Decimal(0))
        total = sum((c.rate for c in parts), Decimal(0))
        for name in ("shipment_id", "line_no", "hts", "origin", "arrival_date"):
            out[name].append(row[name])
        out["value"].append(row["value"])
        out["mfn_rate"].append(float(mfn))
        out["extra_rate"].append(float(total - mfn))
        out["rate"].append(float(total))
        out["duty"].append(float(cents(sum(exact, Decimal(0)))))
        out["refundable"].append(
            float(cents(sum((a for a, c in zip(exact, parts, strict=True) if c.refundable), Decimal(0))))
        )
        out["verified"].append(bool(parts) and all(c.status != "unverified" for c in parts))
        out["measures"].append(";".join(c.measure for c in parts if c.program != "MFN"))
    table = pa.table(out, schema=LINE_DUTY_SCHEMA)
    ctx.con.register("line_duty_arrow", table)
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE line_duty AS SELECT * FROM line_duty_arrow")
    ctx.con.unregister("line_duty_arrow")
    return table


def compute_duty(shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None) -> pa.Table:
    """Per line: shipment_id, line_no, rate, duty, refundable (plus hts, origin, verified) on each date."""
    ctx = RuleContext(shipments, lines, orders)
    try:
        return line_duty_table(ctx).select(
            ["shipment_id", "line_no", "hts", "origin", "rate", "duty", "refundable", "verified"]
        )
    finally:
        ctx.close()


def quote_parts(hts_code: str | None, origin: str | None, on: date) -> list[dict]:
    """measure_id, rate, citation, status and note of each component of a line's quote (for explanations)."""
    return [
        {
            "measure_id": c.measure,
            "rate": float(c.rate),
            "citation": c.citation,
            "status": c.status,
            "note": c.note,
        }
        for c in _components(hts_code, origin, on, "express")
    ]


def line_duty_rate(hts_code: str, country_of_origin: str | None, on: date) -> DutyRate:
    """The total ad valorem rate for one HTS code and origin on a date, with its components and citations."""
    parts = _components(hts_code, country_of_origin, on, "express")
    return DutyRate(
        ad_valorem=float(sum((c.rate for c in parts), Decimal(0))),
        components=[(c.measure, float(c.rate), c.citation) for c in parts],
        verified=bool(parts) and all(c.status != "unverified" for c in parts),
    )


def shipment_duty_sql(ctx: RuleContext, findings: str) -> str:
    """Per shipment: duty_owed (0 for a valid de minimis claim) and duty_at_risk (owed but left unpaid).

    duty_at_risk is the duty on the transaction value the declaration avoids: all of it when a de minimis
    claim is invalid (any DM-* finding, or an undervalued claim whose transaction value is over the
    threshold), else the duty on the gap between declared and transaction value. Needs line_duty_table first;
    findings names a relation in the context with rule ids.
    """
    totals = ctx.order_totals()
    return f"""
        WITH ld AS (
            SELECT shipment_id, sum(duty) AS duty FROM line_duty GROUP BY 1
        ), dm_bad AS (SELECT DISTINCT shipment_id FROM {findings} WHERE rule_id LIKE 'DM-%')
        SELECT s.shipment_id,
               round(CASE WHEN d.shipment_id IS NOT NULL AND b.shipment_id IS NULL
                          AND (d.threshold IS NULL OR s.declared_value * coalesce(f.factor, 1) <= d.threshold)
                     THEN 0.0 ELSE coalesce(ld.duty, 0.0) END, 2) AS duty_owed,
               round(CASE
                 WHEN d.shipment_id IS NOT NULL AND (b.shipment_id IS NOT NULL
                      OR s.declared_value * coalesce(f.factor, 1) > d.threshold)
                   THEN coalesce(ld.duty, 0.0) * coalesce(f.factor, 1)
                 WHEN d.shipment_id IS NOT NULL THEN 0.0
                 ELSE coalesce(ld.duty, 0.0) * (coalesce(f.factor, 1) - 1) END, 2) AS duty_at_risk
        FROM shipments s
        LEFT JOIN ld USING (shipment_id)
        LEFT JOIN dm d USING (shipment_id)
        LEFT JOIN dm_bad b USING (shipment_id)
        LEFT JOIN (SELECT order_id, greatest(1.0, order_value / nullif(declared_value, 0)) AS factor FROM {totals}) f
          ON f.order_id = s.order_id
    """


def shipment_duty(ctx: RuleContext, findings: pa.Table) -> pa.Table:
    """Per shipment: shipment_id, duty_owed, duty_at_risk (see shipment_duty_sql)."""
    ctx.con.register("run_findings", findings)
    return ctx.query(shipment_duty_sql(ctx, "run_findings"))
