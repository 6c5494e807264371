"""The check context every rule reads: the inputs, derived tables and policy, all Arrow tables.

A rule takes the context and returns its findings as Arrow. Where SQL is clearer it runs it over the
context's tables in the context's in-process DuckDB session (`ctx.query`, `ctx.session`; see
parcelaudit.arrow_sql: one session per context, because opening one costs more than most rules), so rules
never see the store; what a rule registers or creates there is dropped when its block ends. Tables by name (Blank means NULL or '': ingest trims
values; trimming a million strings per check would cost more than every rule together):
  shipments, lines, orders           the canonical inputs (orders may be empty), money in US dollars with the
                                     declared amounts and the rate beside them (rules.values); lines also
                                     carry `hts`, the code as digits (reference.hts.normalise_hts_column)
  ln                                 lines' keys, value, HTS digits, origin and manufacturer country, with the
                                     shipment's date and entry type (long text stays in `lines`)
  dm                                 shipments claiming de minimis, with the thresholds in force on their date
                                     and the suspension (if any) that makes the claim unavailable
  traces                             supply-chain verdicts by SKU (schema.TRACE_VERDICT_SCHEMA)
  <policy table stem>                every policy table (see rules.policy)
  hts_lines                          the tariff schedule's 8-digit lines
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from parcelaudit.arrow_sql import ArrowSQL, Scope
from parcelaudit.reference.hts import HtsSchedule, load_hts, normalise_hts_column
from parcelaudit.rules.derived import claims, line_keys
from parcelaudit.rules.policy import Policy, load_policy
from parcelaudit.rules.values import to_usd
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS, TRACE_VERDICT_SCHEMA

FINDING_SCHEMA = pa.schema(
    [
        pa.field("shipment_id", pa.string()),
        pa.field("line_no", pa.int64()),
        pa.field("rule_id", pa.string()),
        pa.field("variant", pa.string()),
        pa.field("message", pa.string()),
        pa.field("citation", pa.string()),
        pa.field("evidence", pa.string()),
    ]
)


@dataclass
class Settings:
    """Tunable figures of the checks (declared once; the severity policy TOML may override them)."""

    val_under_pct: float = 0.10  # VAL-UNDER: declared below transaction value by more than this share...
    val_under_abs: float = 5.0  # ...and by more than this many dollars
    max_rate_age_days: float = 7.0  # an exchange rate counts up to this many days after its date (VAL-FX)


def conform(table: pa.Table | None, schema: pa.Schema) -> pa.Table:
    """Select the canonical columns (adding absent ones as nulls) so rules can rely on every column."""
    if table is None:
        return schema.empty_table()
    columns = []
    for f in schema:
        if f.name in table.column_names:
            column = table[f.name]
            columns.append(column if column.type == f.type else column.cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


class RuleContext:
    """Inputs (money in US dollars), policy, schedule and the derived tables ln and dm, as Arrow."""

    def __init__(
        self,
        shipments: pa.Table,
        lines: pa.Table,
        orders: pa.Table | None = None,
        policy: Policy | None = None,
        hts: HtsSchedule | None = None,
        settings: Settings | None = None,
        threads: int | None = None,
        traces: pa.Table | None = None,
        rates: pa.Table | str | None = None,
    ) -> None:
        self.policy = policy or load_policy()
        self.hts = hts or load_hts()
        self.settings = settings or Settings()
        self.threads = threads
        self.has_orders = orders is not None and orders.num_rows > 0
        self._cache: dict[str, pa.Table] = {}
        self._sql = ArrowSQL(threads=threads)
        # Money in US dollars before any rule or duty sees it (rules.values states the contract).
        self.shipments, lines, self.orders = to_usd(
            conform(shipments, SHIPMENTS.arrow_schema),
            conform(lines, LINES.arrow_schema),
            conform(orders, ORDERS.arrow_schema),
            rates,
            int(self.settings.max_rate_age_days),
            session=self._sql,
        )
        self.lines = lines.append_column("hts", normalise_hts_column(lines["hts_code"]))
        self.traces = traces if traces is not None else TRACE_VERDICT_SCHEMA.empty_table()
        self.hts_lines = self.hts.to_arrow()
        self._register("shipments", "lines", "orders", "traces", "hts_lines")
        for name, table in self.policy.tables.items():
            self._sql.register(name, table)
        self.ln = line_keys(self._sql)
        self._register("ln")
        self.dm = claims(self._sql)
        self._register("dm")

    def _register(self, *names: str) -> None:
        for name in names:
            self._sql.register(name, getattr(self, name))

    def __enter__(self) -> RuleContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the context's in-process session (the Arrow tables stay usable)."""
        self._sql.close()

    @property
    def sql(self) -> ArrowSQL:
        """The context's in-process session (for a stage the pipeline runs over the context, e.g. decide)."""
        return self._sql

    def tables(self) -> dict[str, pa.Table]:
        """Every table of the context by the name SQL reads it under (see the module doc)."""
        return {
            **self.policy.tables,
            "shipments": self.shipments,
            "lines": self.lines,
            "orders": self.orders,
            "traces": self.traces,
            "hts_lines": self.hts_lines,
            "ln": self.ln,
            "dm": self.dm,
        }

    def session(self, **extra: pa.Table) -> Scope:
        """A block of SQL over the context's tables plus extra ones, which (like the tables the block
        creates) are gone when it ends; use it with `with`."""
        shadowed = set(extra) & set(self.tables())
        if shadowed:
            raise ValueError(f"extra tables may not replace the context's own: {sorted(shadowed)}")
        return self._sql.scope(extra)

    def query(self, sql: str, params: list | None = None, **extra: pa.Table) -> pa.Table:
        """Run one query over the context's tables (plus extra ones) and return Arrow."""
        with self.session(**extra) as session:
            return session.query(sql, params)

    def cached(self, name: str, build: Callable[[RuleContext], pa.Table]) -> pa.Table:
        """A table derived from the context, built once and shared by the rules that need it."""
        if name not in self._cache:
            self._cache[name] = build(self)
        return self._cache[name]
