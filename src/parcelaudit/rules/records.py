"""Checks against the parcel's records: declared value against the marketplace transaction (VAL-UNDER) and
the data elements each entry type requires or the 2025 enhanced-entry proposal would require (DATA-MISSING)."""

from __future__ import annotations

import pyarrow as pa

from parcelaudit.arrow_sql import ArrowSQL
from parcelaudit.rules.context import FINDING_SCHEMA, RuleContext
from parcelaudit.rules.derived import order_totals
from parcelaudit.rules.registry import rule


@rule(
    "VAL-UNDER",
    "group",
    "Declared value below the marketplace transaction value by more than the tolerance",
    "19 U.S.C. 1401a (transaction value); 19 U.S.C. 1321(a)(2) (fair retail value)",
    needs=("orders",),
)
def value_under(ctx: RuleContext) -> pa.Table:
    """Per order: the parcels' declared total below the order lines' total by more than pct and dollars."""
    pct, floor = ctx.settings.val_under_pct, ctx.settings.val_under_abs
    return ctx.query(
        f"""
        WITH short AS (
            SELECT * FROM order_totals
            WHERE order_value - declared_value > {floor} AND declared_value < order_value * (1 - {pct})
        )
        SELECT s.shipment_id, NULL::BIGINT AS line_no, 'order' AS variant,
               'declared $' || printf('%.2f', d.declared_value) || ' for order ' || d.order_id
                 || ' is ' || printf('%.0f', 100 * (1 - d.declared_value / d.order_value))
                 || '% below its transaction value $' || printf('%.2f', d.order_value) AS message,
               '19 U.S.C. 1401a(b); 19 U.S.C. 1592 (material false statement of value)' AS citation,
               json_object('order_id', d.order_id, 'declared_total', round(d.declared_value, 2),
                           'order_total', round(d.order_value, 2), 'parcels', d.parcels,
                           'shipment_declared', s.declared_value,
                           'tolerance_pct', {pct}, 'tolerance_usd', {floor})::VARCHAR AS evidence
        FROM shipments s JOIN short d USING (order_id)
    """,
        order_totals=order_totals(ctx),
    )


# Money columns converted to USD (rules.values) and the amount as declared beside each.
_AS_DECLARED = {
    "value": "CAST({}.value_original AS VARCHAR), ",
    "declared_value": "CAST({}.declared_value_original AS VARCHAR), ",
}


def _absent_sql(alias: str, fields: str, check: str) -> str:
    """SQL true when the element is absent: 'present' (non-blank), 'hts10' (the HTS code, ten digits once
    normalised: the lines' `hts` column), 'any' (one of a|b|c)."""
    names = fields.split("|")
    # A money field is present when declared, even in a currency without a rate (VAL-FX says that).
    blank = [
        f"coalesce(CAST({alias}.{n} AS VARCHAR), {_AS_DECLARED[n].format(alias)}'') = ''"
        if n in _AS_DECLARED
        else f"coalesce(CAST({alias}.{n} AS VARCHAR), '') = ''"
        for n in names
    ]
    if check == "hts10":
        return f"NOT regexp_full_match(coalesce({alias}.hts, ''), '[0-9]{{10}}')"
    return "(" + " AND ".join(blank) + ")" if check == "any" else blank[0]


@rule(
    "DATA-MISSING",
    "row",
    "Data elements required by the entry type (or proposed for low-value entries) absent",
    "19 CFR 128.21; 19 CFR 142.3; Entry Type 86; NPRM 90 FR 3048 (proposed)",
)
def data_missing(ctx: RuleContext) -> pa.Table:
    """One finding per absent element per shipment (shipment fields) or per line (line fields)."""
    table = ctx.policy.table("required_elements")
    requirements = table.append_column("idx", pa.array(range(table.num_rows), pa.int64()))
    with ctx.session(requirements=requirements) as session:
        return _data_missing(session, requirements.to_pylist())


