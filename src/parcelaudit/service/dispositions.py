"""The workbench's verdicts on hits, written in the screening dispositions format (screen-dispose's CSV), so
that `check --dispositions` and `screen --dispositions` honour what analysts decided in the workbench."""

from __future__ import annotations

import csv
from pathlib import Path

from parcelaudit.outputs import atomic_path
from parcelaudit.screening.dispositions import FIELDS
from parcelaudit.store import Store
from parcelaudit.store import workbench as sql


def write_dispositions(store: Store, path: Path) -> int:
    """Write every recorded verdict (oldest first: the latest on a name and entry counts) to path; returns
    how many. Values are written as recorded (the file is read back by the screening package, not a
    spreadsheet), each with the entry's content hash when it was decided."""
    rows = sql.dispositions(store) if "wb_dispositions" in store.tables() else []
    with atomic_path(Path(path)) as temporary, temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for row in rows:
            values = {**row, "when": row["decided_at"].isoformat(timespec="seconds")}
            writer.writerow([values[field] for field in FIELDS])
    return len(rows)
