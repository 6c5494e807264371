"""The PostgreSQL server the tests use: postgresql://127.0.0.1:5432/test, or $PARCELAUDIT_TEST_PG.

Each test that needs one gets a fresh schema in that database (a store URL with ?schema=NAME), dropped
after the test. `python -m tests.pg_server` exits 0 when the server answers, else prints why and exits 1
(the Makefile uses it to decide whether to run the PostgreSQL leg).
"""

from __future__ import annotations

import os
import sys
import uuid
from functools import lru_cache

DEFAULT_URL = "postgresql://127.0.0.1:5432/test"


def server_url() -> str:
    """The database URL the tests use (without a schema)."""
    return os.environ.get("PARCELAUDIT_TEST_PG") or DEFAULT_URL


@lru_cache(maxsize=1)
def unreachable_reason() -> str | None:
    """Why the test server cannot be used (None when it answers)."""
    import psycopg

    try:
        with psycopg.connect(server_url(), connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no PostgreSQL server answers at {server_url()} ({first}); set PARCELAUDIT_TEST_PG"
    return None


def new_schema_url() -> tuple[str, str]:
    """A store URL naming a schema no test has used, and that schema's name."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    separator = "&" if "?" in server_url() else "?"
    return f"{server_url()}{separator}schema={schema}", schema


def drop_schema(schema: str) -> None:
    """Drop a test's schema and everything in it."""
    import psycopg

    with psycopg.connect(server_url(), connect_timeout=3, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    reason = unreachable_reason()
    if reason:
        print(reason)
    sys.exit(1 if reason else 0)
