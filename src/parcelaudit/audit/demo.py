"""Demo hook: a complete audit of one generated importer, the auditor's tests simulated deterministically.

The simulated auditor does what a real one would with the books: compares each sampled parcel's declared
value with the price paid on its order, and the declared origin with the manufacturer's country. Where the
generator's truth file is beside the store (DIR/data/truth.csv of `parcelaudit demo --out DIR`), its
labels add what only inspection would reveal: a wrong HTS code (corrected to the catalog code) and a
duty-free claim that does not stand (order splitting, over the threshold, suspended, excluded goods).
"""

from __future__ import annotations

import csv
from pathlib import Path

from parcelaudit.audit.evaluate import evaluate_audit
from parcelaudit.audit.lifecycle import new_audit
from parcelaudit.audit.plan import plan_audit
from parcelaudit.audit.results import record_results
from parcelaudit.audit.results_sheet import RESULT_COLUMNS, read_results_file
from parcelaudit.audit.sampling import sample_audit, sample_items
from parcelaudit.csv_safety import write_rows
from parcelaudit.generate.catalog import PRODUCTS
from parcelaudit.store import audits as stored

DEMO_SEED = 20260701
CLAIM_FAILS = {"order_split", "consignee_day_over", "dm_suspended", "over_threshold", "excluded_goods"}
HTS_WRONG = {"hts_invalid", "hts_implausible"}
ACTOR = "demo-auditor"


def _truth(out_dir: Path) -> dict[str, set[str]]:
    path = Path(out_dir).parent / "data" / "truth.csv"
    kinds: dict[str, set[str]] = {}
    if path.exists():
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                kinds.setdefault(row["shipment_id"], set()).add(row["kind"])
    return kinds


def simulate_results(store, audit_id: str, truth: dict[str, set[str]]) -> list[dict]:
    """The auditor's test result for every sampled parcel, derived from the books (and truth labels if given)."""
    catalog = {p.description: p.hts10 for p in PRODUCTS}
    items = sample_items(store, audit_id).to_pylist()
    ids = sorted({i["shipment_id"] for i in items})
    shipments = stored.parcel_orders(store, ids).to_pylist()
    order_of = {s["shipment_id"]: s["order_id"] for s in shipments}
    orders = stored.order_prices(store, sorted({o for o in order_of.values() if o})).to_pylist()
    paid = {o["order_id"]: o for o in orders}
    lines = stored.parcel_lines(store, ids)
    first_line: dict[str, dict] = {}
    for line in lines.to_pylist():
        first_line.setdefault(line["shipment_id"], line)
    results = []
    for item in items:
        sid = item["shipment_id"]
        kinds = truth.get(sid, set())
        row = {"item_id": item["item_id"], "notes": []}
        order = paid.get(order_of.get(sid))
        if order and order["paid"] and order["declared"] and order["paid"] - order["declared"] > 0.01:
            # Spread the order's price over its parcels in proportion to what each declared.
            row["corrected_value"] = round(item["book_value"] * order["paid"] / order["declared"], 2)
            row["notes"].append(f"price paid {order['paid']:.2f} on order {order_of[sid]} > declared")
        line = first_line.get(sid)
        if (
            line
            and line["manufacturer_country"]
            and line["manufacturer_country"] != line["country_of_origin"]
        ):
            row["corrected_origin"] = line["manufacturer_country"]
            row["notes"].append(
                f"made in {line['manufacturer_country']}, declared {line['country_of_origin']}"
            )
        if kinds & HTS_WRONG and line and line["description"] in catalog:
            row["corrected_hts"] = catalog[line["description"]]
            row["notes"].append("HTS corrected to the product's classification")
        if kinds & CLAIM_FAILS:
            row["duty_free"] = False
            row["notes"].append("duty-free claim does not stand: " + ", ".join(sorted(kinds & CLAIM_FAILS)))
        row["notes"] = "; ".join(row["notes"]) or None
        # The simulated auditor tests every item: one without a correction is tested correct (with one, the
        # outcome follows from whether the correction changes the value or the duty).
        if len(row) == 2:
            row["result"] = "correct"
        results.append(row)
    return results


def run_demo(store, out_dir: Path) -> tuple[str, Path]:
    """Audit the largest generated importer up to its evaluation; return the audit id and the results sheet
    (the report is a face: parcelaudit.reports.audit_report.write_report)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    importer, start, end = stored.largest_seller(store)
    audit_id = new_audit(store, importer, start, end, actor=ACTOR)
    plan_audit(store, audit_id, strata=3, sample_size=300, actor=ACTOR)
    sample_audit(store, audit_id, seed=DEMO_SEED, actor=ACTOR)
    results = simulate_results(store, audit_id, _truth(out_dir))
    sheet = out_dir / f"audit_{audit_id}_results.csv"
    header = list(RESULT_COLUMNS)
    write_rows(sheet, header, [[r.get(c) if r.get(c) is not None else "" for c in header] for r in results])
    record_results(store, audit_id, read_results_file(sheet), actor=ACTOR, source=str(sheet))
    evaluate_audit(store, audit_id, actor=ACTOR)
    return audit_id, sheet
