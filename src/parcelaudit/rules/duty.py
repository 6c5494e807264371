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

from parcelaudit.arrow_sql import exact_sum
from parcelaudit.duty import Component, quote
from parcelaudit.duty.quote import change_dates
from parcelaudit.errors import ParcelAuditError
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.derived import order_totals

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


def _components(hts: str | None, origin: str | None, on: date | None, mode: str) -> tuple[Component, ...]:
    """The priced-at-$1 components of a line (empty when the line cannot be quoted: no code, origin or date)."""
    if not hts or not origin or on is None:
        return ()
    try:
        # Entry type 11: the duty the line owes when entered; de minimis is judged per shipment below.
        return quote(hts, origin, on, 1, mode=mode, entry_type="11", with_fees=False).components
    except ParcelAuditError:
        return ()


RATE = pa.decimal128(18, 6)  # every rate in the tables has at most 6 decimals (MPF 0.003464)


def _rates(keys: list[dict]) -> pa.Table:
    """Per key (hts, origin, mode, segment): MFN, total and refundable rates (exact decimals), verified, measures."""
    out: dict[str, list] = {
        n: [] for n in ("hts", "origin", "mode", "seg", "mfn", "total", "refund", "ok", "ids")
    }
    for key in keys:
        parts = _components(key["hts"], key["origin"], key["first_day"], key["mode"])
        for name in ("hts", "origin", "mode", "seg"):
            out[name].append(key[name])
        out["mfn"].append(sum((c.rate for c in parts if c.program == "MFN"), Decimal(0)))
        out["total"].append(sum((c.rate for c in parts), Decimal(0)))
        out["refund"].append(sum((c.rate for c in parts if c.refundable), Decimal(0)))
        out["ok"].append(bool(parts) and all(c.status != "unverified" for c in parts))
        out["ids"].append(";".join(c.measure for c in parts if c.program != "MFN"))
    types = {"seg": pa.int64(), "mfn": RATE, "total": RATE, "refund": RATE, "ok": pa.bool_()}
    return pa.table({n: pa.array(v, types.get(n, pa.string())) for n, v in out.items()})


def line_duty_table(ctx: RuleContext) -> pa.Table:
    """Per-line duty of the context's lines (LINE_DUTY_SCHEMA).

    Components only change on `change_dates()`, so the API is asked once per (hts, origin, mode, period
    between two change dates); lines are priced in SQL on exact DECIMALs: round(value x rate, 2) is half
    away from zero, i.e. half-up for the non-negative amounts here, computed once per line.
    """
    changes = pa.table({"day": pa.array(change_dates(), pa.date32())})
    changes = changes.append_column("seg", pa.array(range(1, changes.num_rows + 1), pa.int64()))
    with ctx.session(duty_changes=changes) as session:
        session.create(
            "duty_keys",
            """
            SELECT l.shipment_id, l.line_no, l.hts, coalesce(l.origin, l.country_of_shipment) AS origin,
                   l.arrival_date, coalesce(l.value, 0.0) AS value,
                   CASE WHEN s.mode = 'mail' OR l.entry_type = 'postal' THEN 'postal'
                        WHEN s.mode = 'ocean' THEN 'cargo' ELSE 'express' END AS mode,
                   coalesce(c.seg, 0) AS seg
            FROM ln l JOIN shipments s USING (shipment_id)
            ASOF LEFT JOIN duty_changes c ON l.arrival_date >= c.day
            """,
        )
        keys = session.query("""
            SELECT hts, origin, mode, seg, min(arrival_date) AS first_day FROM duty_keys
            GROUP BY ALL ORDER BY ALL
        """).to_pylist()
        session.register("duty_rates", _rates(keys))
        table = session.query("""
            SELECT k.shipment_id, k.line_no, k.hts, k.origin, k.arrival_date, k.value,
                   CAST(coalesce(r.mfn, 0) AS DOUBLE) AS mfn_rate,
                   CAST(coalesce(r.total - r.mfn, 0) AS DOUBLE) AS extra_rate,
                   CAST(coalesce(r.total, 0) AS DOUBLE) AS rate,
                   CAST(round(CAST(k.value AS DECIMAL(18, 6)) * coalesce(r.total, 0), 2) AS DOUBLE) AS duty,
                   CAST(round(CAST(k.value AS DECIMAL(18, 6)) * coalesce(r.refund, 0), 2) AS DOUBLE) AS refundable,
                   coalesce(r.ok, false) AS verified, coalesce(r.ids, '') AS measures
            FROM duty_keys k
            LEFT JOIN duty_rates r ON r.hts IS NOT DISTINCT FROM k.hts AND r.origin IS NOT DISTINCT FROM k.origin
                 AND r.mode = k.mode AND r.seg = k.seg
            ORDER BY k.shipment_id, k.line_no
        """)
    return table.cast(LINE_DUTY_SCHEMA)


def compute_duty(shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None) -> pa.Table:
    """Per line: shipment_id, line_no, rate, duty, refundable (plus hts, origin, verified) on each date."""
    with RuleContext(shipments, lines, orders) as ctx:
        return line_duty_table(ctx).select(
            ["shipment_id", "line_no", "hts", "origin", "rate", "duty", "refundable", "verified"]
        )


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


def shipment_duty(ctx: RuleContext, line_duty: pa.Table, findings: pa.Table) -> pa.Table:
    """Per shipment: shipment_id, duty_owed (0 for a valid de minimis claim) and duty_at_risk (owed but left
    unpaid), from the line duty (line_duty_table) and the run's findings (rule ids).

    duty_at_risk is the duty on the transaction value the declaration avoids: all of it when a de minimis
    claim is invalid (any DM-* finding, or an undervalued claim whose transaction value is over the
    threshold), else the duty on the gap between declared and transaction value.
    """
    return ctx.query(
        f"""
        WITH ld AS (
            SELECT shipment_id, {exact_sum("duty")} AS duty FROM line_duty GROUP BY 1
        ), dm_bad AS (SELECT DISTINCT shipment_id FROM findings WHERE rule_id LIKE 'DM-%')
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
        LEFT JOIN (SELECT order_id, greatest(1.0, order_value / nullif(declared_value, 0)) AS factor
                   FROM order_totals) f
          ON f.order_id = s.order_id
    """,
        line_duty=line_duty,
        findings=findings.select(["shipment_id", "rule_id"]),
        order_totals=order_totals(ctx),
    )
