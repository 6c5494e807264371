"""Trace verdicts in the store (trace_verdicts): written by `parcelaudit trace --db`, read by the checks."""

from __future__ import annotations

import json
from pathlib import Path

from parcelaudit.store.base import Store, utc_now


def save_trace_verdict(store: Store, verdict: dict, out_dir: Path | None = None) -> int:
    """Store a verdict.json dict in trace_verdicts, once per SKU (or once with sku '' when none); rows written."""
    rows = 0
    with store.transaction():
        for sku in verdict.get("skus") or [""]:
            store.execute(
                "DELETE FROM trace_verdicts WHERE product = ? AND sku = ?", [verdict["product"], sku]
            )
            store.execute(
                "INSERT INTO trace_verdicts (product, sku, verdict, coverage, reasons, out_dir, traced_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    verdict["product"],
                    sku,
                    verdict["verdict"],
                    float(verdict["coverage"]),
                    json.dumps(verdict["reasons"], ensure_ascii=False),
                    str(out_dir) if out_dir else None,
                    utc_now(),
                ],
            )
            rows += 1
    return rows


def read_trace_verdicts(store: Store) -> list[dict]:
    """Every stored verdict row (product, sku, verdict, coverage, reasons as JSON text, ...)."""
    return store.query(
        "SELECT product, sku, verdict, coverage, reasons, out_dir, traced_at FROM trace_verdicts "
        "ORDER BY product, sku"
    ).to_pylist()


def most_sold_skus(store: Store, suffixes: tuple[str, ...], limit: int) -> list[str]:
    """The SKUs ending in one of suffixes that the most lines carry (ties by SKU), at most limit."""
    like = " OR ".join("sku LIKE ?" for _ in suffixes)
    rows = store.fetch(
        f"SELECT sku FROM lines WHERE {like} GROUP BY sku ORDER BY count(*) DESC, sku LIMIT ?",
        [*(f"%{suffix}" for suffix in suffixes), limit],
    )
    return [row[0] for row in rows]
