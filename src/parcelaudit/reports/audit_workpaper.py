"""The Excel workpaper (openpyxl): summary, step log with the inputs' and outputs' hashes, strata, sample,
test results, the projection re-performed as Excel formulas next to the library's figures, every
computation and the reconciliation, one sheet each, each as an Excel table with currency and percentage
formats. Every text cell goes through csv_safety.neutralise, so nothing a spreadsheet could execute
(= + - @ tab CR) survives as a formula; the only formulas are the ones written here (class Formula)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from parcelaudit.audit.results_sheet import sample_sheet
from parcelaudit.csv_safety import neutralise
from parcelaudit.outputs import atomic_path

_BOLD = Font(bold=True)
USD = '"$"#,##0.00;-"$"#,##0.00'
PERCENT = "0.00%"
COUNT = "#,##0"
DECIMAL = "0.000000"
# Estimators whose projection the workpaper writes as formulas (the others are shown as values).
FORMULA_METHODS = ("difference", "mpu")
_MONEY = {
    "declared_value",
    "corrected_value",
    "duty_paid",
    "duty_owed",
    "underpayment",
    "lower_value",
    "upper_value",
    "book_total",
    "sample_underpayment",
    "mean_underpayment",
    "mean_duty_owed",
    "estimate",
    "standard_error",
    "library_estimate",
    "library_standard_error",
    "difference",
}


class Formula(str):
    """A formula this module writes on purpose (never user text): stored as a formula, not neutralised."""


def _text(value: Any) -> str:
    """A readable rendering of a parameter or summary value (no Python dict syntax)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return " | ".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, dict | list | tuple):
        value = _text(value)
    return neutralise(value)


def _format_for(heading: str, formats: dict[str, str]) -> str | None:
    if heading in formats:
        return formats[heading]
    if heading in _MONEY:
        return USD
    return None


