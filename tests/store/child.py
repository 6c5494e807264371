"""A second process for the store tests: `python -m tests.store.child ACTION TARGET ...`.

hold-lock TARGET KEY READY SECONDS: open the store, take lock KEY, create the file READY, hold the lock for
SECONDS, then print the time.time() just before releasing it.
take-lock TARGET KEY: open the store, take lock KEY, print the time.time() it was granted.
open TARGET: open (creating and migrating) the store and print its schema version.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from parcelaudit.store import open_store


def main(action: str, target: str, *rest: str) -> None:
    """Run one action against the store at target."""
    with open_store(target) as store:
        if action == "hold-lock":
            key, ready, seconds = rest
            with store.lock(key):
                Path(ready).touch()
                time.sleep(float(seconds))
                print(time.time(), flush=True)
        elif action == "take-lock":
            with store.lock(rest[0]):
                print(time.time(), flush=True)
        elif action == "open":
            print(store.schema_version(), flush=True)
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
