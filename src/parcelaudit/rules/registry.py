"""The rule registry: each check under a stable id with its scope, title, citation and function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from parcelaudit.rules.context import FINDING_SCHEMA, RuleContext


@dataclass(frozen=True)
class Rule:
    """A check: stable id, scope ('row' or 'group'), what it finds, its legal basis, and its function.

    The function takes the check context (Arrow tables, rules.context) and returns Arrow with columns
    shipment_id, line_no, variant, message, citation, evidence (a JSON object as text); the registry adds
    rule_id.
    """

    rule_id: str
    scope: str
    title: str
    citation: str
    function: Callable[[RuleContext], pa.Table]
    needs: tuple[str, ...] = ()  # optional inputs: 'orders' (skipped, not failed, without them)

    def run(self, ctx: RuleContext) -> pa.Table:
        """Evaluate the rule and return findings in FINDING_SCHEMA."""
        if "orders" in self.needs and not ctx.has_orders:
            return FINDING_SCHEMA.empty_table()
        table = self.function(ctx)
        if table.num_rows == 0:
            return FINDING_SCHEMA.empty_table()
        rule_ids = pa.array([self.rule_id] * table.num_rows, pa.string())
        columns = {
            "shipment_id": table["shipment_id"].cast(pa.string()),
            "line_no": table["line_no"].cast(pa.int64()),
            "rule_id": rule_ids,
        }
        for name in ("variant", "message", "citation", "evidence"):
            columns[name] = table[name].cast(pa.string())
        return pa.table(columns, schema=FINDING_SCHEMA)


RULES: dict[str, Rule] = {}


def rule(rule_id: str, scope: str, title: str, citation: str, needs: tuple[str, ...] = ()) -> Callable:
    """Decorator registering a rule function under a stable id."""

    def register(
        function: Callable[[RuleContext], pa.Table],
    ) -> Callable[[RuleContext], pa.Table]:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, scope, title, citation, function, needs)
        return function

    return register


def all_rules() -> dict[str, Rule]:
    """Every registered rule (importing the modules that define them)."""
    from parcelaudit.rules import deminimis, goods, parties, records  # noqa: F401

    return dict(RULES)