def _sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: dict[str, str] | None = None,
    *,
    table: bool = True,
) -> Any:
    """One sheet: bold header, rows, number formats by column heading, widths, frozen header, and an Excel
    table over the range (filterable, banded) when it has rows."""
    sheet = book.create_sheet(title)
    sheet.append([_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = _BOLD
    widths = [len(str(h)) for h in header]
    count = 0
    for row in rows:
        values = [_cell(v) for v in row]
        sheet.append(values)
        count += 1
        widths = [
            max(w, min(len(str(v)) if not isinstance(v, str) or not v.startswith("=") else 14, 60))
            for w, v in zip(widths, values, strict=False)
        ]
    formats = formats or {}
    for index, heading in enumerate(header, start=1):
        number_format = _format_for(str(heading), formats)
        letter = get_column_letter(index)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = widths[index - 1] + 2
    sheet.freeze_panes = "A2"
    if table and count:
        name = re.sub(r"\W", "", title.title()) or "Table"
        ref = f"A1:{get_column_letter(len(header))}{count + 1}"
        grid = Table(displayName=name, ref=ref)
        grid.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        sheet.add_table(grid)
    return sheet


def _pairs(prefix: str, data: dict) -> list[tuple[str, Any]]:
    out = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _pairs(name + ".", value)
        else:
            out.append((name, value))
    return out


# Test results sheet: (heading, how to get the value from an item). Letters are fixed for the formulas.
_RESULT_COLUMNS = (
    ("stratum", lambda i: i["stratum"]),
    ("selection_order", lambda i: i["selection_order"]),
    ("item_id", lambda i: i["item_id"]),
    ("description", lambda i: i.get("description")),
    ("hts_code", lambda i: i.get("hts_code")),
    ("country_of_origin", lambda i: i.get("country_of_origin")),
    ("declared_value", lambda i: i["book_value"]),
    ("corrected_value", lambda i: i["corrected_value"]),
    ("corrected_hts", lambda i: i["corrected_hts"]),
    ("corrected_origin", lambda i: i["corrected_origin"]),
    ("duty_free_claim_stands", lambda i: i["duty_free"]),
    ("duty_paid", lambda i: i["book_duty"]),
    ("duty_owed", lambda i: i["audited_duty"]),
    ("underpayment", None),  # formula: duty_owed - duty_paid
    ("test", lambda i: i.get("test")),
    ("in_error", lambda i: 1 if i["in_error"] else 0),
    ("in_projection", lambda i: 1 if i.get("in_projection", True) else 0),
    ("reason_not_tested", lambda i: i.get("reason")),
    ("notes", lambda i: i["notes"]),
    ("recorded_by", lambda i: i["recorded_by"]),
    ("recorded_at", lambda i: str(i["recorded_at"])),
)
_COL = {heading: get_column_letter(n) for n, (heading, _) in enumerate(_RESULT_COLUMNS, start=1)}


def _results_rows(items: list[dict]) -> list[list]:
    rows = []
    for row_no, item in enumerate(items, start=2):
        row = []
        for _heading, get in _RESULT_COLUMNS:
            if get is None:
                row.append(Formula(f"={_COL['duty_owed']}{row_no}-{_COL['duty_paid']}{row_no}"))
            else:
                row.append(get(item))
        rows.append(row)
    return rows


def projection_rows(evaluation: dict, last_row: int) -> tuple[list[list], list[list]]:
    """The Projection sheet: per stratum, the re-performed estimate and standard error as formulas over the
    Test results sheet (rows 2..last_row) next to the library's figures; then the totals, limits, demand
    and compliance rate, each as a formula beside the library's value and their difference."""
    method = evaluation["method"]
    confidence = evaluation["confidence"]
    loss = evaluation["loss"][f"{confidence:.2f}"]
    tested = [s for s in evaluation["strata"] if s["tested"]]
    parts = dict(zip((s["stratum"] for s in tested), evaluation["stratum_projections"], strict=True))
    sheet = "'Test results'!"

    def rng(heading: str) -> str:
        letter = _COL[heading]
        return f"{sheet}${letter}$2:${letter}${max(last_row, 2)}"

    value = "underpayment" if method == "difference" else "duty_owed"
    member = f"({rng('stratum')}=A{{r}})*{rng('in_projection')}"
    rows = []
    for r, s in enumerate(evaluation["strata"], start=2):
        part = parts.get(s["stratum"], {"point": 0.0, "se": 0.0})
        m = member.format(r=r)
        estimate = f"=B{r}*E{r}" if method == "difference" else f"=IF(C{r}>0,B{r}*E{r}-D{r},0)"
        rows.append(
            [
                s["stratum"],
                s["population"],
                Formula(f"=SUMPRODUCT({m})"),
                s["duty_total"],
                Formula(f"=IF(C{r}>0,SUMPRODUCT({m}*{rng(value)})/C{r},0)"),
                Formula(f"=IF(C{r}>1,SUMPRODUCT({m}*({rng(value)}-E{r})^2)/(C{r}-1),0)"),
                Formula(estimate),
                Formula(f"=IF(AND(C{r}>1,C{r}<B{r}),B{r}*SQRT(F{r}/C{r})*SQRT((B{r}-C{r})/B{r}),0)"),
                -part["point"],
                part["se"],
                Formula(f"=SUMPRODUCT({m}*{rng('in_error')})"),
                Formula(f"=IF(C{r}>0,B{r}*K{r}/C{r},0)"),
            ]
        )
    last = len(rows) + 1
    # Legacy NORMSINV/TINV (two-tailed) are read alike by every spreadsheet, without _xlfn. prefixes.
    single_t = len(tested) == 1 and 1 < tested[0]["tested"] < tested[0]["population"]
    critical = (
        f"=TINV({1 - confidence:.10g},SUM(C2:C{last})-1)"
        if single_t
        else f"=NORMSINV(1-{(1 - confidence) / 2:.10g})"
    )
    base = last + 3  # the totals block starts two rows below the strata, after its own header
    point, se, crit, low, high = (f"B{base + k}" for k in range(5))
    basis = evaluation["demand_basis"]
    demand = {"lower": low, "point": point, "upper": high}[basis]
    compliance = evaluation["compliance"]
    totals = [
        ("projected underpayment", f"=SUM(G2:G{last})", loss["point"], USD),
        ("standard error", f"=SQRT(SUMSQ(H2:H{last}))", loss["se"], USD),
        ("critical value", critical, loss["critical_value"], DECIMAL),
        (f"lower limit ({confidence:.0%} two-sided)", f"={point}-{crit}*{se}", loss["lower"], USD),
        (f"upper limit ({confidence:.0%} two-sided)", f"={point}+{crit}*{se}", loss["upper"], USD),
        (f"demand ({basis}, never below 0)", f"=MAX({demand},0)", evaluation["demand"], USD),
        ("items in error (projected)", f"=SUM(L2:L{last})", compliance["errors_projected"], "#,##0.00"),
        ("compliance rate", f"=1-SUM(L2:L{last})/SUM(B2:B{last})", compliance["rate"], PERCENT),
    ]
    block = [
        [label, Formula(formula), library, Formula(f"=B{base + k}-C{base + k}"), fmt]
        for k, (label, formula, library, fmt) in enumerate(totals)
    ]
    return rows, block


_PROJECTION_HEADER = (
    "stratum",
    "population",
    "tested",
    "book_total",
    "mean_underpayment",
    "variance",
    "estimate",
    "standard_error",
    "library_estimate",
    "library_standard_error",
    "errors_in_sample",
    "projected_errors",
)


def _projection_sheet(book: Workbook, evaluation: dict, items: list[dict]) -> None:
    rows, block = projection_rows(evaluation, len(items) + 1)
    header = list(_PROJECTION_HEADER)
    if evaluation["method"] == "mpu":
        header[4] = "mean_duty_owed"
    sheet = _sheet(
        book,
        "Projection",
        header,
        rows,
        {"population": COUNT, "tested": COUNT, "variance": "#,##0.0000", "projected_errors": "#,##0.00"},
        table=False,
    )
    start = len(rows) + 3
    sheet.cell(start, 1, "quantity").font = _BOLD
    sheet.cell(start, 2, "recomputed here (formula)").font = _BOLD
    sheet.cell(start, 3, "library").font = _BOLD
    sheet.cell(start, 4, "difference").font = _BOLD
    for offset, (label, formula, library, difference, fmt) in enumerate(block, start=1):
        sheet.cell(start + offset, 1, label)
        for column, value in ((2, formula), (3, library), (4, difference)):
            cell = sheet.cell(start + offset, column, str(value) if isinstance(value, Formula) else value)
            cell.number_format = fmt
    note = sheet.cell(start + len(block) + 2, 1, _projection_note(evaluation))
    note.alignment = Alignment(wrap_text=False)
    sheet.column_dimensions["A"].width = 34
    for letter in "BCD":  # the block's headings are longer than the strata figures above them
        sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 0, 26)


def _projection_note(evaluation: dict) -> str:
    return (
        f"{evaluation['method']} estimator, separate-stratum: estimate = N x mean, standard error = "
        "N x sqrt(variance / n) x sqrt((N - n) / N), limits = total -+ critical value x sqrt(sum of SE^2) "
        "(normal; Student t with n - 1 df when one sampled stratum is tested). Untested items: "
        f"{evaluation.get('untested', {}).get('statement', 'n/a')}."
    )


def _projection_values_sheet(book: Workbook, evaluation: dict) -> None:
    rows = [
        (s["stratum"], s["population"], s["tested"], -p["point"], p["se"], p["basis"])
        for s, p in zip(
            [s for s in evaluation["strata"] if s["tested"]], evaluation["stratum_projections"], strict=True
        )
    ]
    _sheet(
        book,
        "Projection",
        ["stratum", "population", "tested", "library_estimate", "library_standard_error", "how"],
        rows,
        {"population": COUNT, "tested": COUNT},
    )


def _steps_sheets(book: Workbook, steps: list[dict]) -> None:
    _sheet(
        book,
        "Steps",
        ["step_no", "step", "actor", "acted_at", "parameters", "summary", "inputs", "outputs"],
        [
            (
                s["step_no"],
                s["step"],
                s["actor"],
                str(s["acted_at"]),
                _text(s["parameters"]),
                _text({k: v for k, v in s["summary"].items() if k != "strata"}),
                "; ".join(Path(k).name for k in s.get("inputs", {})),
                "; ".join(Path(k).name for k in s.get("outputs", {})),
            )
            for s in steps
        ],
    )
    hashes = [
        (s["step_no"], s["step"], role, name, digest)
        for s in steps
        for role in ("inputs", "outputs")
        for name, digest in s.get(role, {}).items()
    ]
    _sheet(book, "Hashes", ["step_no", "step", "role", "file_or_table", "sha256"], hashes)


def write_workpaper(path: Path, context: dict) -> Path:
    """Write the workpaper for a report context (see audit.report.build_context) to path (.xlsx)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    audit, evaluation = context["audit"], context["evaluation"]
    summary = [
        ("audit_id", context.get("audit_label", audit["audit_id"])),
        ("importer", audit["importer"]),
        ("identified by", audit["importer_by"]),
        ("period", f"{audit['period_start']} to {audit['period_end']}"),
        ("unit", audit["unit"]),
        ("scope filters", _text(audit["scope_filters"]) or "none"),
        ("status", audit["status"]),
        ("demand statement", evaluation["demand_statement"]),
        ("demand (USD)", round(evaluation["demand"], 2)),
        ("untested items", evaluation.get("untested", {}).get("statement", "")),
        ("compliance rate", evaluation["compliance"]["rate"]),
    ]
    summary += _pairs("population.", evaluation["population"]) + _pairs("sample.", evaluation["sample"])
    sheet = _sheet(book, "Summary", ["item", "value"], summary)
    for row in sheet.iter_rows(min_row=2):
        label = str(row[0].value)
        if "USD" in label or label.endswith(("value", "duty_paid", "book_duty", "audited_duty")):
            row[1].number_format = USD
        elif "rate" in label:
            row[1].number_format = PERCENT
        elif label.endswith(("items", "in_error")):
            row[1].number_format = COUNT
    _steps_sheets(book, context["steps"])
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
        {"population": COUNT, "sample_size": COUNT, "tested": COUNT, "errors": COUNT},
    )
    items = context.get("all_items", context["items"])
    _sheet(book, "Sample", *sample_sheet(items), {"declared_value": USD})
    _sheet(book, "Test results", [h for h, _ in _RESULT_COLUMNS], _results_rows(items))
    if evaluation["method"] in FORMULA_METHODS:
        _projection_sheet(book, evaluation, items)
    else:
        _projection_values_sheet(book, evaluation)
    sheet = _sheet(book, "Computations", *_computations(evaluation))
    for row in sheet.iter_rows(min_row=2):
        quantity = str(row[1].value)
        number_format = (
            PERCENT if quantity == "compliance rate" else "#,##0.00" if quantity == "items in error" else USD
        )
        for cell in row[2:6]:
            cell.number_format = number_format
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
                {c: USD for c in table.column_names if c in ("difference", "amount", "order_total")},
            )
    with atomic_path(path) as temporary:
        book.save(temporary)
    return path


def _computations(evaluation: dict) -> tuple[list[str], list[tuple]]:
    strata = [s for s in evaluation["strata"] if s["tested"]]
    computations: list[tuple] = []
    for stratum, part in zip(strata, evaluation["stratum_projections"], strict=True):
        computations.append(
            (
                f"stratum {stratum['stratum']}",
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
    for quantity, key in (("items in error", "errors_"), ("compliance rate", "")):
        computations.append(
            (
                "overall",
                quantity,
                compliance[f"{key}projected" if key else "rate"],
                None,
                compliance[f"{key}lower" if key else "lower"],
                compliance[f"{key}upper" if key else "upper"],
                compliance["basis"],
            )
        )
    bases = evaluation.get("penalty_bases")  # absent from evaluations stored before the bases were projected
    if bases:
        for key, quantity in (
            ("dutiable_value", "dutiable value of the merchandise involved"),
            ("domestic_value", "domestic value of the merchandise involved (estimated)"),
            ("refundable_excluded", "refundable IEEPA duties excluded from the loss"),
            ("lost_duties", "lost duties (the demand, net of refundable duties)"),
            ("lost_fees", "lost fees (per entry, 19 CFR 24.22-24.24; parcel audits)"),
        ):
            if key not in bases["projected"]:
                continue  # evaluations stored before lost fees were counted
            how = f"sampled items in error: {bases['sample'][key]:,.2f}; strata scaled by N_h / n_h"
            if key == "lost_duties":
                how = f"sampled items in error: {bases['sample'][key]:,.2f}; projected as the demand"
            computations.append(("1592(c) bases", quantity, bases["projected"][key], None, None, None, how))
    minimis = evaluation.get("de_minimis")
    if minimis and (minimis["violations_found"] or minimis["violations_before_effective_date"]):
        computations.append(
            (
                "de minimis",
                f"violations found: {minimis['violations_found']} (from {minimis['effective_from']}), "
                f"{minimis['violations_before_effective_date']} before",
                minimis["penalty_found"],
                None,
                0.0,
                minimis["penalty_found"],
                f"{minimis['citation']}; {minimis['status']}",
            )
        )
        computations.append(
            (
                "de minimis",
                f"violations projected: {minimis['violations_projected']}",
                minimis["penalty_projected"],
                None,
                0.0,
                minimis["penalty_projected"],
                "violations found scaled by N_h / n_h per stratum",
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
    header = ["scope", "quantity", "estimate", "standard_error", "lower", "upper", "how"]
    return header, computations
