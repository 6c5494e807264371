"""After migrating, both engines hold the same tables with the same columns, read back as the same Arrow types."""

from __future__ import annotations

import pytest

from parcelaudit.store import open_store

pytestmark = pytest.mark.store


def test_both_engines_have_the_same_tables_columns_and_types(both_targets):
    duck_target, pg_target = both_targets
    with open_store(duck_target) as duck, open_store(pg_target) as pg:
        assert duck.tables() == pg.tables()
        for table in duck.tables():
            duck_schema = duck.query(f"SELECT * FROM {table} LIMIT 0").schema
            pg_schema = pg.query(f"SELECT * FROM {table} LIMIT 0").schema
            assert duck_schema == pg_schema, table
