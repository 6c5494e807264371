"""Tables the rules share, derived from the inputs and the policy: line keys (`ln`), de minimis claims with
their thresholds and suspensions (`dm`), and order totals. Arrow in, Arrow out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from parcelaudit.arrow_sql import ArrowSQL, exact_sum
from parcelaudit.schema import DE_MINIMIS_ENTRY_TYPES

if TYPE_CHECKING:
    from parcelaudit.rules.context import RuleContext

_DM_TYPES = ", ".join(f"'{t}'" for t in DE_MINIMIS_ENTRY_TYPES)


def line_keys(session: ArrowSQL) -> pa.Table:
    """Per line: keys, value, SKU, HTS digits, origin and manufacturer country, with the shipment's date,
    entry type, country of shipment and whether it claims de minimis (from `lines` and `shipments`)."""
    return session.query(f"""
            SELECT l.shipment_id, l.line_no, l.value, l.sku, l.hts,
                   nullif(l.country_of_origin, '') AS origin,
                   nullif(l.manufacturer_country, '') AS mfr_country,
                   s.arrival_date, s.entry_type, s.entry_type IN ({_DM_TYPES}) AS dm_claimed,
                   s.country_of_shipment
            FROM lines l JOIN shipments s USING (shipment_id)
        """)


def claims(session: ArrowSQL) -> pa.Table:
    """Shipments claiming de minimis with the thresholds in force on their date and the suspension (if any)
    that makes the claim unavailable (from `shipments`, `ln` and the policy tables)."""
    with session.scope() as scope:
        # Thresholds in force on each de minimis claim's date; gift thresholds may depend on the
        # country of shipment (USVI, Guam, American Samoa), the specific row wins over '*'.
        scope.create(
            "dm_all",
            f"""
            SELECT s.shipment_id, s.arrival_date, s.country_of_shipment, s.declared_value, s.order_id,
                   coalesce(s.gift, false) AS gift, s.consignee_name, s.consignee_address,
                   s.currency_original, s.declared_value_original, s.usd_per_unit, s.rate_date, s.rate_source,
                   g.threshold_usd AS general_threshold,
                   coalesce(gs.threshold_usd, gd.threshold_usd) AS gift_threshold,
                   CASE WHEN coalesce(s.gift, false) THEN coalesce(gs.threshold_usd, gd.threshold_usd)
                        ELSE g.threshold_usd END AS threshold,
                   CASE WHEN coalesce(s.gift, false) THEN coalesce(gs.citation, gd.citation)
                        ELSE g.citation END AS threshold_citation
            FROM shipments s
            LEFT JOIN de_minimis_thresholds g ON g.kind = 'general' AND g.country = '*'
                 AND s.arrival_date BETWEEN g.effective_from AND g.effective_to
            LEFT JOIN de_minimis_thresholds gs ON gs.kind = 'gift' AND gs.country = s.country_of_shipment
                 AND s.arrival_date BETWEEN gs.effective_from AND gs.effective_to
            LEFT JOIN de_minimis_thresholds gd ON gd.kind = 'gift' AND gd.country = '*'
                 AND s.arrival_date BETWEEN gd.effective_from AND gd.effective_to
            WHERE s.entry_type IN ({_DM_TYPES})
            """,
        )
        # A claim is suspended when a suspension in force on its date covers the origin of any line (or,
        # without lines, the country of shipment; basis 'shipment' rows look at the country of shipment).
        # Suspended claims are judged by DM-ELIG alone: with duty-free de minimis unavailable there is no
        # threshold to compare against. Lines whose goods a suspension does not reach (50 U.S.C. 1702(b):
        # informational materials) do not make the claim suspended (a line may be outside several suspensions
        # in force on a date, e.g. the China and Hong Kong ones); 'declaration' rows (donations) need a
        # field the schema lacks: not applied.
        return scope.query("""
            WITH lines_of AS (
                SELECT d.shipment_id, d.arrival_date, d.gift, d.country_of_shipment, l.line_no, l.hts,
                       coalesce(l.origin, d.country_of_shipment) AS origin
                FROM dm_all d LEFT JOIN ln l USING (shipment_id)
            ), exempt AS (
                SELECT o.shipment_id, o.line_no, list(DISTINCT e.measure_id) AS measures FROM lines_of o
                JOIN suspension_exemptions e ON e.basis = 'hts' AND starts_with(o.hts, e.hts_prefix)
                 AND o.arrival_date BETWEEN e.effective_from AND e.effective_to
                GROUP BY o.shipment_id, o.line_no
            ), origins AS (
                SELECT o.*, coalesce(x.measures, []) AS exempt_from FROM lines_of o
                LEFT JOIN exempt x ON x.shipment_id = o.shipment_id AND x.line_no IS NOT DISTINCT FROM o.line_no
            ), suspended AS (
                SELECT o.shipment_id, min(m.measure_id) AS suspended_by, min(m.citation) AS suspension_citation,
                       list(DISTINCT CASE m.basis WHEN 'shipment' THEN o.country_of_shipment ELSE o.origin END
                            ORDER BY CASE m.basis WHEN 'shipment' THEN o.country_of_shipment ELSE o.origin END)
                         AS suspended_origins,
                       list(DISTINCT m.measure_id ORDER BY m.measure_id) AS suspension_measures
                FROM origins o JOIN de_minimis_suspensions m
                  ON (m.country = '*' OR m.country = CASE m.basis WHEN 'shipment' THEN o.country_of_shipment
                                                                  ELSE o.origin END)
                 AND o.arrival_date BETWEEN m.effective_from AND m.effective_to
                WHERE NOT (m.gifts_exempt AND o.gift) AND NOT list_contains(o.exempt_from, m.measure_id)
                GROUP BY o.shipment_id
            )
            SELECT a.*, s.suspended_by, s.suspension_citation, s.suspended_origins, s.suspension_measures
            FROM dm_all a LEFT JOIN suspended s USING (shipment_id)
        """)


def _order_totals(ctx: RuleContext) -> pa.Table:
    return ctx.query(f"""
        SELECT d.order_id, d.declared_value, d.parcels, o.order_value
        FROM (SELECT order_id, {exact_sum("declared_value")} AS declared_value, count(*) AS parcels
              FROM shipments WHERE order_id IS NOT NULL GROUP BY order_id) d
        JOIN (SELECT order_id, {exact_sum("coalesce(quantity, 1) * unit_price")} AS order_value FROM orders
              WHERE unit_price IS NOT NULL GROUP BY order_id) o USING (order_id)
    """)


def order_totals(ctx: RuleContext) -> pa.Table:
    """Per order id: the parcels' declared total, their number and the order's total value (built once)."""
    return ctx.cached("order_totals", _order_totals)


def prefix_matches(codes_sql: str, policy_table: str) -> str:
    """SQL joining the distinct codes of codes_sql to policy rows whose hts_prefix starts them ('*' = all).

    Prefix matching is done once per distinct code, so the join back to the lines is an equi-join.
    """
    return f"""
        SELECT c.hts, p.* FROM (SELECT DISTINCT hts FROM ({codes_sql}) WHERE hts IS NOT NULL) c
        JOIN {policy_table} p ON p.hts_prefix = '*' OR starts_with(c.hts, p.hts_prefix)
    """
