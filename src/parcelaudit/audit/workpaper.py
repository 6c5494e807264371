"""The Excel workpaper (openpyxl): summary, step log, strata, sample, test results, every computation and
the reconciliation, one sheet each. Every text cell goes through csv_safety.neutralise, so nothing a
spreadsheet could execute (= + - @ tab CR) survives as a formula."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from parcelaudit.audit.workflow import sample_sheet
from parcelaudit.csv_safety import neutralise
from parcelaudit.outputs import atomic_path

_BOLD = Font(bold=True)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        value = str(value)
    return neutralise(value)


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append([_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = _BOLD
    widths = [len(str(h)) for h in header]
    for row in rows:
        values = [_cell(v) for v in row]
        sheet.append(values)
        widths = [max(w, min(len(str(v)), 60)) for w, v in zip(widths, values, strict=False)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"


def _pairs(prefix: str, data: dict) -> list[tuple[str, Any]]:
    out = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _pairs(name + ".", value)
        else:
            out.append((name, value))
    return out


def write_workpaper(path: Path, context: dict) -> Path:
    """Write the workpaper for a report context (see audit.report.build_context) to path (.xlsx)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    audit, evaluation = context["audit"], context["evaluation"]
    summary = [
        ("audit_id", audit["audit_id"]),
        ("importer", audit["importer"]),
        ("identified by", audit["importer_by"]),
        ("period", f"{audit['period_start']} to {audit['period_end']}"),
        ("unit", audit["unit"]),
        ("scope filters", audit["scope_filters"]),
        ("status", audit["status"]),
        ("demand statement", evaluation["demand_statement"]),
        ("demand (USD)", round(evaluation["demand"], 2)),
    ]
    summary += _pairs("population.", evaluation["population"]) + _pairs("sample.", evaluation["sample"])
    _sheet(book, "Summary", ["item", "value"], summary)
    _sheet(
        book,
        "Steps",
        ["step_no", "step", "actor", "acted_at", "parameters", "summary"],
        [
            (s["step_no"], s["step"], s["actor"], str(s["acted_at"]), s["parameters"], s["summary"])
            for s in context["steps"]
        ],
    )
    strata = evaluation["strata"]
    _sheet(
        book,
        "Population by stratum",
        [
            "stratum",
            "lower_value",
            "upper_value",
            "population",
            "book_total",
            "duty_paid",
            "sample_size",
            "reviewed_100pct",
            "tested",
            "errors",
            "sample_underpayment",
        ],
        [
            (
                s["stratum"],
                s["lower_value"],
                s["upper_value"],
                s["population"],
                s["book_total"],
                s["duty_total"],
                s["sample_size"],
                s["certainty"],
                s["tested"],
                s["errors"],
                s["sample_underpayment"],
            )
            for s in strata
        ],
    )
    items = context["items"]
    _sheet(book, "Sample", *sample_sheet(items))
    _sheet(
        book,
        "Test results",
        [
            "item_id",
            "declared_value",
            "corrected_value",
            "corrected_hts",
            "corrected_origin",
            "duty_free_claim_stands",
            "duty_paid",
            "duty_owed",
            "underpayment",
            "in_error",
            "notes",
            "recorded_by",
            "recorded_at",
        ],
        [
            (
                i["item_id"],
                i["book_value"],
                i["corrected_value"],
                i["corrected_hts"],
                i["corrected_origin"],
                i["duty_free"],
                i["book_duty"],
                i["audited_duty"],
                round(i["audited_duty"] - i["book_duty"], 2),
                i["in_error"],
                i["notes"],
                i["recorded_by"],
                str(i["recorded_at"]),
            )
            for i in items
        ],
    )
    computations: list[tuple] = []
    for number, part in enumerate(evaluation["stratum_projections"], start=1):
        computations.append(
            (
                f"stratum {strata[number - 1]['stratum']}",
                "underpayment",
                -part["point"],
                part["se"],
                part.get("upper") and -part["upper"],
                part.get("lower") and -part["lower"],
                part["basis"],
            )
        )
    intervals = [
        *((f"underpayment at {float(level):.0%}", i, None) for level, i in evaluation["loss"].items()),
        *((f"{method} estimator", i, None) for method, i in evaluation["loss_by_method"].items()),
        ("undervaluation (declared value)", evaluation["undervaluation"], "same design and estimator"),
    ]
    for quantity, interval, how in intervals:
        computations.append(
            (
                "overall",
                quantity,
                interval["point"],
                interval["se"],
                interval["lower"],
                interval["upper"],
                how or f"critical value {interval['critical_value']:.6f}",
            )
        )
    compliance = evaluation["compliance"]
    computations.append(
        (
            "overall",
            "items in error",
            compliance["errors_projected"],
            None,
            compliance["errors_lower"],
            compliance["errors_upper"],
            compliance["basis"],
        )
    )
    computations.append(
        (
            "overall",
            "compliance rate",
            compliance["rate"],
            None,
            compliance["lower"],
            compliance["upper"],
            compliance["basis"],
        )
    )
    for penalty in evaluation["penalties"]:
        computations.append(
            (
                "1592(c)",
                penalty["culpability"],
                penalty["maximum"],
                None,
                0.0,
                penalty["maximum_with_prior_disclosure"],
                penalty["basis"],
            )
        )
    _sheet(
        book,
        "Computations",
        ["scope", "quantity", "estimate", "standard_error", "lower", "upper", "how"],
        computations,
    )
    reconciliation = context.get("reconciliation")
    if reconciliation is not None:
        _sheet(book, "Reconciliation", ["check", "value"], list(reconciliation.summary.items()))
        for name, table in reconciliation.tables().items():
            title = name.replace("_", " ")[:31]
            _sheet(
                book,
                title,
                table.column_names,
                ([row[c] for c in table.column_names] for row in table.to_pylist()),
            )
    with atomic_path(path) as temporary:
        book.save(temporary)
    return path
