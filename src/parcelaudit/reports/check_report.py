"""The check report: summary tables and charts (findings by rule, hold rate by day, top sellers, duty at risk).

The report holds only what the store and policy determine (no clock time, no run id: those are in
manifest.json beside it), every ordering has a unique tie-break and money is summed exactly (arrow_sql.exact_sum), so
the same store and policy give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from parcelaudit import __version__
from parcelaudit.arrow_sql import ArrowSQL, exact_sum
from parcelaudit.decide import DEFAULT_POLICY
from parcelaudit.outputs import write_text_atomic
from parcelaudit.pipeline import list_snapshot_rows
from parcelaudit.reports.render import chart_data_uri, new_figure, render_html, write_pdf
from parcelaudit.text_safety import mpl_text


def _rows(session: ArrowSQL, sql: str) -> list[dict[str, Any]]:
    return session.query(sql).to_pylist()


# Holds that stop goods for forced labour or sanctions lead the held table, whatever their duty.
PRIORITY_RULES = ("SCREEN-UFLPA", "SCREEN-SDN", "FL-REGION", "FL-TRACE")
PDF_HELD_ROWS = 500  # the PDF lists this many holds; report.html and held.csv list every one
DOMINANCE = 50.0  # a chart turns logarithmic when its largest bar is this many times its smallest


def log_scale(values: list[float]) -> bool:
    """Whether a bar chart needs a log scale: one bar dominates the others so much they would vanish."""
    positive = [v for v in values if v > 0]
    return len(positive) > 1 and max(positive) / min(positive) >= DOMINANCE


def _barh(
    labels: list[str], values: list[float], xlabel: str, color: str = "#1565c0", counts: bool = True
) -> str:
    from matplotlib.ticker import MaxNLocator

    fig, ax = new_figure(6.4, max(1.6, 0.28 * len(labels) + 0.8))
    ax.barh([mpl_text(label) for label in labels[::-1]], values[::-1], color=color)
    if log_scale(values):
        ax.set_xscale("log")
        xlabel += " (log scale)"
    elif counts:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for y, value in enumerate(values[::-1]):
        ax.annotate(
            f"{value:,.0f}", (value, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7
        )
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    return chart_data_uri(fig)


def _latin(label: str) -> str:
    """A chart label in Latin letters: the chart fonts have no CJK glyphs (the tables keep the original)."""
    from anyascii import anyascii

    return label if label.isascii() else anyascii(label)


def _hold_rate_chart(days: list[dict[str, Any]]) -> str:
    fig, ax = new_figure(6.4, 2.8)
    ax.plot([d["day"] for d in days], [100 * d["hold_rate"] for d in days], color="#c62828", label="hold")
    ax.plot([d["day"] for d in days], [100 * d["review_rate"] for d in days], color="#ef6c00", label="review")
    ax.set_ylabel("% of parcels")
    ax.legend(frameon=False)
    fig.autofmt_xdate()
    return chart_data_uri(fig)


def report_context(result, tables: tuple | None = None) -> dict[str, Any]:
    """Figures and charts for the check report from a CheckResult, or from the (findings, decisions, shipments)
    a stored run gives (store.checks.read_run_for_report) when its result holds no rows."""
    findings, decisions, shipments = tables or (result.findings, result.decisions, result.shipments)
    tables = {
        "f": findings,
        "d": decisions,
        "s": shipments.select(["shipment_id", "arrival_date", "seller_name"]),
    }
    with ArrowSQL(tables) as con:
        by_rule = _rows(
            con,
            """
            SELECT rule_id, string_agg(DISTINCT severity, ', ' ORDER BY severity) AS severity, count(*) AS findings,
                   count(DISTINCT shipment_id) AS shipments, min(citation) AS citation
            FROM f GROUP BY rule_id ORDER BY findings DESC, rule_id""",
        )
        days = _rows(
            con,
            """
            SELECT s.arrival_date AS day, avg((d.decision = 'hold')::INT) AS hold_rate,
                   avg((d.decision = 'review')::INT) AS review_rate, count(*) AS parcels
            FROM d JOIN s USING (shipment_id) GROUP BY 1 ORDER BY 1""",
        )
        sellers = _rows(
            con,
            """
            SELECT coalesce(s.seller_name, '(unknown)') AS seller, count(*) AS findings,
                   count(DISTINCT f.shipment_id) AS shipments
            FROM f JOIN s USING (shipment_id) GROUP BY 1 ORDER BY findings DESC, seller LIMIT 15""",
        )
        risk = _rows(
            con,
            f"""
            SELECT split_part(reasons, ';', 1) AS rule_id, {exact_sum("duty_at_risk")} AS duty_at_risk,
                   count(*) AS shipments
            FROM d WHERE duty_at_risk > 0 GROUP BY 1 ORDER BY 2 DESC, 1""",
        )
        priority = " OR ".join(f"list_contains(string_split(reasons, ';'), '{r}')" for r in PRIORITY_RULES)
        held = _rows(
            con,
            f"""
            SELECT shipment_id, decision, reasons, duty_owed, duty_at_risk, ({priority}) AS priority FROM d
            WHERE decision = 'hold' ORDER BY priority DESC, duty_at_risk DESC, shipment_id""",
        )
        money = _rows(
            con,
            """
            SELECT count(*) FILTER (rule_id = 'VAL-FX' AND variant = 'approximate') AS approximate,
                   count(*) FILTER (rule_id = 'VAL-FX' AND variant = 'no-rate') AS no_rate FROM f""",
        )[0]
    charts = {}
    if by_rule:
        charts["by_rule"] = _barh(
            [r["rule_id"] for r in by_rule], [r["findings"] for r in by_rule], "findings"
        )
    if days:
        charts["hold_rate"] = _hold_rate_chart(days)
    if sellers:
        charts["sellers"] = _barh(
            [_latin(r["seller"])[:40] for r in sellers],
            [r["findings"] for r in sellers],
            "findings",
            "#6a1b9a",
        )
    if risk:
        charts["duty_at_risk"] = _barh(
            [r["rule_id"] or "(none)" for r in risk],
            [r["duty_at_risk"] for r in risk],
            "duty at risk (USD)",
            "#c62828",
        )
    policy = result.policy
    basis = _tally_basis(result.shipments) if "value_basis" in result.shipments.column_names else {}
    return {
        "money": {
            **money,
            "allocated_by_quantity": basis.get("allocated-by-quantity", 0),
            "allocated_evenly": basis.get("allocated-evenly", 0),
        },
        "version": __version__,
        "totals": result.summary(),
        "by_rule": by_rule,
        "sellers": sellers,
        "risk": risk,
        "held": held,
        "held_omitted": 0,
        "charts": charts,
        "first_day": days[0]["day"] if days else None,
        "last_day": days[-1]["day"] if days else None,
        "policy_source": _source_label(policy.source if policy else ""),
        "hts_source": _source_label(result.hts_source),
        "hts_complete": result.hts_complete,
        "screening": result.screening,
        "list_snapshots": list_snapshot_rows(result.list_snapshots),
    }


def _tally_basis(shipments) -> dict[str, int]:
    counted = pc.value_counts(shipments["value_basis"])
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True))


def _source_label(source: str) -> str:
    """A reference file named without the machine's directories (reports travel; paths stay home)."""
    if not source:
        return ""
    name = Path(source).name
    return "bundled severity policy" if Path(source) == DEFAULT_POLICY else name


def write_check_report(result, out_dir: Path, tables: tuple | None = None) -> list[Path]:
    """Write report.html (every hold) and report.pdf (the first PDF_HELD_ROWS holds); return their paths.
    tables: (findings, decisions, shipments) of a stored run, when the result holds no rows."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = report_context(result, tables)
    html_path = out_dir / "report.html"
    write_text_atomic(html_path, render_html("check_report.html", context))
    held = context["held"]
    printed = {**context, "held": held[:PDF_HELD_ROWS], "held_omitted": max(0, len(held) - PDF_HELD_ROWS)}
    pdf_path = write_pdf(render_html("check_report.html", printed), out_dir / "report.pdf")
    return [html_path, pdf_path]
