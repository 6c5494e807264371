"""De minimis checks (19 U.S.C. 1321, 19 CFR 10.151-10.153): eligibility on the date, value, aggregation,
order splitting and excluded goods. All apply only where de minimis is claimed (entry type 321 or 86);
where de minimis is suspended on the date, DM-ELIG alone speaks (there is no threshold or exclusion to test).

Money is compared in integer cents so $800.00 passes and $800.01 does not.
"""

from __future__ import annotations

from parcelaudit.rules.context import RuleContext, exact_sum
from parcelaudit.rules.registry import rule

CENTS = "CAST(round({} * 100) AS BIGINT)"
# Consignee identity for aggregation: case, punctuation and spacing do not make a different person.
CONSIGNEE_KEY = (
    "nullif(trim(regexp_replace(lower(coalesce(consignee_name, '') || ' ' || coalesce(consignee_address, '')),"
    " '[^a-z0-9]+', ' ', 'g')), '')"
)


def cents(expression: str) -> str:
    """SQL for an amount in integer cents."""
    return CENTS.format(expression)


@rule(
    "DM-ELIG",
    "row",
    "De minimis claimed where duty-free de minimis is not available on that date for that origin",
    "19 U.S.C. 1321; suspensions by date and country in de_minimis_suspensions.csv",
)
def dm_eligibility(ctx: RuleContext) -> str:
    """Claims on a date when a suspension covers a line's origin (gift claims too: ACE rejects 321/86)."""
    return """
        SELECT shipment_id, NULL::BIGINT AS line_no, suspended_by AS variant,
               'de minimis claimed on ' || strftime(arrival_date, '%Y-%m-%d')
                 || ' but duty-free de minimis is suspended for goods of '
                 || array_to_string(suspended_origins, ', ') || ' (' || suspended_by || ')' AS message,
               suspension_citation AS citation,
               json_object('arrival_date', arrival_date, 'origins', suspended_origins,
                           'measures', suspension_measures, 'entry_claim', 'de minimis')::VARCHAR AS evidence
        FROM dm WHERE suspended_by IS NOT NULL
    """


@rule(
    "DM-VALUE",
    "row",
    "De minimis claimed above the threshold in force ($800; gifts $100)",
    "19 U.S.C. 1321(a)(2); thresholds by date in de_minimis_thresholds.csv",
)
def dm_value(ctx: RuleContext) -> str:
    """Parcels whose declared value exceeds the gift or general threshold on their date."""
    return f"""
        SELECT shipment_id, NULL::BIGINT AS line_no, CASE WHEN gift THEN 'gift' ELSE 'general' END AS variant,
               'declared value $' || printf('%.2f', declared_value) || ' exceeds the '
                 || CASE WHEN gift THEN 'gift' ELSE 'de minimis' END || ' threshold of $'
                 || printf('%.2f', threshold) AS message,
               threshold_citation AS citation,
               json_object('declared_value', declared_value, 'threshold', threshold, 'gift', gift,
                           'arrival_date', arrival_date)::VARCHAR AS evidence
        FROM dm WHERE suspended_by IS NULL AND threshold IS NOT NULL
          AND {cents("declared_value")} > {cents("threshold")}
    """


@rule(
    "DM-AGG",
    "group",
    "One consignee receives de minimis parcels on one day totalling more than the threshold",
    "19 U.S.C. 1321(a)(2) (one person, one day); 19 CFR 10.151",
)
def dm_aggregation(ctx: RuleContext) -> str:
    """Consignee-day groups of several orders over the threshold (one order's parcels are DM-SPLIT's case)."""
    return f"""
        WITH keyed AS (SELECT *, {CONSIGNEE_KEY} AS consignee_key FROM dm WHERE suspended_by IS NULL),
        groups AS (
            SELECT consignee_key, arrival_date, count(*) AS parcels, {exact_sum("declared_value")} AS total,
                   any_value(general_threshold) AS threshold,
                   count(DISTINCT coalesce(order_id, shipment_id)) AS orders,
                   list(shipment_id ORDER BY shipment_id)[1:20] AS sample_ids
            FROM keyed WHERE consignee_key IS NOT NULL
            GROUP BY consignee_key, arrival_date
            HAVING count(*) > 1 AND {cents(exact_sum("declared_value"))} > {cents("any_value(general_threshold)")}
               AND count(DISTINCT coalesce(order_id, shipment_id)) > 1
        )
        SELECT k.shipment_id, NULL::BIGINT AS line_no, 'consignee-day' AS variant,
               'consignee receives ' || g.parcels || ' de minimis parcels on '
                 || strftime(g.arrival_date, '%Y-%m-%d') || ' totalling $' || printf('%.2f', g.total)
                 || ' (threshold $' || printf('%.2f', g.threshold) || ')' AS message,
               '19 U.S.C. 1321(a)(2); 19 CFR 10.151' AS citation,
               json_object('consignee', g.consignee_key, 'arrival_date', g.arrival_date, 'parcels', g.parcels,
                           'orders', g.orders, 'total', round(g.total, 2), 'threshold', g.threshold,
                           'shipments', g.sample_ids)::VARCHAR AS evidence
        FROM keyed k JOIN groups g USING (consignee_key, arrival_date)
    """


