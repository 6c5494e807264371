"""The check report: summary tables and charts (findings by rule, hold rate by day, top sellers, duty at risk).

The report holds only what the store and policy determine (no clock time, no run id: those are in
manifest.json beside it), every ordering has a unique tie-break and money is summed exactly (rules.context.exact_sum), so
the same store and policy give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from parcelaudit import __version__
from parcelaudit.reports.render import chart_data_uri, new_figure, write_html_and_pdf
from parcelaudit.rules.context import exact_sum
from parcelaudit.text_safety import mpl_text


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    relation = con.sql(sql)
    names = relation.columns
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def _barh(
    labels: list[str], values: list[float], xlabel: str, color: str = "#1565c0", counts: bool = True
) -> str:
    from matplotlib.ticker import MaxNLocator

    fig, ax = new_figure(6.4, max(1.6, 0.28 * len(labels) + 0.8))
    ax.barh([mpl_text(label) for label in labels[::-1]], values[::-1], color=color)
    if counts:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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


def report_context(result) -> dict[str, Any]:
    """Figures and charts for the check report from a CheckResult."""
    con = duckdb.connect()
    try:
        con.register("f", result.findings)
        con.register("d", result.decisions)
        con.register("s", result.shipments.select(["shipment_id", "arrival_date", "seller_name"]))
        totals = _rows(
            con,
            f"""
            SELECT count(*) AS shipments, count(*) FILTER (decision = 'hold') AS held,
                   count(*) FILTER (decision = 'review') AS reviewed, count(*) FILTER (decision = 'release')
                   AS released, coalesce({exact_sum("duty_owed")}, 0) AS duty_owed,
                   coalesce({exact_sum("duty_at_risk")}, 0) AS duty_at_risk FROM d""",
        )[0]
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
        held = _rows(
            con,
            """
            SELECT shipment_id, decision, reasons, duty_owed, duty_at_risk FROM d
            WHERE decision = 'hold' ORDER BY duty_at_risk DESC, shipment_id LIMIT 25""",
        )
    finally:
        con.close()
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
    return {
        "version": __version__,
        "totals": totals,
        "by_rule": by_rule,
        "sellers": sellers,
        "risk": risk,
        "held": held,
        "charts": charts,
        "first_day": days[0]["day"] if days else None,
        "last_day": days[-1]["day"] if days else None,
        "policy_source": policy.source if policy else "",
        "hts_source": result.hts_source,
        "hts_complete": result.hts_complete,
        "screening": result.screening,
    }


def write_check_report(result, out_dir: Path) -> list[Path]:
    """Write report.html and report.pdf for a check run; return their paths."""
    html, pdf = write_html_and_pdf("check_report.html", report_context(result), Path(out_dir), "report")
    return [html, pdf]
