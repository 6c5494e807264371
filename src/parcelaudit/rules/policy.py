"""Effective-dated policy tables (de minimis thresholds, suspensions, excluded goods, UFLPA sectors,
required data elements, description keywords), loaded from CSV with invariant checks.

Policy that changes is data: editing a date in these files changes outcomes without code changes. Every
row carries its citation. A directory with files of the same names replaces the bundled set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from parcelaudit.errors import ReferenceDataError

POLICY_DIR = Path(__file__).resolve().parent / "data"
FAR_FUTURE = date(9999, 12, 31)

# file stem -> (required columns, columns that must not overlap in time for the same key)
TABLE_SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "de_minimis_thresholds": (
        ("kind", "country", "threshold_usd", "effective_from", "citation"),
        ("kind", "country"),
    ),
    "de_minimis_suspensions": (
        ("measure_id", "country", "effective_from", "basis", "gifts_exempt", "citation"),
        ("country", "basis"),
    ),
    "excluded_goods": (("category", "hts_prefix", "origin", "effective_from", "citation"), None),
    "uflpa_sectors": (("sector", "hts_prefix", "effective_from", "citation"), None),
    "required_elements": (
        ("entry_types", "table", "field", "check", "effective_from", "status", "citation"),
        None,
    ),
    "description_chapters": (("keyword", "prefixes"), None),
    # goods a de minimis suspension does not reach (50 U.S.C. 1702(b) carve-outs of the IEEPA measures)
    "suspension_exemptions": (
        ("measure_id", "category", "hts_prefix", "basis", "effective_from", "citation"),
        None,
    ),
}
_TEXT_COLUMNS = (
    "basis",
    "hts_prefix",
    "country",
    "origin",
    "prefixes",
    "entry_types",
    "keyword",
    "measure_id",
    "category",
)


@dataclass(frozen=True)
class Policy:
    """All policy tables as Arrow tables, keyed by file stem; `source` names the directory they came from."""

    tables: dict[str, pa.Table]
    source: str

    def table(self, name: str) -> pa.Table:
        """One policy table by file stem (e.g. 'de_minimis_thresholds')."""
        return self.tables[name]

    def in_force(self, name: str, on: date) -> list[dict]:
        """Rows of a dated table in force on a date, as dicts (for explanations)."""
        table = self.tables[name]
        if "effective_from" not in table.column_names:
            return table.to_pylist()
        mask = pc.and_(
            pc.less_equal(table["effective_from"], pa.scalar(on, pa.date32())),
            pc.greater_equal(table["effective_to"], pa.scalar(on, pa.date32())),
        )
        return table.filter(mask).to_pylist()


def _read(path: Path, stem: str) -> pa.Table:
    required, _ = TABLE_SPECS[stem]
    if not path.exists():
        raise ReferenceDataError("policy table is missing", file=str(path), hint="restore the bundled file")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    types = {c: pa.string() for c in header if c in _TEXT_COLUMNS or c.endswith("citation") or c == "note"}
    types.update({c: pa.float64() for c in ("threshold_usd", "rate", "applies_above_usd") if c in header})
    for column in ("effective_from", "effective_to"):
        if column in header:
            types[column] = pa.date32()
    try:
        table = pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
        )
    except pa.ArrowInvalid as error:
        raise ReferenceDataError(
            f"cannot read policy table: {error}",
            file=str(path),
            hint="dates are YYYY-MM-DD; one value per column",
        ) from error
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise ReferenceDataError(f"policy table lacks columns {missing}", file=str(path), field=missing[0])
    if "effective_from" in table.column_names:
        if "effective_to" not in table.column_names:
            table = table.append_column("effective_to", pa.nulls(table.num_rows, pa.date32()))
        filled = pc.fill_null(table["effective_to"], pa.scalar(FAR_FUTURE, pa.date32()))
        table = table.set_column(table.column_names.index("effective_to"), "effective_to", filled)
    return table


def _validate(table: pa.Table, stem: str, path: Path) -> None:
    """Invariants: every row cited, dates ordered, no overlapping periods for one key."""
    _, key = TABLE_SPECS[stem]
    rows = table.to_pylist()
    for number, row in enumerate(rows, start=2):
        if "citation" in row and not (row["citation"] or "").strip():
            raise ReferenceDataError(
                "row has no citation",
                file=str(path),
                row=number,
                field="citation",
                hint="every policy fact needs its source",
            )
        if "effective_from" in row and row["effective_from"] > row["effective_to"]:
            raise ReferenceDataError(
                "effective_from is after effective_to", file=str(path), row=number, field="effective_from"
            )
    if key is None:
        return
    periods: dict[tuple, list[tuple[date, date, int]]] = {}
    for number, row in enumerate(rows, start=2):
        periods.setdefault(tuple(row[k] for k in key), []).append(
            (row["effective_from"], row["effective_to"], number)
        )
    for spans in periods.values():
        spans.sort()
        for (_, end, _), (start, _, number) in pairwise(spans):
            if start <= end:
                raise ReferenceDataError(
                    "period overlaps the previous one for the same key",
                    file=str(path),
                    row=number,
                    field="effective_from",
                    hint="end the earlier row the day before this one starts",
                )


@lru_cache(maxsize=8)
def load_policy(directory: str | None = None) -> Policy:
    """Load and validate every policy table from directory (default: the bundled rules/data)."""
    base = Path(directory) if directory else POLICY_DIR
    tables = {}
    for stem in TABLE_SPECS:
        path = base / f"{stem}.csv"
        if directory and not path.exists():
            path = POLICY_DIR / f"{stem}.csv"  # a user directory may override only some tables
        table = _read(path, stem)
        _validate(table, stem, path)
        tables[stem] = table
    return Policy(tables=tables, source=str(base))
