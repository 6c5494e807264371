"""Changed decisions: a parcel's new judgement against its current one (the latest run that judged it), with
why (the rule ids added and removed). Arrow in, Arrow out."""

from __future__ import annotations

import pyarrow as pa

from parcelaudit.arrow_sql import run_sql

CHANGED_SCHEMA = pa.schema(
    [
        ("shipment_id", pa.string()),
        ("before_run_id", pa.int64()),
        ("before_decision", pa.string()),
        ("after_decision", pa.string()),
        ("rules_added", pa.string()),
        ("rules_removed", pa.string()),
        ("before_duty_owed", pa.float64()),
        ("after_duty_owed", pa.float64()),
        ("before_duty_at_risk", pa.float64()),
        ("after_duty_at_risk", pa.float64()),
    ]
)
CHANGED_COLUMNS = CHANGED_SCHEMA.names


def changed_decisions(before: pa.Table, after: pa.Table) -> pa.Table:
    """The parcels of `after` whose decision, rule ids (reasons) or duty (to the cent) differ from `before`.

    before: run_id, shipment_id, decision, reasons, duty_owed, duty_at_risk (current_judgements); after: the
    new decisions (shipment_id, decision, reasons, duty_owed, duty_at_risk). A parcel judged for the first
    time is no change. Ordered by shipment_id."""
    if before.num_rows == 0:
        return CHANGED_SCHEMA.empty_table()
    changed = run_sql(
        """
        WITH pairs AS (
            SELECT a.shipment_id, b.run_id AS before_run_id, b.decision AS before_decision,
                   a.decision AS after_decision,
                   list_filter(string_split(a.reasons, ';'), lambda r: r <> '') AS now_rules,
                   list_filter(string_split(b.reasons, ';'), lambda r: r <> '') AS then_rules,
                   b.duty_owed AS before_duty_owed, a.duty_owed AS after_duty_owed,
                   b.duty_at_risk AS before_duty_at_risk, a.duty_at_risk AS after_duty_at_risk
            FROM a JOIN b USING (shipment_id)
        )
        SELECT shipment_id, before_run_id, before_decision, after_decision,
               array_to_string(list_sort(list_filter(now_rules, lambda r: NOT list_contains(then_rules, r))), ';')
                 AS rules_added,
               array_to_string(list_sort(list_filter(then_rules, lambda r: NOT list_contains(now_rules, r))), ';')
                 AS rules_removed,
               before_duty_owed, after_duty_owed, before_duty_at_risk, after_duty_at_risk
        FROM pairs
        WHERE before_decision <> after_decision OR list_sort(now_rules) <> list_sort(then_rules)
           OR round(before_duty_owed, 2) <> round(after_duty_owed, 2)
           OR round(before_duty_at_risk, 2) <> round(after_duty_at_risk, 2)
        ORDER BY shipment_id
        """,
        {"a": after.select(["shipment_id", "decision", "reasons", "duty_owed", "duty_at_risk"]), "b": before},
    )
    return changed.cast(CHANGED_SCHEMA)
