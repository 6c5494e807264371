"""Tracing: verdict accuracy on chains we did not generate, and the dossier's time and memory on repeated
events.

Accuracy, three sets: (1) the chains written from the EPCIS 2.0 / CBV text in tests/tracing/standard (each
party its own document; expected verdict and reason codes in expected.json); (2) GS1's published example
documents in ../shared/data/epcis (valid/, textile/): every product they make should come out `review`
(none carries facility master data or the records of every step; unknown is never clean); (3) our own
generator's five cotton T-shirt variants (tests/tracing/chains.py), for comparison.

Dossier: the clean T-shirt chain plus N more shipping events of the garment lot, each with its own five
record references (no copies): trace + verdict.json + dossier.html/.pdf + annexes, in a fresh process,
for N = 1,000 / 10,000 / 100,000 (schema validation on; screening off, it is measured elsewhere).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.memory import measure
from parcelaudit.errors import ParcelAuditError
from parcelaudit.paths import shared_data_dir
from parcelaudit.reports.trace_outputs import trace_files
from parcelaudit.tracing.model import product_key
from parcelaudit.tracing.verdict import load_chain, trace

REPEATS = (1_000, 10_000, 100_000)


def _standard() -> dict:
    from tests.tracing.standard_chains import expected_cases, trace_case

    product, cases = expected_cases()
    right_verdict = right_codes = 0
    rows = []
    for case in cases:
        result = trace_case(case, product)
        codes = sorted({r.code for r in result.reasons})
        right_verdict += result.verdict == case["verdict"]
        right_codes += result.verdict == case["verdict"] and codes == sorted(case["codes"])
        rows.append(
            {"case": case["chain"], "expected": case["verdict"], "got": result.verdict, "codes": codes}
        )
    return {
        "cases": len(rows),
        "verdict_right": right_verdict,
        "verdict_and_codes_right": right_codes,
        "rows": rows,
    }


def _gs1() -> dict:
    shared = shared_data_dir()
    base = shared / "epcis" if shared else None
    if base is None or not base.is_dir():
        return {"skipped": "../shared/data/epcis not found"}
    sets = [[p] for p in sorted((base / "valid").glob("*.json"))]
    sets += [[p] for p in sorted((base / "textile").glob("*.jsonld"))]
    products = right = 0
    refused = []
    for files in sets:
        try:
            chain = load_chain(files)
        except ParcelAuditError:
            refused.append(files[0].name)
            continue
        consumed = {q.lot for t in chain.transformations for q in t.inputs}
        made = {q.lot for t in chain.transformations for q in t.outputs}
        made |= {q.lot for m in chain.movements for q in m.lots}
        for product in sorted({product_key(lot) for lot in made - consumed}):
            products += 1
            right += trace(chain, product, screen=None).verdict == "review"
    return {
        "documents": len(sets),
        "products": products,
        "verdict_right": right,
        "refused_by_schema": refused,
    }


def _generator() -> dict:
    import tempfile

    from tests.tracing.chains import PRODUCT_GTIN, VARIANTS, write_chain

    expected = {"clean": "clear", "xinjiang_gin": "exposed", "listed_spinner": "exposed"}
    right = 0
    with tempfile.TemporaryDirectory() as tmp:
        for variant in VARIANTS:
            paths = write_chain(Path(tmp) / variant, variant)
            chain = load_chain([paths["epcis.json"], paths["documents.csv"]], paths["facilities.csv"])
            right += trace(chain, PRODUCT_GTIN).verdict == expected.get(variant, "review")
    return {"chains": len(VARIANTS), "verdict_right": right}


def _dossier(folder: str, repeats: int) -> dict:
    from tests.tracing.chains import PRODUCT_GTIN, with_repeated_events

    work = Path(folder)
    paths = with_repeated_events(work / "in", repeats)
    started = time.perf_counter()
    result, written = trace_files(
        [paths["epcis.json"], paths["documents.csv"]],
        PRODUCT_GTIN,
        work / "out",
        facilities=paths["facilities.csv"],
        screen=None,
    )
    import pypdfium2 as pdfium

    return {
        "repeats": repeats,
        "trace_and_dossier_seconds": round(time.perf_counter() - started, 1),
        "verdict": result.verdict,
        "reasons": len(result.reasons),
        "documents": len(result.chain.documents),
        "pdf_pages": len(pdfium.PdfDocument(str(work / "out" / "dossier.pdf"))),
        "html_mib": round((work / "out" / "dossier.html").stat().st_size / 2**20, 2),
        "input_mib": round(paths["epcis.json"].stat().st_size / 2**20, 1),
        "annexes": sorted(p.name for p in written if p.suffix == ".csv"),
    }


def run(work_dir: Path) -> dict:
    """Accuracy on the three sets, then the dossier at each size in its own process."""
    work_dir.mkdir(parents=True, exist_ok=True)
    dossier = []
    for repeats in REPEATS:
        value, seconds, peak_mib = measure(_dossier, str(work_dir / f"r{repeats}"), repeats)
        dossier.append({**value, "process_seconds": round(seconds, 1), "peak_mib": round(peak_mib)})
    return {"standard": _standard(), "gs1": _gs1(), "generator": _generator(), "dossier": dossier}


def summarize(result: dict) -> str:
    """Markdown lines for SUMMARY.md."""
    std, gs1, gen = result["standard"], result["gs1"], result["generator"]
    lines = [
        "| set | cases | verdict right | verdict and reason codes right |",
        "|---|---|---|---|",
        f"| chains written from EPCIS/CBV text (tests/tracing/standard) | {std['cases']} | "
        f"{std['verdict_right']} | {std['verdict_and_codes_right']} |",
    ]
    if "products" in gs1:
        lines.append(
            f"| GS1 published examples ({gs1['documents']} documents, {len(gs1['refused_by_schema'])} refused "
            f"by the schema) | {gs1['products']} products | {gs1['verdict_right']} | - |"
        )
    lines.append(f"| our generator's T-shirt variants | {gen['chains']} | {gen['verdict_right']} | - |")
    lines += [
        "",
        "| repeated events | input MiB | seconds | peak MiB | PDF pages | dossier.html MiB | annexes |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["dossier"]:
        lines.append(
            f"| {row['repeats']:,} | {row['input_mib']} | {row['process_seconds']} | {row['peak_mib']:,} | "
            f"{row['pdf_pages']} | {row['html_mib']} | {', '.join(row['annexes'])} |"
        )
    return "\n".join(lines)
