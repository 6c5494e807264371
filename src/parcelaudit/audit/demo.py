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

from parcelaudit.audit.evaluation import evaluate_audit
from parcelaudit.audit.report import write_report
from parcelaudit.audit.results import RESULT_COLUMNS, read_results_file, record_results
from parcelaudit.audit.workflow import new_audit, plan_audit, sample_audit, sample_items
from parcelaudit.csv_safety import write_rows

DEMO_SEED = 20260701
CLAIM_FAILS = {"order_split", "consignee_day_over", "dm_suspended", "over_threshold", "excluded_goods"}
HTS_WRONG = {"hts_invalid", "hts_implausible"}
ACTOR = "demo-auditor"


def _largest_importer(store) -> tuple[str, object, object]:
    row = store.con.execute("""SELECT seller_name, min(arrival_date), max(arrival_date) FROM shipments
                               WHERE seller_name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""").fetchone()
    return row[0], row[1], row[2]


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
    from parcelaudit.generate.catalog import PRODUCTS

    catalog = {p.description: p.hts10 for p in PRODUCTS}
    items = sample_items(store, audit_id).to_pylist()
    ids = sorted({i["shipment_id"] for i in items})
    shipments = store.query(
        "SELECT shipment_id, order_id, declared_value FROM shipments WHERE list_contains(?, shipment_id)",
        [ids],
    ).to_pylist()
    order_of = {s["shipment_id"]: s["order_id"] for s in shipments}
    orders = store.query(
        """SELECT o.order_id, sum(coalesce(o.quantity, 1) * o.unit_price) AS paid,
                                   (SELECT sum(declared_value) FROM shipments s WHERE s.order_id = o.order_id) AS declared
                            FROM orders o WHERE list_contains(?, o.order_id) GROUP BY 1""",
        [sorted({o for o in order_of.values() if o})],
    ).to_pylist()
    paid = {o["order_id"]: o for o in orders}
    lines = store.query(
        "SELECT shipment_id, line_no, description, country_of_origin, manufacturer_country FROM lines "
        "WHERE list_contains(?, shipment_id) ORDER BY shipment_id, line_no",
        [ids],
    )
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


def run_demo(store, out_dir: Path) -> list[Path]:
    """Audit the largest generated importer end to end; return the report, PDF, workpaper and results sheet."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    importer, start, end = _largest_importer(store)
    audit_id = new_audit(store, importer, start, end, actor=ACTOR)
    plan_audit(store, audit_id, strata=3, sample_size=300, actor=ACTOR)
    sample_audit(store, audit_id, seed=DEMO_SEED, actor=ACTOR)
    results = simulate_results(store, audit_id, _truth(out_dir))
    sheet = out_dir / f"audit_{audit_id}_results.csv"
    header = list(RESULT_COLUMNS)
    write_rows(sheet, header, [[r.get(c) if r.get(c) is not None else "" for c in header] for r in results])
    record_results(store, audit_id, read_results_file(sheet), actor=ACTOR, source=str(sheet))
    evaluate_audit(store, audit_id, actor=ACTOR)
    return [*write_report(store, audit_id, out_dir, actor=ACTOR), sheet]
