"""A second process for the store tests: `python -m tests.store.child ACTION TARGET ...`.

hold-lock TARGET KEY READY SECONDS: open the store, take lock KEY, create the file READY, hold the lock for
SECONDS, then print the time.time() just before releasing it.
hold-xact-lock TARGET KEY READY SECONDS: the same with a lock taken inside a transaction (lock_until_commit),
released when the transaction commits.
take-lock TARGET KEY: open the store, take lock KEY, print the time.time() it was granted.
open TARGET: open (creating and migrating) the store and print its schema version.
hold-transaction TARGET READY SECONDS: insert a payment in a transaction, create READY, keep the transaction
open for SECONDS, then commit.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from parcelaudit.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def spawn(
    *args: str, module: str = "tests.store.child", cwd: Path = ROOT, env: dict | None = None
) -> subprocess.Popen:
    """Start `python -m MODULE ARGS` (default: this module, from the checkout's root), capturing its output."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def main(action: str, target: str, *rest: str) -> None:
    """Run one action against the store at target."""
    with open_store(target) as store:
        if action == "hold-lock":
            key, ready, seconds = rest
            with store.lock(key):
                Path(ready).touch()
                time.sleep(float(seconds))
                print(time.time(), flush=True)
        elif action == "hold-xact-lock":
            key, ready, seconds = rest
            with store.transaction():
                store.lock_until_commit(key)
                Path(ready).touch()
                time.sleep(float(seconds))
                print(time.time(), flush=True)
        elif action == "take-lock":
            with store.lock(rest[0]):
                print(time.time(), flush=True)
        elif action == "hold-transaction":
            ready, seconds = rest
            with store.transaction():
                store.execute(
                    "INSERT INTO payments (payment_id, amount, row_hash, import_id) VALUES ('held', 1, 'h', 0)"
                )
                Path(ready).touch()
                time.sleep(float(seconds))
        elif action == "open":
            print(store.schema_version(), flush=True)
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
