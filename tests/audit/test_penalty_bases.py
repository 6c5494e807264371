"""The audit's 19 U.S.C. 1592(c) exposure rests on the merchandise involved in the violations (the items in
error, projected by stratum), not on the whole population; refundable IEEPA duties are not a loss of
revenue; de minimis violations carry the statutory penalty from 2025-08-03."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from parcelaudit.audit.evaluate import evaluate_audit
from parcelaudit.audit.evaluation import de_minimis_exposure
from parcelaudit.audit.lifecycle import new_audit
from parcelaudit.audit.plan import plan_audit
from parcelaudit.audit.results import record_results, sampled_results
from parcelaudit.audit.sampling import sample_audit, sample_items
from parcelaudit.reports.audit_report import build_context
from parcelaudit.reports.audit_workpaper import write_workpaper
from parcelaudit.reports.render import render_html
from parcelaudit.store import Store
from tests.audit.conftest import END, IMPORTER, START


def _evaluate(store, rows_for) -> tuple[dict, list[dict], list[dict], dict]:
    audit_id = new_audit(store, IMPORTER, START, END, actor="t")
    plan_audit(store, audit_id, sample_size=40, actor="t")
    sample_audit(store, audit_id, seed=7, actor="t")
    items = sample_items(store, audit_id).to_pylist()
    record_results(store, audit_id, [rows_for(n, i) for n, i in enumerate(items)], actor="t")
    detail = evaluate_audit(store, audit_id, actor="t")
    strata = store.query("SELECT * FROM audit_strata WHERE audit_id = ?", [audit_id]).to_pylist()
    context = build_context(store, audit_id, with_reconciliation=False)
    return detail, strata, sampled_results(store, audit_id).to_pylist(), context


def test_bases_are_the_items_in_error_projected_and_refundable_duty_is_no_loss(db, tmp_path):
    def rows_for(n, item):
        if n % 4 == 0 and item["entry_type"] == "11":  # some formal entries undervalued by half
            return {"item_id": item["item_id"], "corrected_value": round(item["book_value"] * 2, 2)}
        return {"item_id": item["item_id"], "result": "correct"}

    with Store.open(db) as store:
        detail, strata, results, context = _evaluate(store, rows_for)
    errors = [r for r in results if r["in_error"]]
    assert 0 < len(errors) < len(results)
    # Expected dutiable value of the merchandise involved: each stratum's corrected values scaled by N_h / n_h.
    expected = 0.0
    for s in strata:
        tested = [r for r in results if r["stratum"] == s["stratum"]]
        involved = sum(r["corrected_value"] for r in tested if r["in_error"])
        expected += involved * s["population"] / len(tested) if tested else 0.0
    bases = detail["penalty_bases"]
    assert bases["sample"]["dutiable_value"] == pytest.approx(sum(r["corrected_value"] for r in errors))
    assert bases["projected"]["dutiable_value"] == pytest.approx(expected)
    assert bases["projected"]["dutiable_value"] < 0.6 * detail["population"]["declared_value"]
    # Chinese goods in March-April 2025 carry IEEPA duties: refundable, shown and left out of the loss.
    assert bases["sample"]["refundable_excluded"] > 0
    assert bases["sample"]["lost_duties"] == pytest.approx(
        sum(r["audited_duty"] - r["book_duty"] for r in errors), abs=0.01
    )
    fraud, gross, negligence = detail["penalties"]
    domestic = bases["projected"]["domestic_value"]
    assert bases["domestic_value_estimated"] and domestic > bases["projected"]["dutiable_value"]
    assert fraud["maximum"] == pytest.approx(domestic)  # not the population's value
    demand = detail["demand"]
    assert demand > 0
    assert fraud["maximum_with_prior_disclosure"] == pytest.approx(demand)  # refundable duty not counted
    assert gross["maximum"] == pytest.approx(min(domestic, 4 * demand))
    assert negligence["maximum"] == pytest.approx(min(domestic, 2 * demand))
    assert detail["de_minimis"]["violations_found"] == 0
    # The report and the workpaper show the same bases.
    html = render_html("audit_report.html", context)
    assert "merchandise involved in the violations" in html
    assert f"dutiable value ${bases['projected']['dutiable_value']:,.2f}" in " ".join(html.split())
    assert "De minimis violations" not in html
    book = load_workbook(write_workpaper(tmp_path / "workpaper.xlsx", context))
    rows = {r[1]: r[2] for r in book["Computations"].iter_rows(min_row=2, values_only=True)}
    assert rows["dutiable value of the merchandise involved"] == pytest.approx(expected)
    assert rows["fraud"] == pytest.approx(domestic)


def test_denied_de_minimis_claims_before_august_2025_carry_no_statutory_penalty(db):
    def rows_for(n, item):
        if item["entry_type"] == "321":
            return {"item_id": item["item_id"], "duty_free": False}
        return {"item_id": item["item_id"], "result": "correct"}

    with Store.open(db) as store:
        detail, _, results, context = _evaluate(store, rows_for)
    denied = sum(1 for r in results if r["entry_type"] == "321")
    assert denied > 0
    assert detail["de_minimis"]["violations_before_effective_date"] == denied
    assert detail["de_minimis"]["violations_found"] == 0 and detail["de_minimis"]["penalty_found"] == 0.0
    html = " ".join(render_html("audit_report.html", context).split())
    assert f"{denied} denied claim(s) before 2025-08-03 carry no statutory de minimis penalty" in html


def test_de_minimis_penalty_counts_violations_from_august_2025_and_projects_them():
    strata = [{"stratum": 1, "population": 100, "certainty": False}, {"stratum": 2, "population": 3}]

    def item(day, test="error", entry="321", duty_free=False):
        return {"test": test, "entry_type": entry, "duty_free": duty_free, "arrival_date": day}

    by_stratum = {
        1: [
            item(date(2025, 9, 1)),
            item(date(2025, 7, 1)),  # before the penalty took effect
            item(date(2025, 9, 2), test="correct", duty_free=True),
            item(date(2025, 9, 3), entry="11"),  # a formal entry: no de minimis claim
            *[item(date(2025, 9, 4), test="correct", duty_free=True)] * 6,
        ],
        2: [item(date(2025, 10, 1)), item(date(2025, 10, 2)), item(date(2025, 10, 3), test="correct")],
    }
    found = de_minimis_exposure(strata, by_stratum)
    assert (found["violations_found"], found["violations_before_effective_date"]) == (3, 1)
    assert found["penalty_found"] == 5_000 + 2 * 10_000
    assert found["violations_projected"] == 10 + 2  # 1 x 100/10 in stratum 1, 2 x 3/3 in stratum 2
    assert found["penalty_projected"] == 5_000 + 11 * 10_000
    assert found["status"] == "unverified"


def test_lost_fees_are_charged_once_per_entry_and_added_to_the_loss(db):
    from parcelaudit.audit.lifecycle import get_audit
    from parcelaudit.audit.population import parcel_fees
    from parcelaudit.audit.scope import load_scope

    def rows_for(n, item):
        if item["entry_type"] in ("321", "86"):  # every de minimis claim denied: the entry owes its fee
            return {"item_id": item["item_id"], "duty_free": False}
        return {"item_id": item["item_id"], "result": "correct"}

    with Store.open(db) as store:
        detail, _, results, _ = _evaluate(store, rows_for)
        audit_id = store.query("SELECT audit_id FROM audits").to_pylist()[-1]["audit_id"]
        shipments, _ = load_scope(store, get_audit(store, audit_id))
    denied = [r for r in results if r["in_error"] and r["entry_type"] in ("321", "86")]
    assert denied
    owed = parcel_fees(shipments, [{**r, "duty_free": False, "duty": r["audited_duty"]} for r in denied])
    bases = detail["penalty_bases"]
    # a denied claim paid no fee; its entry owes one (express $1.27-$1.34, informal $2.53-$2.69 by fiscal year)
    assert all(1.0 < owed[r["item_id"]] < 3.0 for r in denied)
    assert bases["sample"]["lost_fees"] == pytest.approx(sum(owed.values()), abs=0.01)
    fraud = detail["penalties"][0]
    lost = detail["demand"] + bases["projected"]["lost_fees"]
    assert bases["projected"]["lost_fees"] > 0 and fraud["maximum_with_prior_disclosure"] == pytest.approx(
        lost
    )
