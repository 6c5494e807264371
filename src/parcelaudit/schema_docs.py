"""Render the canonical tables as Markdown (docs/data-model.md is generated from this; a test keeps it current)."""

from __future__ import annotations

import sys
from pathlib import Path

from parcelaudit.schema import TABLES

HEADER = """# Data model

Generated from `src/parcelaudit/schema.py` by `python -m parcelaudit.schema_docs docs/data-model.md`;
a test fails when this file and the code disagree. Column names are a public contract.

On input, header names are compared after lower-casing and folding punctuation and spaces to `_`
(`Tracking No.` becomes `tracking_no`); a column named exactly like a canonical field wins over an
alias. A flat manifest with shipment and line columns on one row per line item feeds both
`shipments` and `lines`. Types: money and number are decimals written with a dot (a `$` sign and
thousands commas are accepted); dates are ISO (`YYYY-MM-DD`, also `YYYY/MM/DD`, `YYYYMMDD`, or an ISO
date-time); countries are ISO 3166-1 alpha-2 (alpha-3 codes and English names are converted);
currencies ISO 4217; HTS codes 6, 8 or 10 digits (dots, spaces and dashes are removed); entry types
`321`, `86`, `11`, `01`, `postal` (`T86`, `Type 11`, `1` are understood). A date column in another
format (`03/08/2025`, `08.03.2025`, `8 Mar 2025`) is read when all its values fit one format, with a
note; a column that reads two ways (`03/04/2025`) needs `--date-format` or a map's `date_format`.

A mapping file (`ingest --map map.toml`, proposed by `ingest --suggest-map FILE`) names the field of any
header (`"HAWB" = "shipment_id"`) and says how the file writes values: `date_format`, `decimal`,
`currency` (the file's currency when no column names it, stored in `shipments.currency`) and
`value_scope` (`"shipment"`: the value column is the parcel's `declared_value` and line values stay
empty; `"line"`: it is each line's value, and a parcel without a value column gets the sum of its lines).
Columns no field takes are kept per source row in the `source_extras` table (`import_id`, `source_row`,
`fields` as a JSON object), never dropped. A flat file without a line number numbers each parcel's lines
in file order. A carrier's "Ship Date" is read as `export_date` (the parcel left the country of export
that day; CBP converts foreign currency at the rate of the date of exportation, 31 U.S.C. 5151 and
19 CFR 159.32 with 152.1(c)), not as `arrival_date`. Limits on input are in [limits.md](limits.md).

Every stored row also carries `row_hash` (MD5 of its canonical content; the same content is
never stored twice), `import_id` (the import that stored it) and `source_row` (its row in the source
file, the header being row 1), so every stored value can be traced back to the file and row it came from.
"""


def schema_markdown() -> str:
    """The data-model document as Markdown."""
    parts = [HEADER]
    for table in TABLES.values():
        parts.append(f"## `{table.name}`\n\n{table.doc} Key: {', '.join(f'`{k}`' for k in table.key)}.\n")
        parts.append("| column | kind | required | meaning | also accepted as |")
        parts.append("|---|---|---|---|---|")
        for spec in table.fields:
            required = "yes" if spec.required else ""
            if spec.default is not None:
                required = f"{required} (default `{spec.default}`)".strip()
            aliases = ", ".join(f"`{alias}`" for alias in spec.aliases)
            parts.append(f"| `{spec.name}` | {spec.kind} | {required} | {spec.doc} | {aliases} |")
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "docs/data-model.md").write_text(
        schema_markdown(), encoding="utf-8"
    )
