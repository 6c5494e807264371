"""De minimis checks (19 U.S.C. 1321, 19 CFR 10.151-10.153): eligibility on the date, value, aggregation,
order splitting and excluded goods. All apply only where de minimis is claimed (entry type 321 or 86);
where de minimis is suspended on the date, DM-ELIG alone speaks (there is no threshold or exclusion to test).

Money is compared in integer cents so $800.00 passes and $800.01 does not.
"""

from __future__ import annotations

import pyarrow as pa

from parcelaudit.arrow_sql import exact_sum
from parcelaudit.rules.consignee import consignee_keys
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.derived import prefix_matches
from parcelaudit.rules.registry import rule

CENTS = "CAST(round({} * 100) AS BIGINT)"


def cents(expression: str) -> str:
    """SQL for an amount in integer cents."""
    return CENTS.format(expression)


@rule(
    "DM-ELIG",
    "row",
    "De minimis claimed where duty-free de minimis is not available on that date for that origin",
    "19 U.S.C. 1321; suspensions by date and country in de_minimis_suspensions.csv",
)
def dm_eligibility(ctx: RuleContext) -> pa.Table:
    """Claims on a date when a suspension covers a line's origin (gift claims too: ACE rejects 321/86)."""
    return ctx.query("""
        SELECT shipment_id, NULL::BIGINT AS line_no, suspended_by AS variant,
               'de minimis claimed on ' || strftime(arrival_date, '%Y-%m-%d')
                 || ' but duty-free de minimis is suspended for goods of '
                 || array_to_string(suspended_origins, ', ') || ' (' || suspended_by || ')' AS message,
               suspension_citation AS citation,
               json_object('arrival_date', arrival_date, 'origins', suspended_origins,
                           'measures', suspension_measures, 'entry_claim', 'de minimis')::VARCHAR AS evidence
        FROM dm WHERE suspended_by IS NOT NULL
    """)


@rule(
    "DM-VALUE",
    "row",
    "De minimis claimed above the threshold in force ($800; gifts $100)",
    "19 U.S.C. 1321(a)(2); thresholds by date in de_minimis_thresholds.csv",
)
def dm_value(ctx: RuleContext) -> pa.Table:
    """Parcels whose declared value exceeds the gift or general threshold on their date."""
    return ctx.query(f"""
        SELECT shipment_id, NULL::BIGINT AS line_no, CASE WHEN gift THEN 'gift' ELSE 'general' END AS variant,
               'declared value $' || printf('%.2f', declared_value) || ' exceeds the '
                 || CASE WHEN gift THEN 'gift' ELSE 'de minimis' END || ' threshold of $'
                 || printf('%.2f', threshold) AS message,
               threshold_citation AS citation,
               json_object('declared_value', round(declared_value, 2), 'threshold', threshold, 'gift', gift,
                           'arrival_date', arrival_date,
                           'declared', json_object('currency', coalesce(currency_original, 'USD'),
                                                   'value', declared_value_original),
                           'usd_per_unit', usd_per_unit, 'rate_date', rate_date,
                           'rate_source', rate_source)::VARCHAR AS evidence
        FROM dm WHERE suspended_by IS NULL AND threshold IS NOT NULL
          AND {cents("declared_value")} > {cents("threshold")}
    """)


def _consignee_days(ctx: RuleContext) -> pa.Table:
    return ctx.query(
        f"""
        WITH keyed AS (
            SELECT d.*, k.consignee_key, k.key_method FROM dm d JOIN consignee_keys k USING (shipment_id)
        ), groups AS (
            SELECT consignee_key, arrival_date, count(*) AS parcels, {exact_sum("declared_value")} AS total,
                   any_value(general_threshold) AS threshold,
                   count(DISTINCT coalesce(order_id, shipment_id)) AS orders,
                   list(DISTINCT key_method ORDER BY key_method) AS key_methods,
                   list(shipment_id ORDER BY shipment_id)[1:20] AS sample_ids
            FROM keyed GROUP BY consignee_key, arrival_date
            HAVING count(*) > 1 AND {cents(exact_sum("declared_value"))} > {cents("any_value(general_threshold)")}
        )
        SELECT k.shipment_id, k.order_id, g.* FROM keyed k JOIN groups g USING (consignee_key, arrival_date)
    """,
        consignee_keys=consignee_keys(ctx),
    )


def consignee_days(ctx: RuleContext) -> pa.Table:
    """Consignee-day groups over the threshold (several parcels, any orders), one row per parcel (built once)."""
    return ctx.cached("consignee_days", _consignee_days)


@rule(
    "DM-AGG",
    "group",
    "One consignee receives de minimis parcels on one day totalling more than the threshold",
    "19 U.S.C. 1321(a)(2) (one person, one day); 19 CFR 10.151",
)
def dm_aggregation(ctx: RuleContext) -> pa.Table:
    """Consignee-day groups over the threshold, the parcels of one split order included (DM-SPLIT adds its own)."""
    return ctx.query(
        """
        SELECT shipment_id, NULL::BIGINT AS line_no, 'consignee-day' AS variant,
               'consignee receives ' || parcels || ' de minimis parcels on '
                 || strftime(arrival_date, '%Y-%m-%d') || ' totalling $' || printf('%.2f', total)
                 || ' (threshold $' || printf('%.2f', threshold) || ')' AS message,
               '19 U.S.C. 1321(a)(2); 19 CFR 10.151' AS citation,
               json_object('consignee_key', consignee_key, 'key_methods', key_methods,
                           'arrival_date', arrival_date, 'parcels', parcels, 'orders', orders,
                           'total', round(total, 2), 'threshold', threshold,
                           'shipments', sample_ids)::VARCHAR AS evidence
        FROM consignee_days
    """,
        consignee_days=consignee_days(ctx),
    )


