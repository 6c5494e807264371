"""Fixtures for rule tests: run one rule over small tables and list what it found."""

from __future__ import annotations

import pyarrow as pa
import pytest

from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.registry import all_rules


def run_rule(
    rule_id: str, shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None, **kwargs
) -> list[dict]:
    """The findings of one rule as dicts, sorted by shipment and line."""
    rows = all_rules()[rule_id].run(RuleContext(shipments, lines, orders, **kwargs)).to_pylist()
    return sorted(rows, key=lambda r: (r["shipment_id"], r["line_no"] or 0))


@pytest.fixture
def flagged():
    """Callable: the shipment ids a rule flags."""

    def ids(
        rule_id: str, shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None, **kwargs
    ) -> list[str]:
        return sorted({r["shipment_id"] for r in run_rule(rule_id, shipments, lines, orders, **kwargs)})

    return ids
