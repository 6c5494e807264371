"""House SQL gives the same answer on both engines, including the DuckDB constructs PostgreSQL lacks and
the translation rewrites (arg_min/arg_max, any_value, first, struct_pack as JSON, round, sha256, split)."""

from __future__ import annotations

import pytest

from parcelaudit.store import open_store

pytestmark = pytest.mark.store

ROWS = (
    "INSERT INTO t VALUES (1, 'x', 0.285, DATE '2024-01-02'), (2, 'y', 2.5, DATE '2024-02-03'), "
    "(3, NULL, -2.5, NULL), (NULL, 'w', 1.005, NULL), (4, 'it''s 100%', 0.125, DATE '2024-03-01')"
)
SAME_ON_BOTH = [
    "SELECT arg_min(b, a), arg_max(b, a), arg_min(a, d), arg_max(c, b) FROM t",
    "SELECT CAST(to_json(struct_pack(a := t.a, b := t.b, d := t.d)) AS VARCHAR) FROM t ORDER BY a",
    "SELECT any_value(b) IS NOT NULL FROM t",
    "SELECT first(b ORDER BY a DESC NULLS LAST) FROM t",
    "SELECT round(c, 2), round(c), round(c, 1), round(-c, 2) FROM t ORDER BY a",
    "SELECT sha256(b), md5(b) FROM t ORDER BY a",
    "SELECT string_split(b, 'x') FROM t ORDER BY a",
    "SELECT b, row_number() OVER (ORDER BY a) FROM t WHERE b LIKE '%0%' OR b LIKE 'x%' ORDER BY a",
    "SELECT count(*) FILTER (WHERE c > 1), count(DISTINCT b), string_agg(b, ';' ORDER BY b) FROM t",
    "SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY d IS NULL ORDER BY a) = 1 ORDER BY a",
    "SELECT avg(a), sum(a), avg(c), sum(c), sum(CAST(a AS INTEGER)), count(*) FROM t",
    "SELECT sum(CAST(c AS DECIMAL(10, 3))), avg(CAST(c AS DECIMAL(10, 3))) FROM t",
    "SELECT avg(a) FROM t WHERE false",
    "SELECT arg_max(round(c, 1), a), any_value(round(c, 1)) IS NOT NULL FROM t GROUP BY a IS NULL ORDER BY 1",
    "SELECT avg(round(c, 2)), round(avg(c), 3) FROM t",
    "SELECT a, avg(a) OVER (ORDER BY a ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t ORDER BY a",
    "SELECT date_diff('day', d, DATE '2024-12-31'), strftime(d, '%Y-%m') FROM t ORDER BY a",
]


@pytest.mark.parametrize("sql", SAME_ON_BOTH)
def test_house_sql_answers_the_same_on_both_engines(both_targets, sql):
    answers = []
    for target in both_targets:
        with open_store(target) as store:
            store.execute("CREATE TABLE IF NOT EXISTS t (a BIGINT, b VARCHAR, c DOUBLE, d DATE)")
            if not store.scalar("SELECT count(*) FROM t"):
                store.execute(ROWS)
            answers.append(store.fetch(sql))
    assert answers[0] == answers[1]


def test_parameters_and_percent_signs_pass_through(both_targets):
    for target in both_targets:
        with open_store(target) as store:
            store.execute("CREATE TABLE t (a BIGINT, b VARCHAR)")
            store.execute("INSERT INTO t VALUES (?, ?), (?, ?)", [1, "100%", 2, "what?"])
            assert store.fetch("SELECT a FROM t WHERE b LIKE '%\\%' ESCAPE '\\' AND a = ?", [1]) == [(1,)]
            assert store.fetch("SELECT a % 2, b FROM t WHERE b = ? ORDER BY a", ["what?"]) == [(0, "what?")]
