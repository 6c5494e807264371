"""Link traces to parcels: lines whose SKU has a traced product carry its verdict into the checks.

Verdicts come from the store's rows (parcelaudit.store.traces.read_trace_verdicts: table trace_verdicts,
written by `parcelaudit trace --db ... --sku ...`) or from verdict.json files under a folder. A line whose
SKU was never traced gets no verdict (`trace_verdict` null): the checks keep an untraced high-priority-sector line at review.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from parcelaudit.errors import InputError
from parcelaudit.schema import TRACE_VERDICT_SCHEMA

SKU_VERDICT_SCHEMA = TRACE_VERDICT_SCHEMA
# One row per parcel line: the line's key, then its SKU's verdict columns.
LINK_SCHEMA = pa.schema([("shipment_id", pa.string()), ("line_no", pa.int64()), *SKU_VERDICT_SCHEMA])
_RANK = {"clear": 0, "review": 1, "exposed": 2}


def _from_folder(folder: Path) -> list[dict]:
    found = []
    for path in sorted(folder.rglob("verdict.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"not a readable verdict.json: {error}", file=str(path)) from error
        for sku in data.get("skus") or [""]:
            found.append(
                {
                    "product": data["product"],
                    "sku": sku,
                    "verdict": data["verdict"],
                    "coverage": data["coverage"],
                    "reasons": json.dumps(data["reasons"]),
                }
            )
    return found


def load_verdicts(source: Path | str | list[dict]) -> dict[str, dict]:
    """Verdicts keyed by SKU and by product id, from stored verdict rows or a folder of verdict.json files."""
    rows = source if isinstance(source, list) else _from_folder(Path(source))
    verdicts: dict[str, dict] = {}
    for row in rows:
        for key in filter(None, (row["sku"], row["product"])):
            # Two traces for one key: the worse verdict stands (unknown is never clean).
            if key not in verdicts or _RANK[row["verdict"]] > _RANK[verdicts[key]["verdict"]]:
                verdicts[key] = row
    return verdicts


def sku_verdict_table(source: dict | list[dict] | Path | str) -> pa.Table:
    """One row per traced SKU (or product id): the table the checks join lines to by SKU."""
    verdicts = source if isinstance(source, dict) else load_verdicts(source)
    rows = [
        {
            "sku": key,
            "trace_product": row["product"],
            "trace_verdict": row["verdict"],
            "trace_coverage": float(row["coverage"]),
            "trace_reasons": row["reasons"]
            if isinstance(row["reasons"], str)
            else json.dumps(row["reasons"]),
        }
        for key, row in verdicts.items()
    ]
    return pa.Table.from_pylist(rows, schema=SKU_VERDICT_SCHEMA)


def verdicts_for_skus(lines: pa.Table, source: dict | list[dict] | Path | str) -> pa.Table:
    """One row per line: its SKU's traced product, verdict, coverage and reasons (nulls when untraced)."""
    verdicts = source if isinstance(source, dict) else load_verdicts(source)
    if "sku" not in lines.column_names:
        raise InputError("lines have no sku column", field="sku", hint="map a SKU column on import")
    skus = lines.column("sku").to_pylist()
    hits = [verdicts.get(sku) if sku else None for sku in skus]
    line_no = lines.column("line_no").to_pylist() if "line_no" in lines.column_names else [1] * len(skus)
    return pa.table(
        {
            "shipment_id": lines.column("shipment_id").to_pylist(),
            "line_no": line_no,
            "sku": skus,
            "trace_product": [h["product"] if h else None for h in hits],
            "trace_verdict": [h["verdict"] if h else None for h in hits],
            "trace_coverage": [float(h["coverage"]) if h else None for h in hits],
            "trace_reasons": [h["reasons"] if h else None for h in hits],
        },
        schema=LINK_SCHEMA,
    )
