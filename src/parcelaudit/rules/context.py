"""The evaluation context every rule runs in: an in-memory DuckDB over the input Arrow tables and the policy.

Rules are SQL over these relations (vectorised, no per-row Python). Blank means NULL or '' (ingest trims
values; trimming a million strings per check would cost more than every rule together):
  shipments, lines, orders           the canonical inputs (orders may be empty), money in US dollars with the
                                     declared amounts and the rate beside them (rules.values)
  ln                                 lines' keys, value, HTS digits, origin and manufacturer country, with the
                                     shipment's date and entry type (long text stays in `lines`)
  dm                                 shipments claiming de minimis, with the thresholds in force on their date
                                     and the suspension (if any) that makes the claim unavailable
  <policy table stem>                every policy table (see rules.policy)
  hts_lines, hts_headings            the tariff schedule (8-digit lines, 6-digit subheadings)
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from parcelaudit.arrow_sql import exact_sum
from parcelaudit.reference.hts import HtsSchedule, load_hts
from parcelaudit.rules.policy import Policy, load_policy
from parcelaudit.rules.values import to_usd
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS

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
DM_ENTRY_TYPES = ("321", "86")
# An HTS code as digits: dots, spaces and dashes removed (replace() is several times cheaper than a regex).
HTS_DIGITS = "nullif(replace(replace(replace({}, '.', ''), ' ', ''), '-', ''), '')"


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


TRACE_SCHEMA = pa.schema(
    [
        ("sku", pa.string()),
        ("trace_product", pa.string()),
        ("trace_verdict", pa.string()),
        ("trace_coverage", pa.float64()),
        ("trace_reasons", pa.string()),
    ]
)


class RuleContext:
    """Inputs, policy and schedule registered in one DuckDB connection, with the derived relations built."""

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
        self.has_orders = orders is not None and orders.num_rows > 0
        self._order_totals = False
        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.shipments = conform(shipments, SHIPMENTS.arrow_schema)
        self.lines = conform(lines, LINES.arrow_schema)
        self.orders = conform(orders, ORDERS.arrow_schema)
        for name, table in (("shipments", self.shipments), ("lines", self.lines), ("orders", self.orders)):
            self.con.register(name, table)
        # Money in US dollars before any rule or duty sees it (rules.values states the contract).
        self.shipments, self.lines, self.orders = to_usd(
            self.con, self.shipments, self.lines, self.orders, rates, int(self.settings.max_rate_age_days)
        )
        for name, table in (("shipments", self.shipments), ("lines", self.lines), ("orders", self.orders)):
            self.con.register(name, table)
        # Supply-chain trace verdicts by SKU (sku, trace_product, trace_verdict, trace_coverage, trace_reasons).
        self.traces = traces if traces is not None else TRACE_SCHEMA.empty_table()
        self.con.register("traces", self.traces)
        for name, table in self.policy.tables.items():
            self.con.register(name, table)
        self.con.register("hts_lines", self.hts.to_arrow())
        self.con.execute(
            "CREATE TEMP TABLE hts_headings AS SELECT DISTINCT left(hts8, 6) AS hts6 FROM hts_lines"
        )
        self._derive()

    def _derive(self) -> None:
        dm_types = ", ".join(f"'{t}'" for t in DM_ENTRY_TYPES)
        self.con.execute(f"""
            CREATE TEMP TABLE ln AS
            SELECT l.shipment_id, l.line_no, l.value, l.sku, {HTS_DIGITS.format("l.hts_code")} AS hts,
                   nullif(l.country_of_origin, '') AS origin,
                   nullif(l.manufacturer_country, '') AS mfr_country,
                   s.arrival_date, s.entry_type, s.entry_type IN ({dm_types}) AS dm_claimed,
                   s.country_of_shipment
            FROM lines l JOIN shipments s USING (shipment_id)
        """)
        # Thresholds in force on each de minimis claim's date; gift thresholds may depend on the
        # country of shipment (USVI, Guam, American Samoa), the specific row wins over '*'.
        self.con.execute(f"""
            CREATE TEMP TABLE dm_all AS
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
            WHERE s.entry_type IN ({dm_types})
        """)
        # A claim is suspended when a suspension in force on its date covers the origin of any line (or,
        # without lines, the country of shipment; basis 'shipment' rows look at the country of shipment). Suspended claims are judged by DM-ELIG alone: with
        # duty-free de minimis unavailable there is no threshold to compare against.
        # Lines whose goods a suspension does not reach (50 U.S.C. 1702(b): informational materials) do not
        # make the claim suspended; 'declaration' rows (donations) need a field the schema lacks: not applied.
        self.con.execute("""
            CREATE TEMP TABLE dm AS
            WITH lines_of AS (
                SELECT d.shipment_id, d.arrival_date, d.gift, d.country_of_shipment, l.line_no, l.hts,
                       coalesce(l.origin, d.country_of_shipment) AS origin
                FROM dm_all d LEFT JOIN ln l USING (shipment_id)
            ), exempt AS (
                SELECT DISTINCT o.shipment_id, o.line_no, e.measure_id FROM lines_of o
                JOIN suspension_exemptions e ON e.basis = 'hts' AND starts_with(o.hts, e.hts_prefix)
                 AND o.arrival_date BETWEEN e.effective_from AND e.effective_to
            ), origins AS (
                SELECT o.*, x.measure_id AS exempt_from FROM lines_of o
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
                WHERE NOT (m.gifts_exempt AND o.gift) AND o.exempt_from IS DISTINCT FROM m.measure_id
                GROUP BY o.shipment_id
            )
            SELECT a.*, s.suspended_by, s.suspension_citation, s.suspended_origins, s.suspension_measures
            FROM dm_all a LEFT JOIN suspended s USING (shipment_id)
        """)

    def order_totals(self) -> str:
        """Name of a relation with, per order id, the parcels' declared total and the orders' total value."""
        if not self._order_totals:
            self.con.execute(f"""
                CREATE TEMP TABLE order_totals AS
                SELECT d.order_id, d.declared_value, d.parcels, o.order_value
                FROM (SELECT order_id, {exact_sum("declared_value")} AS declared_value, count(*) AS parcels
                      FROM shipments WHERE order_id IS NOT NULL GROUP BY order_id) d
                JOIN (SELECT order_id, {exact_sum("coalesce(quantity, 1) * unit_price")} AS order_value FROM orders
                      WHERE unit_price IS NOT NULL GROUP BY order_id) o USING (order_id)
            """)
            self._order_totals = True
        return "order_totals"

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        """Run SQL and return Arrow."""
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def prefix_matches(self, codes_sql: str, policy_table: str) -> str:
        """SQL joining the distinct codes of codes_sql to policy rows whose hts_prefix starts them ('*' = all).

        Prefix matching is done once per distinct code, so the join back to the lines is an equi-join.
        """
        return f"""
            SELECT c.hts, p.* FROM (SELECT DISTINCT hts FROM ({codes_sql}) WHERE hts IS NOT NULL) c
            JOIN {policy_table} p ON p.hts_prefix = '*' OR starts_with(c.hts, p.hts_prefix)
        """

    def close(self) -> None:
        """Release the in-memory database."""
        self.con.close()
