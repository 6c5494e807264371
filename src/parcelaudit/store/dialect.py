"""House SQL (DuckDB's dialect, `?` placeholders) translated to PostgreSQL with sqlglot, once per SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from parcelaudit.errors import StoreError

_PARAM = "__parcelaudit_param__"  # stands for a placeholder until the text is escaped for psycopg
# Statements whose result COPY can stream (a query); anything else runs through a cursor.
_QUERIES = (exp.Select, exp.Union, exp.Intersect, exp.Except)


@dataclass(frozen=True)
class Translated:
    """One statement in PostgreSQL's dialect: its text with psycopg's %s placeholders (literal % doubled) for
    use with parameters, its text as is for use without, and whether it is a query COPY can stream."""

    with_params: str
    without_params: str
    is_query: bool

    def text(self, params: object) -> str:
        """The text to hand psycopg, depending on whether parameters come with it."""
        return self.with_params if params else self.without_params


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect="postgres")


def _aggregate_first(
    value: str, order: str | None = None, skip_nulls: tuple[str, ...] = ()
) -> exp.Expression:
    ordered = f"{value} ORDER BY {order}" if order else value
    where = f" FILTER (WHERE {' AND '.join(f'{n} IS NOT NULL' for n in skip_nulls)})" if skip_nulls else ""
    return sqlglot.parse_one(f"(ARRAY_AGG({ordered}){where})[1]", read="postgres")


def _rounded(value: exp.Expression, decimals: exp.Expression | None) -> exp.Expression:
    # DuckDB rounds a DOUBLE half away from zero in double arithmetic (round(x * 10^d) / 10^d); PostgreSQL's
    # round(double) rounds half to even and round(double, d) does not exist.
    scaled = f"({_sql(value)}) * POWER(10, {_sql(decimals)})" if decimals is not None else f"({_sql(value)})"
    text = f"(SIGN({scaled}) * FLOOR(ABS({scaled}) + 0.5))"
    if decimals is not None:
        text = f"({text} / POWER(10, {_sql(decimals)}))"
    return sqlglot.parse_one(text, read="postgres")


def _portable(node: exp.Expression) -> exp.Expression:
    """Rewrite one DuckDB construct PostgreSQL lacks into one with the same result (others pass as they are)."""
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        value, key = _sql(node.this), _sql(node.expression)
        # DuckDB's arg_min/arg_max skip rows where either argument is NULL.
        return _aggregate_first(value, key + (" DESC" if isinstance(node, exp.ArgMax) else ""), (value, key))
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        node = node.this
    if isinstance(node, exp.AnyValue):
        return _aggregate_first(_sql(node.this), skip_nulls=(_sql(node.this),))
    if isinstance(node, exp.First) and isinstance(node.this, exp.Order):
        order = ", ".join(_sql(o) for o in node.this.expressions)
        return _aggregate_first(_sql(node.this.this), order)
    if isinstance(node, exp.Struct) and all(isinstance(e, exp.PropertyEQ) for e in node.expressions):
        # struct_pack(k := v, ...) as JSON text DuckDB's to_json gives: compact, keys in order.
        fields = ", ".join(f'{_sql(e.expression)} AS "{e.this.name}"' for e in node.expressions)
        return sqlglot.parse_one(f"(SELECT ROW_TO_JSON(r) FROM (SELECT {fields}) AS r)", read="postgres")
    if isinstance(node, exp.Avg):
        # DuckDB's avg is a DOUBLE whatever it averages: the exact sum, as a double, over the count.
        # PostgreSQL's avg of integers or decimals is an exact NUMERIC; a window or DISTINCT keeps avg.
        if isinstance(node.parent, exp.Window):
            return node  # the window as a whole is cast (below)
        if isinstance(node.this, exp.Distinct):
            return exp.cast(node.copy(), exp.DataType.build("DOUBLE PRECISION"))
        value = _sql(node.this)
        return sqlglot.parse_one(
            f"(CAST(SUM({value}) AS DOUBLE PRECISION) / NULLIF(COUNT({value}), 0))", read="postgres"
        )
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Avg):
        return exp.cast(node.copy(), exp.DataType.build("DOUBLE PRECISION"))
    if isinstance(node, exp.RegexpExtract) and _sql(node.args.get("group") or exp.Literal.number(0)) == "0":
        # DuckDB's regexp_extract(s, pattern): the first match ('' when none); PostgreSQL's substring(s FROM
        # pattern) is the first match too (NULL when none).
        text = f"COALESCE(SUBSTRING({_sql(node.this)} FROM {_sql(node.expression)}), '')"
        return sqlglot.parse_one(text, read="postgres")
    if isinstance(node, exp.Split):
        return exp.func("STRING_TO_ARRAY", node.this, node.expression)
    if isinstance(node, exp.Round):
        return _rounded(node.this, node.args.get("decimals"))
    if isinstance(node, exp.SHA2) and _sql(node.args.get("length") or exp.Literal.number(256)) == "256":
        return sqlglot.parse_one(
            f"ENCODE(SHA256(CONVERT_TO({_sql(node.this)}, 'UTF8')), 'hex')", read="postgres"
        )
    return node


def _rewritten(statement: exp.Expression) -> exp.Expression:
    """statement with every construct _portable knows rewritten, innermost first (so a rewrite's arguments
    are already PostgreSQL's)."""
    for node in reversed(list(statement.dfs())):
        new = _portable(node)
        if new is not node:
            node.replace(new)
    return statement


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> tuple[Translated, ...]:
    """Translate house SQL (one statement or a script) to PostgreSQL, statement by statement (cached by text)."""
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except ParseError as error:
        raise StoreError(
            f"SQL the PostgreSQL engine cannot translate: {str(error).splitlines()[0]}",
            hint="keep store SQL to portable standard SQL, or give the migration a .postgresql.sql file",
        ) from error
    translated = []
    for statement in statements:
        if statement is None:  # a script's trailing comment or empty statement
            continue
        statement = _rewritten(
            statement.transform(lambda node: exp.var(_PARAM) if isinstance(node, exp.Placeholder) else node)
        )
        text = statement.sql(dialect="postgres")
        translated.append(
            Translated(
                with_params=text.replace("%", "%%").replace(_PARAM, "%s"),
                without_params=text.replace(_PARAM, "?"),
                is_query=isinstance(statement, _QUERIES),
            )
        )
    return tuple(translated)
