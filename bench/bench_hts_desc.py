"""HTS-DESC precision and recall on a labelled set written from public sources, beside our generator's figures.

The labelled set (bench/data/hts_desc_labelled.csv) holds descriptions in the style of CBP ruling texts and
marketplace listing titles, written by hand, each with a real HTS code and a label (`ok`: the code fits,
`mismatch`: the description clearly belongs to another chapter). With the full USITC table loaded, the
schedule's own line texts are added: each text under its own code (`ok`) and under the code of a line of
another chapter halfway through the schedule (`mismatch`). Those mismatches measure how much of the
schedule our article-keyword map covers; the rule is tuned for precision (target >= 0.98), not for them.

The generator's figures come from a small generated data set and its truth file (kind hts_implausible).
Environment: PARCELAUDIT_BENCH_HTS_DESC_PARCELS (default 20,000).
"""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from parcelaudit.reference.hts import load_hts
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.registry import all_rules
from parcelaudit.schema import LINES, SHIPMENTS

LABELLED = Path(__file__).resolve().parent / "data" / "hts_desc_labelled.csv"
SCHEDULE_STEP = 40  # every 40th line of the full schedule (about 300 texts)
TARGET_PRECISION = 0.98


def labelled_set() -> list[dict]:
    """The hand-written rows plus, with the full schedule, its own texts under their code and another's."""
    with LABELLED.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    schedule = load_hts()
    if schedule.complete:
        codes = sorted(c for c in schedule.lines if not c.startswith("99") and not c.startswith("98"))
        half = len(codes) // 2
        for index in range(0, len(codes), SCHEDULE_STEP):
            code = codes[index]
            other = codes[(index + half) % len(codes)]
            text = schedule.lines[code].description
            if not text or other[:2] == code[:2]:
                continue
            rows.append({"description": text, "hts": code, "label": "ok", "source": "schedule"})
            rows.append({"description": text, "hts": other, "label": "mismatch", "source": "schedule"})
    return rows


def flagged_rows(rows: list[dict]) -> set[int]:
    """Indices of the rows HTS-DESC flags (each row one parcel of one line)."""
    n = len(rows)
    shipments = pa.table(
        {
            "shipment_id": [f"B{i}" for i in range(n)],
            "entry_type": ["11"] * n,
            "arrival_date": pa.array([date(2025, 6, 2)] * n, pa.date32()),
            "country_of_shipment": ["CN"] * n,
            "declared_value": [10.0] * n,
        }
    )
    lines = pa.table(
        {
            "shipment_id": [f"B{i}" for i in range(n)],
            "line_no": pa.array([1] * n, pa.int64()),
            "description": [r["description"] for r in rows],
            "hts_code": [r["hts"] for r in rows],
            "value": [10.0] * n,
        }
    )
    found = all_rules()["HTS-DESC"].run(RuleContext(shipments, lines))
    return {int(s[1:]) for s in found["shipment_id"].to_pylist()}


def _scores(rows: list[dict], flagged: set[int]) -> dict:
    truth = {i for i, r in enumerate(rows) if r["label"] == "mismatch"}
    hit = truth & flagged
    return {
        "rows": len(rows),
        "mismatches": len(truth),
        "flagged": len(flagged),
        "precision": round(len(hit) / len(flagged), 4) if flagged else None,
        "recall": round(len(hit) / len(truth), 4) if truth else None,
        "false_positives": sorted(f"{rows[i]['description']} @ {rows[i]['hts']}" for i in flagged - truth)[
            :10
        ],
        "missed": sorted(f"{rows[i]['description']} @ {rows[i]['hts']}" for i in truth - flagged)[:10],
    }


def generator_figures(work_dir: Path, parcels: int) -> dict:
    """HTS-DESC against the generator's truth (kind hts_implausible), line level."""
    from parcelaudit.generate import generate_dataset

    data = work_dir / f"hts_desc_generated_{parcels}"
    if not (data / "truth.csv").exists():
        generate_dataset(data, parcels=parcels, days=60, start=date(2025, 3, 1), seed=11)
    tables = {}
    for name, spec in (("shipments", SHIPMENTS), ("lines", LINES)):
        types = {f.name: f.type for f in spec.fields}
        tables[name] = pacsv.read_csv(
            data / f"{name}.csv", convert_options=pacsv.ConvertOptions(column_types=types)
        )
    truth = pacsv.read_csv(
        data / "truth.csv", convert_options=pacsv.ConvertOptions(column_types={"line_no": pa.string()})
    )
    expected = {
        (s, str(n))
        for s, n, k in zip(
            truth["shipment_id"].to_pylist(),
            truth["line_no"].to_pylist(),
            truth["kind"].to_pylist(),
            strict=True,
        )
        if k == "hts_implausible"
    }
    found = all_rules()["HTS-DESC"].run(RuleContext(tables["shipments"], tables["lines"]))
    flagged = {
        (s, str(n))
        for s, n in zip(found["shipment_id"].to_pylist(), found["line_no"].to_pylist(), strict=True)
    }
    hit = expected & flagged
    return {
        "parcels": parcels,
        "injected": len(expected),
        "flagged": len(flagged),
        "precision": round(len(hit) / len(flagged), 4) if flagged else None,
        "recall": round(len(hit) / len(expected), 4) if expected else None,
    }


def run(work_dir: Path) -> dict:
    """Precision and recall by source of the labelled set, overall, and on the generator's data."""
    rows = labelled_set()
    flagged = flagged_rows(rows)
    by_source = {}
    for source in sorted({r["source"] for r in rows}):
        indices = [i for i, r in enumerate(rows) if r["source"] == source]
        subset = [rows[i] for i in indices]
        position = {i: k for k, i in enumerate(indices)}
        by_source[source] = _scores(subset, {position[i] for i in flagged if i in position})
    written = [i for i, r in enumerate(rows) if r["source"] != "schedule"]
    hand = _scores([rows[i] for i in written], {written.index(i) for i in flagged if i in written})
    parcels = int(os.environ.get("PARCELAUDIT_BENCH_HTS_DESC_PARCELS", "20000"))
    work_dir.mkdir(parents=True, exist_ok=True)
    return {
        "schedule": load_hts().source.rsplit("/", 1)[-1],
        "target_precision": TARGET_PRECISION,
        "overall": _scores(rows, flagged),
        "hand_written": hand,
        "by_source": by_source,
        "generator": generator_figures(work_dir, parcels),
    }


def summarize(result: dict) -> str:
    """Markdown lines for SUMMARY.md."""
    lines = [
        f"HTS-DESC (schedule {result['schedule']}; target precision >= {result['target_precision']}):",
        "",
        "| set | rows | mismatches | flagged | precision | recall |",
        "|---|---|---|---|---|---|",
    ]
    named = [
        ("all public-source rows", result["overall"]),
        ("hand-written (rulings + marketplace)", result["hand_written"]),
    ]
    named += [(f"  {k}", v) for k, v in result["by_source"].items()]
    for name, s in named:
        lines.append(
            f"| {name} | {s['rows']} | {s['mismatches']} | {s['flagged']} | {s['precision']} | {s['recall']} |"
        )
    g = result["generator"]
    lines.append(
        f"| our generator ({g['parcels']:,} parcels) | | {g['injected']} | {g['flagged']} | {g['precision']} | {g['recall']} |"
    )
    return "\n".join(lines)