def _data_missing(session: ArrowSQL, rows: list[dict]) -> pa.Table:
    """DATA-MISSING in a session over the context and the numbered requirements."""
    parts = []
    for source in ("shipments", "lines"):
        wanted = {(r["field"], r["check"]) for r in rows if r["table"] == source}
        if not wanted:
            continue
        # One pass computes each element's absence once; each requirement is then a cheap boolean filter.
        flags = {pair: f"absent_{n}" for n, pair in enumerate(sorted(wanted))}
        alias = "s" if source == "shipments" else "l"
        columns = ", ".join(f"{_absent_sql(alias, f, c)} AS {name}" for (f, c), name in flags.items())
        anything = " OR ".join(flags.values())
        # Flags come from the table alone; only rows missing something meet the shipments (entry type, date).
        if source == "shipments":
            build = f"SELECT shipment_id, NULL::BIGINT AS line_no, entry_type, arrival_date, {columns} FROM shipments s"
        else:
            build = (
                f"SELECT a.*, s.entry_type, s.arrival_date FROM (SELECT l.shipment_id, l.line_no, {columns} "
                f"FROM lines l) a JOIN shipments s USING (shipment_id)"
            )
        session.create(f"absent_{source}", f"SELECT * FROM ({build}) WHERE {anything}")
        for row in rows:
            if row["table"] != source:
                continue
            types = ", ".join(f"'{t}'" for t in row["entry_types"].split("|"))
            parts.append(
                f"SELECT shipment_id, line_no, {row['idx']} AS idx FROM absent_{source} "
                f"WHERE {flags[(row['field'], row['check'])]} AND entry_type IN ({types}) "
                f"AND arrival_date BETWEEN DATE '{row['effective_from']}' AND DATE '{row['effective_to']}'"
            )
    if not parts:
        return FINDING_SCHEMA.empty_table()
    sql = f"""
        WITH hits AS ({" UNION ALL ".join(parts)}),
        described AS (
            SELECT h.shipment_id, h.line_no, r.field, r.status, r.citation, r."check" AS check_kind,
                   row_number() OVER (PARTITION BY h.shipment_id, h.line_no, r.field
                                      ORDER BY r.status = 'required' DESC, r.idx) AS pick
            FROM hits h JOIN requirements r USING (idx)
        )
        SELECT shipment_id, line_no, status AS variant,
               replace(field, '|', ' / ') || CASE check_kind WHEN 'hts10' THEN ' (10-digit HTS)' ELSE '' END
                 || CASE status WHEN 'required' THEN ' is required but missing'
                    ELSE ' is missing (required under the proposed rule)' END AS message,
               citation,
               json_object('field', field, 'check', check_kind, 'status', status)::VARCHAR AS evidence
        FROM described WHERE pick = 1
    """
    return session.query(sql)


@rule(
    "VAL-FX",
    "row",
    "Value in a foreign currency with no exchange rate on its date, or converted at an approximate rate",
    "31 U.S.C. 5151; 19 CFR 159.31-159.35 (certified rate on the date of exportation)",
)
def value_currency(ctx: RuleContext) -> pa.Table:
    """No rate for the currency on the date (no dollar value, so no threshold or duty), or a reference rate."""
    return ctx.query("""
        SELECT shipment_id, NULL::BIGINT AS line_no,
               CASE WHEN usd_per_unit IS NULL THEN 'no-rate' ELSE 'approximate' END AS variant,
               CASE WHEN usd_per_unit IS NULL
                    THEN 'no exchange rate for ' || currency_original || ' on ' || strftime(arrival_date, '%Y-%m-%d')
                         || ': the declared ' || currency_original || ' ' || printf('%.2f', declared_value_original)
                         || ' cannot be compared with dollar thresholds or rated for duty'
                    ELSE currency_original || ' ' || printf('%.2f', declared_value_original) || ' = USD '
                         || printf('%.2f', declared_value) || ' at ' || printf('%.6f', usd_per_unit) || ' of '
                         || strftime(rate_date, '%Y-%m-%d') || ': an approximation (' || rate_source || ')'
               END AS message,
               '31 U.S.C. 5151; 19 CFR 159.32 (date of exportation); 19 CFR 159.34-159.35 (certified rates)'
                 AS citation,
               json_object('currency', currency_original, 'declared_value', declared_value_original,
                           'usd_value', round(declared_value, 2), 'usd_per_unit', usd_per_unit,
                           'rate_date', rate_date, 'rate_source', rate_source,
                           'rate_for', arrival_date)::VARCHAR AS evidence
        FROM shipments
        WHERE coalesce(nullif(upper(trim(currency_original)), ''), 'USD') <> 'USD'
          AND (usd_per_unit IS NULL OR rate_source NOT LIKE 'rates file%')
    """)
