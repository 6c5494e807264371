"""Checks benchmark: recall per injected kind and precision per rule against the generator's truth.csv,
the held-shipment outcome with manifest data alone vs with orders + manufacturer + 10-digit HTS, rules
throughput (screening excluded) with peak memory, and end-to-end throughput with screening.

Environment: PARCELAUDIT_BENCH_PARCELS (default 1,000,000), PARCELAUDIT_BENCH_SCREENING=0 to skip the
end-to-end run.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.generated import generator_version
from bench.memory import measure
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS

# Contract: each injected kind and the rule that must catch it.
KIND_RULE = {
    "order_split": "DM-SPLIT",
    "consignee_day_over": "DM-AGG",
    "undervalued": "VAL-UNDER",
    "hts_invalid": "HTS-INVALID",
    "hts_implausible": "HTS-DESC",
    "origin_mismatch": "ORIG-MISMATCH",
    "dm_suspended": "DM-ELIG",
    "over_threshold": "DM-VALUE",
    "excluded_goods": "DM-EXCL",
    "xinjiang_address": "FL-REGION",
    "listed_entity": "SCREEN-UFLPA",
    "missing_elements": "DATA-MISSING",
}
START, DAYS, SEED = date(2025, 3, 1), 240, 7


def _dataset(work_dir: Path, parcels: int) -> Path:
    """Generate once (CSV, as the lead's generator writes), convert to Parquet with canonical types.

    The folder is keyed by the content of every file the generator reads (generator_inputs), so a change to
    any of them (dataset.py, injections.py, a policy table...) regenerates.
    """
    from parcelaudit.generate import generate_dataset

    version = generator_version()
    data = work_dir / f"data_{parcels}_{version}"
    if not (data / "truth.parquet").exists():
        generate_dataset(data, parcels=parcels, days=DAYS, start=START, seed=SEED)
        for name, table in (("shipments", SHIPMENTS), ("lines", LINES), ("orders", ORDERS)):
            types = {f.name: f.type for f in table.fields}
            read = pacsv.read_csv(
                data / f"{name}.csv", convert_options=pacsv.ConvertOptions(column_types=types)
            )
            pq.write_table(read, data / f"{name}.parquet")
        truth = pacsv.read_csv(
            data / "truth.csv",
            convert_options=pacsv.ConvertOptions(
                column_types={"shipment_id": pa.string(), "line_no": pa.string(), "kind": pa.string()}
            ),
        )
        pq.write_table(truth, data / "truth.parquet")
    return data


def manifest_only(lines: pa.Table) -> pa.Table:
    """The carrier-manifest view of the same parcels: no manufacturer, HTS cut to 6 digits (orders dropped too)."""
    nulls = pa.nulls(lines.num_rows, pa.string())
    for column in ("manufacturer_name", "manufacturer_address", "manufacturer_country"):
        lines = lines.set_column(lines.column_names.index(column), column, nulls)
    digits = pc.replace_substring_regex(lines["hts_code"], r"[\s.\-]", "")
    return lines.set_column(
        lines.column_names.index("hts_code"), "hts_code", pc.utf8_slice_codeunits(digits, 0, 6)
    )


def _sets(table: pa.Table, key: str) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for value, shipment in zip(table[key].to_pylist(), table["shipment_id"].to_pylist(), strict=True):
        grouped.setdefault(value, set()).add(shipment)
    return grouped


def _accuracy(findings: pa.Table, truth: pa.Table) -> dict:
    """Recall per kind and precision per rule, at shipment level."""
    by_kind, by_rule = _sets(truth, "kind"), _sets(findings, "rule_id")
    recall = {}
    for kind, rule_id in KIND_RULE.items():
        expected = by_kind.get(kind, set())
        found = expected & by_rule.get(rule_id, set())
        recall[kind] = {
            "rule": rule_id,
            "injected": len(expected),
            "found": len(found),
            "recall": round(len(found) / len(expected), 4) if expected else None,
            "missed_examples": sorted(expected - found)[:5],
        }
    precision = {}
    for rule_id in sorted(set(KIND_RULE.values())):
        flagged = by_rule.get(rule_id, set())
        kinds = [k for k, r in KIND_RULE.items() if r == rule_id]
        true = set().union(*(by_kind.get(k, set()) for k in kinds))
        correct = flagged & true
        precision[rule_id] = {
            "flagged": len(flagged),
            "correct": len(correct),
            "precision": round(len(correct) / len(flagged), 4) if flagged else None,
            "false_examples": sorted(flagged - true)[:5],
        }
    return {"recall": recall, "precision": precision}


def _outcome(decisions: pa.Table, truth: pa.Table) -> dict:
    """Hold (and hold-or-review) rates of compliant parcels and recall of violating parcels."""
    violating = pc.is_in(decisions["shipment_id"], value_set=pc.unique(truth["shipment_id"]))
    held = pc.equal(decisions["decision"], "hold")
    stopped = pc.not_equal(decisions["decision"], "release")

    def share(mask: pa.ChunkedArray, among: pa.ChunkedArray) -> float:
        total = pc.sum(among.cast(pa.int64())).as_py() or 0
        return (
            round((pc.sum(pc.and_(mask, among).cast(pa.int64())).as_py() or 0) / total, 5) if total else 0.0
        )

    compliant = pc.invert(violating)
    return {
        "compliant": pc.sum(compliant.cast(pa.int64())).as_py(),
        "violating": pc.sum(violating.cast(pa.int64())).as_py(),
        "hold_rate_compliant": share(held, compliant),
        "stop_rate_compliant": share(stopped, compliant),
        "hold_recall_violations": share(held, violating),
        "stop_recall_violations": share(stopped, violating),
    }


def _run_view(data: Path, view: str, screening: bool) -> dict:
    """Child process: load one view, evaluate, and return figures (not the tables)."""
    from parcelaudit.pipeline import evaluate

    shipments, lines = pq.read_table(data / "shipments.parquet"), pq.read_table(data / "lines.parquet")
    orders = pq.read_table(data / "orders.parquet")
    truth = pq.read_table(data / "truth.parquet")
    if view == "manifest":
        lines, orders = manifest_only(lines), None
    started = time.perf_counter()
    result = evaluate(shipments, lines, orders, screening=screening)
    wall = time.perf_counter() - started
    figures = {
        "view": view,
        "screening": screening,
        "parcels": shipments.num_rows,
        "lines": lines.num_rows,
        "findings": result.findings.num_rows,
        "evaluate_seconds": round(wall, 2),
        "rules_seconds": round(result.rules_seconds, 2),
        "rules_parcels_per_second": round(shipments.num_rows / result.rules_seconds),
        "end_to_end_parcels_per_second": round(shipments.num_rows / wall),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "hts_complete": result.hts_complete,
        "outcome": _outcome(result.decisions, truth),
    }
    figures.update(_accuracy(result.findings, truth))
    return figures


def run(work_dir: Path) -> dict:
    """Generate the parcels, then measure both views (rules only) and the end-to-end run with screening."""
    work_dir.mkdir(parents=True, exist_ok=True)
    parcels = int(os.environ.get("PARCELAUDIT_BENCH_PARCELS", "1000000"))
    started = time.perf_counter()
    data = _dataset(work_dir, parcels)
    result: dict = {
        "parcels": parcels,
        "generate_seconds": round(time.perf_counter() - started, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    for view in ("rich", "manifest"):
        figures, _, peak = measure(_run_view, data, view, False)
        figures["peak_rss_mib"] = round(peak, 1)
        result[view] = figures
    if os.environ.get("PARCELAUDIT_BENCH_SCREENING", "1") != "0":
        # The held outcome compares the two views under the same settings: both screened.
        for view in ("rich", "manifest"):
            figures, _, peak = measure(_run_view, data, view, True)
            figures["peak_rss_mib"] = round(peak, 1)
            result[f"{view}_with_screening"] = figures
    return result


def summarize(result: dict) -> str:
    """Markdown: accuracy per kind and rule, held outcome per view, throughput and memory."""
    rich = result["rich_with_screening"] if "rich_with_screening" in result else result["rich"]
    out = [
        f"{result['parcels']:,} generated parcels (seed {SEED}, {START} + {DAYS} days); "
        f"accuracy from the run {'with' if rich['screening'] else 'without'} screening, bundled policy; "
        "precision at shipment level. Load average at start: "
        f"{result.get('load_average_1m')} on 2 cores shared with other jobs.",
        "",
        "| injected kind | rule | injected | found | recall |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, r in rich["recall"].items():
        out.append(f"| {kind} | {r['rule']} | {r['injected']} | {r['found']} | {r['recall']} |")
    out += ["", "| rule | parcels flagged | correct | precision |", "|---|---:|---:|---:|"]
    for rule_id, p in rich["precision"].items():
        out.append(f"| {rule_id} | {p['flagged']} | {p['correct']} | {p['precision']} |")
    suffix = "_with_screening" if "manifest_with_screening" in result else ""
    out += [
        "",
        f"Held outcome, both views {'with' if suffix else 'without'} screening:",
        "",
        "| data | hold rate of compliant | hold-or-review rate of compliant | violations held | "
        "violations held or reviewed |",
        "|---|---:|---:|---:|---:|",
    ]
    for view, label in (("manifest", "manifest only"), ("rich", "+ orders, manufacturer, 10-digit HTS")):
        o = result[view + suffix]["outcome"]
        out.append(
            f"| {label} | {o['hold_rate_compliant']:.4f} | {o['stop_rate_compliant']:.4f} | "
            f"{o['hold_recall_violations']:.4f} | {o['stop_recall_violations']:.4f} |"
        )
    out += [
        "",
        "| run | rules s | rules parcels/s | end-to-end parcels/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for key in ("rich", "manifest", "rich_with_screening", "manifest_with_screening"):
        if key in result:
            r = result[key]
            out.append(
                f"| {key} | {r['rules_seconds']} | {r['rules_parcels_per_second']:,} | "
                f"{r['end_to_end_parcels_per_second']:,} | {r['peak_rss_mib']} |"
            )
    return "\n".join(out)
