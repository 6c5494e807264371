"""Validating one file's records: each batch checked against every table the file feeds, the accepted rows
and the rejects (file row, field, value, reason, raw) apart. Pure: Arrow batches in, Arrow out; the date
format of each undeclared date column is chosen on the first batch and said in a note."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.ingest.mapping import TableMapping
from parcelaudit.ingest.validate import choose_date_format, validate_batch


@dataclass
class Batch:
    """One validated batch: records read, per table the accepted rows (canonical columns + source_row) and
    the rejects (row_number, field, value, reason, raw), and the unplaced source columns of accepted
    records (+ source_row), or None."""

    rows: int
    accepted: list[pa.Table]
    rejects: list[pa.Table]
    extras: pa.Table | None = None


class FileValidation:
    """The validation of one file's batches, in file order: mappings (date formats settled on the first
    batch), records read, and the notes of what was assumed."""

    def __init__(self, path: str, mappings: list[TableMapping], unplaced: list[str] | None = None) -> None:
        self.path = path
        self.mappings = mappings
        self.unplaced = unplaced or []
        self.rows_read = 0
        self.notes: list[str] = []
        self._formats_chosen = False

    def choose_date_formats(self, raw: pa.Table) -> None:
        """Decide, on the first batch, the format of every date column the user gave no format for."""
        self._formats_chosen = True
        chosen: dict[str, tuple[str | None, str | None]] = {}
        updated = []
        for mapping in self.mappings:
            formats = dict(mapping.date_formats)
            for spec in mapping.table.fields:
                source = mapping.columns.get(spec.name)
                if spec.kind != "date" or not source or spec.name in formats:
                    continue
                if source not in chosen:
                    values = pc.unique(raw[source].combine_chunks().drop_null()).to_pylist()
                    chosen[source] = choose_date_format(values, source, self.path)
                    if chosen[source][1]:
                        self.notes.append(chosen[source][1])
                if chosen[source][0]:
                    formats[spec.name] = chosen[source][0]
            updated.append(replace(mapping, date_formats=formats))
        self.mappings = updated

    def batch(self, raw: pa.Table, first_row: int) -> Batch:
        """Validate a batch for every table the file feeds: a record is accepted only when every table
        accepts it; the unplaced source columns of accepted records come along as extras."""
        if not self._formats_chosen:
            self.choose_date_formats(raw)
        self.rows_read += raw.num_rows
        results = [validate_batch(raw, mapping, first_row) for mapping in self.mappings]
        ok = results[0].ok_mask
        for result in results[1:]:
            ok = pc.and_(ok, result.ok_mask)
        extras = None
        if self.unplaced:
            present = [c for c in self.unplaced if c in raw.column_names]
            extras = raw.select(present).append_column("source_row", results[0].rows["source_row"]).filter(ok)
        return Batch(raw.num_rows, [r.rows.filter(ok) for r in results], [r.rejects for r in results], extras)

    def describe(self) -> str:
        """The mapping as stored with the import (JSON): columns, options and unplaced columns per table."""
        described: dict[str, object] = {m.table.name: m.columns for m in self.mappings}
        described["_options"] = {
            m.table.name: {
                "constants": m.constants,
                "date_formats": m.date_formats,
                "decimal": m.decimal,
                "derived": sorted(m.derived),
            }
            for m in self.mappings
        }
        described["_unplaced"] = self.unplaced
        return json.dumps(described, ensure_ascii=False)


def malformed_records(malformed: list[tuple[int, str, str]]) -> pa.Table | None:
    """The records a CSV parser could not split (row_number, text, reason), with how many valid records
    came before each (valid_before: what the stored rows after it are renumbered by)."""
    if not malformed:
        return None
    rows = pa.table(
        {
            "row_number": [r for r, _, _ in malformed],
            "text": [t for _, t, _ in malformed],
            "reason": [why for _, _, why in malformed],
        }
    )
    return rows.append_column(
        "valid_before",
        pc.subtract(pc.subtract(rows["row_number"], 2), pa.array(range(rows.num_rows), pa.int64())),
    )
