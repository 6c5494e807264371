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
        statement = statement.transform(
            lambda node: exp.var(_PARAM) if isinstance(node, exp.Placeholder) else node
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
