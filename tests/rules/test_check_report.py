"""The check report on a run with many holds: every hold listed, priority holds first, no machine paths."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from parcelaudit.pipeline import evaluate
from parcelaudit.reports.check_report import log_scale, report_context, write_check_report
from tests.rules.builders import parcels


def _run():
    specs = [
        {"entry_type": "321", "declared_value": 900.0 + n, "arrival_date": date(2024, 5, 1)}
        for n in range(30)
    ]
    shipments, lines = parcels(*specs)
    result = evaluate(shipments, lines, screening=False)
    # a sanctions hold with no duty at risk must still lead the table
    decisions = result.decisions.to_pylist()
    next(d for d in decisions if d["shipment_id"] == "S1").update(
        reasons="SCREEN-SDN;DM-VALUE", duty_at_risk=0.0
    )
    result.decisions = pa.Table.from_pylist(decisions, schema=result.decisions.schema)
    return result


def test_held_table_lists_every_hold_with_sanctions_first(tmp_path):
    result = _run()
    context = report_context(result)
    held = context["held"]
    assert len(held) == 30 and held[0]["shipment_id"] == "S1" and held[0]["priority"]
    html_path, _ = write_check_report(result, tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert all(f"<code>S{n}</code>" in html for n in range(1, 31))


def test_reports_name_reference_files_without_machine_paths(tmp_path):
    html_path, _ = write_check_report(_run(), tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert "/src/parcelaudit" not in html and "/work/" not in html and str(tmp_path) not in html
    assert "bundled severity policy" in html


def test_a_dominant_rule_switches_the_chart_to_a_log_scale():
    assert log_scale([12_000.0, 40.0, 3.0])
    assert not log_scale([120.0, 40.0, 30.0]) and not log_scale([5.0])