@rule(
    "DM-SPLIT",
    "group",
    "One order split into several parcels whose combined value exceeds the threshold",
    "19 CFR 10.151 (lots of one order sent separately to obtain free entry)",
)
def dm_split(ctx: RuleContext) -> str:
    """Orders with more than one parcel, at least one claiming de minimis, together above the threshold."""
    return f"""
        WITH groups AS (
            SELECT s.order_id, count(*) AS parcels, {exact_sum("s.declared_value")} AS total,
                   min(s.arrival_date) AS first_arrival, max(s.arrival_date) AS last_arrival,
                   list(s.shipment_id ORDER BY s.shipment_id)[1:20] AS sample_ids
            FROM shipments s WHERE s.order_id IS NOT NULL AND s.order_id <> ''
              AND s.order_id IN (SELECT order_id FROM dm WHERE suspended_by IS NULL)
            GROUP BY s.order_id HAVING count(*) > 1
        )
        SELECT d.shipment_id, NULL::BIGINT AS line_no, 'order' AS variant,
               'order ' || g.order_id || ' split into ' || g.parcels || ' parcels totalling $'
                 || printf('%.2f', g.total) || ' (threshold $' || printf('%.2f', d.general_threshold) || ')'
                 AS message,
               '19 CFR 10.151' AS citation,
               json_object('order_id', g.order_id, 'parcels', g.parcels, 'total', round(g.total, 2),
                           'threshold', d.general_threshold, 'first_arrival', g.first_arrival,
                           'last_arrival', g.last_arrival, 'shipments', g.sample_ids)::VARCHAR AS evidence
        FROM dm d JOIN groups g USING (order_id)
        WHERE d.suspended_by IS NULL AND {cents("g.total")} > {cents("d.general_threshold")}
    """


@rule(
    "DM-EXCL",
    "row",
    "De minimis claimed on excluded goods (alcohol, tobacco, AD/CVD, other-agency goods)",
    "19 CFR 10.153; excluded_goods.csv",
)
def dm_excluded(ctx: RuleContext) -> str:
    """Lines of de minimis claims whose HTS falls under an excluded category for that origin and date."""
    matches = ctx.prefix_matches("SELECT hts FROM ln WHERE dm_claimed", "excluded_goods")
    # suspended claims are DM-ELIG's: with no de minimis in force there is nothing to exclude from
    return f"""
        SELECT l.shipment_id, l.line_no, e.category AS variant,
               'de minimis claimed on excluded goods: ' || e.description || ' (' || e.category
                 || ', HTS ' || l.hts || ')' AS message,
               e.citation,
               json_object('hts', l.hts, 'hts_prefix', e.hts_prefix, 'category', e.category,
                           'origin', l.origin)::VARCHAR AS evidence
        FROM ln l JOIN ({matches}) e ON e.hts = l.hts
        JOIN dm d ON d.shipment_id = l.shipment_id AND d.suspended_by IS NULL
        WHERE (e.origin = '*' OR e.origin = coalesce(l.origin, l.country_of_shipment))
          AND l.arrival_date BETWEEN e.effective_from AND e.effective_to
        QUALIFY row_number() OVER (PARTITION BY l.shipment_id, l.line_no ORDER BY length(e.hts_prefix) DESC) = 1
    """