@rule(
    "DM-SPLIT",
    "group",
    "One order split into several parcels whose combined value exceeds the threshold",
    "19 CFR 10.151 (lots of one order sent separately to obtain free entry)",
)
def dm_split(ctx: RuleContext) -> pa.Table:
    """Orders of several parcels over the threshold; the variant names the signal that the split was deliberate.

    19 CFR 10.151 denies the exemption where CBP has reason to believe the lots were sent separately to
    obtain free entry. A split alone is `order` (review under the bundled policy); `same-day` (two or more
    of its parcels arrive on one day) and `with-aggregation` (a parcel of the order is in a consignee-day
    group over the threshold) are signals that agree, and the severity policy holds on them.
    """
    return ctx.query(
        f"""
        WITH groups AS (
            SELECT s.order_id, count(*) AS parcels, {exact_sum("s.declared_value")} AS total,
                   min(s.arrival_date) AS first_arrival, max(s.arrival_date) AS last_arrival,
                   count(DISTINCT s.arrival_date) < count(*) AS same_day,
                   list(s.shipment_id ORDER BY s.shipment_id)[1:20] AS sample_ids
            FROM shipments s WHERE s.order_id IS NOT NULL AND s.order_id <> ''
              AND s.order_id IN (SELECT order_id FROM dm WHERE suspended_by IS NULL)
            GROUP BY s.order_id HAVING count(*) > 1
        ), aggregated AS (SELECT DISTINCT order_id FROM consignee_days WHERE order_id IS NOT NULL)
        SELECT d.shipment_id, NULL::BIGINT AS line_no,
               CASE WHEN g.same_day THEN 'same-day' WHEN a.order_id IS NOT NULL THEN 'with-aggregation'
                    ELSE 'order' END AS variant,
               'order ' || g.order_id || ' split into ' || g.parcels || ' parcels totalling $'
                 || printf('%.2f', g.total) || ' (threshold $' || printf('%.2f', d.general_threshold) || ')'
                 || CASE WHEN g.same_day THEN '; parcels of the order arrive on the same day'
                         WHEN a.order_id IS NOT NULL THEN '; the consignee-day is over the threshold too'
                         ELSE '' END AS message,
               '19 CFR 10.151' AS citation,
               json_object('order_id', g.order_id, 'parcels', g.parcels, 'total', round(g.total, 2),
                           'threshold', d.general_threshold, 'first_arrival', g.first_arrival,
                           'last_arrival', g.last_arrival, 'same_day', g.same_day,
                           'consignee_day_over_threshold', a.order_id IS NOT NULL,
                           'shipments', g.sample_ids)::VARCHAR AS evidence
        FROM dm d JOIN groups g USING (order_id) LEFT JOIN aggregated a USING (order_id)
        WHERE d.suspended_by IS NULL AND {cents("g.total")} > {cents("d.general_threshold")}
    """,
        consignee_days=consignee_days(ctx),
    )


@rule(
    "DM-EXCL",
    "row",
    "De minimis claimed on excluded goods (alcohol, tobacco, AD/CVD, other-agency goods)",
    "19 CFR 10.153; excluded_goods.csv",
)
def dm_excluded(ctx: RuleContext) -> pa.Table:
    """Lines of de minimis claims whose HTS falls under an excluded category for that origin and date."""
    matches = prefix_matches("SELECT hts FROM ln WHERE dm_claimed", "excluded_goods")
    # suspended claims are DM-ELIG's: with no de minimis in force there is nothing to exclude from
    return ctx.query(f"""
        SELECT l.shipment_id, l.line_no, e.category AS variant,
               'de minimis claimed on excluded goods: ' || e.description || ' (' || e.category
                 || ', HTS ' || l.hts || ')' AS message,
               e.citation,
               json_object('hts', l.hts, 'hts_prefix', e.hts_prefix, 'category', e.category,
                           'origin', l.origin)::VARCHAR AS evidence
        FROM ln l JOIN ({matches}) e ON e.hts = l.hts
        JOIN dm d ON d.shipment_id = l.shipment_id AND d.suspended_by IS NULL
        WHERE (e.origin = '*' OR e.origin = coalesce(l.origin, l.country_of_shipment))
          -- perfume containing alcohol stays eligible in a parcel worth $5 or less (19 CFR 10.153)
          AND (e.applies_above_usd IS NULL OR {cents("d.declared_value")} > {cents("e.applies_above_usd")})
          AND l.arrival_date BETWEEN e.effective_from AND e.effective_to
        QUALIFY row_number() OVER (PARTITION BY l.shipment_id, l.line_no ORDER BY length(e.hts_prefix) DESC) = 1
    """)
