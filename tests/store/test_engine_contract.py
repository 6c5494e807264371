"""The Store contract, on both engines: what goes in comes out with the same values and types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from parcelaudit.errors import InputError, StoreError
from parcelaudit.store import available_migrations, open_store

pytestmark = pytest.mark.store

COLUMNS = (
    "CREATE TABLE kinds (small SMALLINT, i INTEGER, b BIGINT, d DOUBLE, v VARCHAR, x BOOLEAN, day DATE, "
    "stamp TIMESTAMP, money DECIMAL(38,9))"
)
KINDS = pa.schema(
    [
        ("small", pa.int16()),
        ("i", pa.int32()),
        ("b", pa.int64()),
        ("d", pa.float64()),
        ("v", pa.string()),
        ("x", pa.bool_()),
        ("day", pa.date32()),
        ("stamp", pa.timestamp("us")),
        ("money", pa.decimal128(38, 9)),
    ]
)


def kinds_rows() -> pa.Table:
    """Rows of every column type, with the awkward values: nulls, empty text, quotes, separators, extremes."""
    return pa.table(
        {
            "small": pa.array([1, None, -32768, 32767], pa.int16()),
            "i": pa.array([2, None, -(2**31), 2**31 - 1], pa.int32()),
            "b": pa.array([3, None, -(2**63), 2**63 - 1], pa.int64()),
            "d": pa.array([0.1, None, 1 / 3, -1e300], pa.float64()),
            "v": pa.array(["", None, 'a,"b"\nc;\t%s ?', "Ürümqi 乌鲁木齐 ☃"], pa.string()),
            "x": pa.array([True, None, False, True], pa.bool_()),
            "day": pa.array([dt.date(2024, 2, 29), None, dt.date(1970, 1, 1), dt.date(9999, 12, 31)]),
            "stamp": pa.array(
                [
                    dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
                    None,
                    dt.datetime(1970, 1, 1),
                    dt.datetime(2000, 1, 1, 12),
                ],
                pa.timestamp("us"),
            ),
            "money": pa.array(
                [
                    Decimal("12.345678901"),
                    None,
                    Decimal("-99999999999999999999999999999.999999999"),
                    Decimal(0),
                ],
                pa.decimal128(38, 9),
            ),
        },
        schema=KINDS,
    )


def with_kinds(target: str):
    store = open_store(target)
    store.execute(COLUMNS)
    store.insert("kinds", kinds_rows())
    return store


def test_every_column_type_round_trips_with_its_type(target):
    with with_kinds(target) as store:
        back = store.query("SELECT * FROM kinds ORDER BY b NULLS FIRST")
    expected = kinds_rows().sort_by([("b", "ascending")])
    expected = pa.concat_tables([expected.slice(3), expected.slice(0, 3)])  # the NULL b first
    assert back.schema == KINDS
    assert back.to_pylist() == expected.to_pylist()


def test_query_takes_parameters_and_keeps_literal_percent_and_question_marks(target):
    with with_kinds(target) as store:
        assert store.fetch("SELECT i FROM kinds WHERE v LIKE '%?%' AND b > ?", [0]) == []
        assert store.fetch("SELECT count(*) FROM kinds WHERE v LIKE '%%s ?%'") == [(1,)]
        assert store.scalar("SELECT i FROM kinds WHERE v = ? AND x = ?", ["", True]) == 2
        table = store.query("SELECT v, money FROM kinds WHERE day >= ? ORDER BY day", [dt.date(2000, 1, 1)])
        assert table.column("v").to_pylist() == ["", "Ürümqi 乌鲁木齐 ☃"]
        assert table.schema.field("money").type == pa.decimal128(38, 9)
        assert store.query("SELECT * FROM kinds WHERE false").schema == KINDS


def test_batches_cover_the_result_in_pieces_no_larger_than_asked(target):
    rows = pa.table({"n": pa.array(range(2500), pa.int64()), "t": [f"row {n}" for n in range(2500)]})
    with open_store(target) as store:
        store.execute("CREATE TABLE numbers (n BIGINT, t VARCHAR)")
        assert store.insert("numbers", rows) == 2500
        pieces = list(store.batches("SELECT n, t FROM numbers WHERE n >= ?", [500], rows=700))
        assert all(0 < piece.num_rows <= 700 for piece in pieces)
        got = pa.Table.from_batches(pieces)
        assert got.num_rows == 2000
        assert sorted(got.column("n").to_pylist()) == list(range(500, 2500))
        assert got.schema == pa.schema([("n", pa.int64()), ("t", pa.string())])
        assert list(store.batches("SELECT * FROM numbers WHERE n < 0")) == []


def test_insert_fills_named_columns_and_read_table_filters(target):
    with open_store(target) as store:
        store.execute("CREATE TABLE pairs (a BIGINT, b VARCHAR, c DOUBLE)")
        store.insert("pairs", pa.table({"x": [1, 2], "y": ["one", "two"]}), columns=["a", "b"])
        table = store.read_table("pairs", "a = ?", [2])
        assert table.to_pylist() == [{"a": 2, "b": "two", "c": None}]


def test_a_failed_transaction_leaves_nothing_and_a_committed_one_is_seen_by_others(target):
    with open_store(target) as store:
        store.execute("CREATE TABLE t (n BIGINT)")
        with pytest.raises(RuntimeError), store.transaction():
            store.execute("INSERT INTO t VALUES (?)", [1])
            with store.transaction():  # a nested block joins the outer transaction
                store.insert("t", pa.table({"n": [2, 3]}))
            raise RuntimeError("boom")
        assert store.scalar("SELECT count(*) FROM t") == 0
        with store.transaction():
            store.execute("INSERT INTO t VALUES (?)", [4])
    with open_store(target, read_only=True) as again:
        assert again.fetch("SELECT n FROM t") == [(4,)]


def test_staged_data_is_a_relation_inside_the_block_only(target):
    with with_kinds(target) as store:
        keys = pa.table({"b": pa.array([3, 2**63 - 1], pa.int64()), "label": ["three", "max"]})
        with store.staged("wanted", keys) as name:
            joined = store.fetch(f"SELECT w.label, k.i FROM kinds k JOIN {name} w ON k.b = w.b ORDER BY k.i")
            assert joined == [("three", 2), ("max", 2**31 - 1)]
        with pytest.raises(Exception):  # noqa: B017 - each engine raises its own error type
            store.fetch("SELECT * FROM wanted")


def test_next_id_counts_up_across_connections(target):
    with open_store(target) as store:
        first = store.next_id("import_id_seq")
        assert store.next_id("import_id_seq") == first + 1
    with open_store(target) as store:
        assert store.next_id("import_id_seq") > first + 1


def test_migrations_apply_once_and_are_idempotent(target):
    versions = [v for v, _, _ in available_migrations()]
    with open_store(target) as store:
        assert store.schema_version() == versions[-1]
        assert store.migrate() == []
    with open_store(target) as store:
        assert store.migrate() == []
        assert [r[0] for r in store.fetch("SELECT version FROM schema_migrations ORDER BY 1")] == versions
        assert {"shipments", "lines", "imports", "check_findings"} <= set(store.tables())


def test_a_store_written_by_a_newer_version_is_refused(target):
    with open_store(target) as store:
        store.execute("INSERT INTO schema_migrations VALUES (9999, 'future', ?)", [dt.datetime(2030, 1, 1)])
    with pytest.raises(StoreError, match="newer ParcelAudit"):
        open_store(target)


def test_read_only_store_refuses_writes_and_a_missing_store_is_a_clear_error(target):
    with pytest.raises(StoreError, match="no store"):
        open_store(target, read_only=True)
    open_store(target).close()
    with open_store(target, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM imports") == 0
        with pytest.raises(Exception):  # noqa: B017 - each engine raises its own error type
            store.execute("INSERT INTO schema_migrations VALUES (9998, 'x', ?)", [dt.datetime(2030, 1, 1)])


def test_counts_cover_every_table(target):
    with open_store(target) as store:
        counts = store.counts()
    assert set(counts) == set(open_store(target).tables())
    assert counts["schema_migrations"] == len(available_migrations())


def test_a_read_only_store_can_stage_data(target):
    open_store(target).close()
    with open_store(target, read_only=True) as store, store.staged("ids", pa.table({"n": [1, 2, 3]})) as name:
        assert store.scalar(f"SELECT sum(n) FROM {name}") == 6


def test_a_lost_postgresql_connection_is_a_one_line_store_error(pg_target):
    import psycopg

    from parcelaudit.store import storage_failure
    from tests import pg_server

    with open_store(pg_target) as store:
        pid = store.scalar("SELECT pg_backend_pid()")
        with psycopg.connect(pg_server.server_url(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError) as raised:
            store.fetch("SELECT 1")
        failure = storage_failure(raised.value, pg_target)
    assert failure is not None and "connection failed" in str(failure)
    assert "schema=" in str(failure) and "\n" not in str(failure)


def test_dictionary_encoded_text_is_stored_as_its_values(target):
    data = pa.table({"v": pa.array(["a", "b", "a", None]).dictionary_encode()})
    with open_store(target) as store:
        store.execute("CREATE TABLE words (v VARCHAR)")
        store.insert("words", data)
        with store.staged("more", data) as name:
            assert store.fetch(f"SELECT count(*) FROM {name} WHERE v = 'a'") == [(2,)]
        assert store.query("SELECT v FROM words ORDER BY v").column("v").to_pylist() == ["a", "a", "b", None]


def test_a_one_column_result_keeps_its_null_rows(target):
    with open_store(target) as store:
        store.execute("CREATE TABLE one (v VARCHAR)")
        store.insert("one", pa.table({"v": pa.array([None, "", None], pa.string())}))
        assert store.query("SELECT v FROM one").num_rows == 3
        assert sum(b.num_rows for b in store.batches("SELECT v FROM one", rows=2)) == 3
        assert sorted(store.query("SELECT v FROM one").column("v").to_pylist(), key=str) == ["", None, None]


def test_a_postgresql_url_keeps_its_own_options_and_hides_its_password(pg_target):
    from parcelaudit.store.postgres_engine import split_url

    conninfo, schema, options, shown = split_url(
        "postgresql://ann:secret@db.example:5433/audit?schema=acme&options=-c%20work_mem%3D8MB&sslmode=disable"
    )
    assert (schema, options) == ("acme", "-c work_mem=8MB")
    assert conninfo == "postgresql://ann:secret@db.example:5433/audit?sslmode=disable"
    assert "secret" not in shown and "***" in shown
    with pytest.raises(StoreError, match="not a plain"):
        split_url("postgresql://h/db?schema=Robert');DROP")
    with open_store(f"{pg_target}&options=-c%20statement_timeout%3D4321") as store:
        assert store.scalar("SELECT current_setting('statement_timeout')") == "4321ms"
        assert store.scalar("SELECT current_schema()") == store.schema
        assert not hasattr(store, "con")


def test_postgresql_refuses_a_nul_character_naming_table_row_and_column(pg_target):
    with open_store(pg_target) as store:
        store.execute("CREATE TABLE notes (n BIGINT, note VARCHAR)")
        data = pa.table({"n": [1, 2], "note": ["fine", "bad\x00byte"]})
        with pytest.raises(
            StoreError, match=r"field 'note': text with a NUL .* row 2 of the data for notes .*remove NUL"
        ):
            store.insert("notes", data)
        assert store.scalar("SELECT count(*) FROM notes") == 0


def test_a_nul_character_in_a_parameter_is_a_clear_refusal_on_postgresql(pg_target):
    """PostgreSQL text cannot hold NUL: a parameter carrying one is refused in one line (the service answers 422)."""
    with open_store(pg_target) as store:
        store.execute("CREATE TABLE t_nul (name VARCHAR)")
        with pytest.raises(InputError, match="NUL character"):
            store.execute("INSERT INTO t_nul VALUES (?)", ["a\x00b"])
        assert store.fetch("SELECT count(*) FROM t_nul") == [(0,)]


def test_inserted_rows_are_not_held_in_memory_until_the_transaction_ends(target):
    # A check run stores every partition's results in one transaction: what it inserted must not stay
    # alive in the process until the commit (DuckDB kept each registered Arrow table: memory grew with the
    # number of partitions, issue 16).
    rows = 100_000
    with open_store(target) as store:
        store.execute("CREATE TABLE t (n BIGINT, s VARCHAR)")
        with store.transaction():
            before = pa.total_allocated_bytes()
            for part in range(5):
                data = pa.table({"n": pa.array(range(rows), pa.int64()), "s": [f"row {part}"] * rows})
                store.insert("t", data)
                del data
            held = pa.total_allocated_bytes() - before
        assert store.scalar("SELECT count(*) FROM t") == 5 * rows
    assert held < 2 * rows * 8  # less than two partitions' numbers alone (five were inserted)
