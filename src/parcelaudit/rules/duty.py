"""Duty: per line the MFN general ad valorem rate of its HTS line plus the additional duties by origin in force
on the arrival date (additional_duties.csv); per shipment the duty owed and the duty at risk.

Rates are fractions (0.16 = 16%). A rate is `verified` only when the HTS line is in the loaded schedule with a
pure ad valorem MFN rate and every additional measure applied is marked verified. Specific and compound
rates (per kg, per dozen) are not converted: such lines are unverified. Money is float64 dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from parcelaudit.rules.context import RuleContext, exact_sum
from parcelaudit.rules.policy import Policy

MFN_CITATION = "USITC Harmonized Tariff Schedule 2025, column 1 general rate"


@dataclass(frozen=True)
class DutyRate:
    """A line's total ad valorem rate, its parts as (measure id, rate fraction, citation), and whether verified."""

    ad_valorem: float
    components: list[tuple[str, float, str]]
    verified: bool


def line_duty_sql() -> str:
    """SQL over the context's relations giving per line: hts, origin, mfn_rate, extra_rate, rate, duty, measures.

    Additional measures are matched once per distinct (code, origin) by prefix and once per distinct
    (code, origin, date) by period, so the lines meet them in plain equi-joins.
    """
    return f"""
        WITH codes AS (
            SELECT DISTINCT hts, coalesce(origin, country_of_shipment) AS origin FROM ln WHERE hts IS NOT NULL
        ), measures AS (
            SELECT c.hts, c.origin, a.measure_id, a.rate, a.effective_from, a.effective_to,
                   coalesce(a.verified, false) AS verified
            FROM codes c JOIN additional_duties a
              ON (a.country = '*' OR a.country = c.origin)
             AND (a.hts_prefix = '*' OR starts_with(c.hts, a.hts_prefix))
            QUALIFY row_number() OVER (PARTITION BY c.hts, c.origin, a.measure_id, a.effective_from
                                       ORDER BY length(a.hts_prefix) DESC) = 1
        ), combos AS (
            SELECT DISTINCT hts, coalesce(origin, country_of_shipment) AS origin, arrival_date FROM ln
            WHERE hts IS NOT NULL
        ), rates AS (
            SELECT c.hts, c.origin, c.arrival_date, {exact_sum("m.rate")} AS extra_rate,
                   bool_and(m.verified) AS extra_verified,
                   string_agg(m.measure_id, ';' ORDER BY m.measure_id) AS measures
            FROM combos c JOIN measures m ON m.hts = c.hts AND m.origin = c.origin
            WHERE c.arrival_date BETWEEN m.effective_from AND m.effective_to
            GROUP BY c.hts, c.origin, c.arrival_date
        )
        SELECT l.shipment_id, l.line_no, l.hts, coalesce(l.origin, l.country_of_shipment) AS origin,
               l.arrival_date, coalesce(l.value, 0.0) AS value,
               coalesce(h.mfn_ad_valorem, 0.0) AS mfn_rate, coalesce(r.extra_rate, 0.0) AS extra_rate,
               coalesce(h.mfn_ad_valorem, 0.0) + coalesce(r.extra_rate, 0.0) AS rate,
               coalesce(l.value, 0.0) * (coalesce(h.mfn_ad_valorem, 0.0) + coalesce(r.extra_rate, 0.0)) AS duty,
               coalesce(h.verified, false) AND coalesce(r.extra_verified, true) AS verified,
               coalesce(h.rate_text, 'unknown') AS mfn_text,
               coalesce(r.measures, '') AS measures
        FROM ln l
        LEFT JOIN hts_lines h ON h.hts8 = left(l.hts, 8)
        LEFT JOIN rates r ON r.hts = l.hts AND r.origin = coalesce(l.origin, l.country_of_shipment)
                         AND r.arrival_date = l.arrival_date
    """


def measure_components(
    policy: Policy, measures: str, hts: str | None, origin: str | None, on: date
) -> list[tuple[str, float, str]]:
    """(measure id, rate, citation) for a line's ';'-separated additional measures on a date."""
    wanted = {m for m in measures.split(";") if m}
    found: dict[str, tuple[int, tuple[str, float, str]]] = {}
    for row in policy.in_force("additional_duties", on):
        prefix = row["hts_prefix"]
        if row["measure_id"] not in wanted or row["country"] not in ("*", origin):
            continue
        if prefix != "*" and not (hts or "").startswith(prefix):
            continue
        rank = 0 if prefix == "*" else len(prefix)
        if rank >= found.get(row["measure_id"], (-1, None))[0]:
            found[row["measure_id"]] = (rank, (row["measure_id"], row["rate"], row["citation"]))
    return [found[m][1] for m in sorted(found)]


def line_duty_table(ctx: RuleContext) -> pa.Table:
    """Per-line duty in the context (also kept in it as the table `line_duty` for the shipment roll-up)."""
    ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE line_duty AS {line_duty_sql()}")
    return ctx.query("SELECT * FROM line_duty")


def compute_duty(shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None) -> pa.Table:
    """Per line: shipment_id, line_no, rate, duty (plus hts, origin, verified) under the rules on each date."""
    ctx = RuleContext(shipments, lines, orders)
    try:
        return line_duty_table(ctx).select(
            ["shipment_id", "line_no", "hts", "origin", "rate", "duty", "verified"]
        )
    finally:
        ctx.close()


def line_duty_rate(hts_code: str, country_of_origin: str | None, on: date) -> DutyRate:
    """The total ad valorem rate for one HTS code and origin on a date, with its components and citations."""
    shipments = pa.table(
        {
            "shipment_id": ["q"],
            "entry_type": ["11"],
            "arrival_date": pa.array([on], pa.date32()),
            "country_of_shipment": [country_of_origin],
            "declared_value": [1.0],
        }
    )
    lines = pa.table(
        {
            "shipment_id": ["q"],
            "line_no": pa.array([1], pa.int64()),
            "hts_code": [hts_code],
            "country_of_origin": [country_of_origin],
            "value": [1.0],
        }
    )
    ctx = RuleContext(shipments, lines)
    try:
        row = line_duty_table(ctx).to_pylist()[0]
    finally:
        ctx.close()
    hts8 = (row["hts"] or "")[:8]
    components = [("MFN", row["mfn_rate"], f"{MFN_CITATION}, {hts8} ({row['mfn_text']})")]
    components += measure_components(ctx.policy, row["measures"], row["hts"], row["origin"], on)
    return DutyRate(ad_valorem=row["rate"], components=components, verified=bool(row["verified"]))


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
            SELECT shipment_id, {exact_sum("duty")} AS duty FROM line_duty GROUP BY 1
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
