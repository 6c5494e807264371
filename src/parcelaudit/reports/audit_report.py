"""The audit report (HTML + PDF) and workpaper: a face over the stored audit, with matplotlib charts.

Writing it is the audit's last step (`reported`), logged with the SHA-256 of every file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from parcelaudit.audit.evaluate import latest_evaluation
from parcelaudit.audit.evaluation import treat_untested
from parcelaudit.audit.lifecycle import get_audit, require_status, set_status, version_label, versions
from parcelaudit.audit.results import sampled_results
from parcelaudit.audit.scope import reconcile_scope
from parcelaudit.audit.steplog import log_step, steps
from parcelaudit.errors import ParcelAuditError
from parcelaudit.hashing import file_sha256
from parcelaudit.reports.audit_workpaper import write_workpaper
from parcelaudit.reports.render import chart_data_uri, new_figure, write_html_and_pdf


def _charts(evaluation: dict, items: list[dict], reconciliation) -> dict[str, str]:
    charts = {}
    errors = [i["audited_duty"] - i["book_duty"] for i in items if i["in_error"]]
    fig, ax = new_figure()
    if errors:
        ax.hist(errors, bins=min(30, max(5, len(errors) // 2)), color="#c62828", alpha=0.8)
    ax.set_xlabel("underpayment per item in error (USD; negative = overpaid)")
    ax.set_ylabel("items")
    ax.set_title(f"Error distribution: {len(errors)} of {len(items)} sampled items in error")
    charts["errors"] = chart_data_uri(fig)
    strata = evaluation["strata"]
    fig, ax = new_figure()
    labels = [f"{s['stratum']}{' (100%)' if s['certainty'] else ''}" for s in strata]
    ax.bar(labels, [s["population"] for s in strata], color="#90a4ae", label="population")
    ax.bar(labels, [s["tested"] for s in strata], color="#1565c0", label="tested")
    ax.bar(labels, [s["errors"] for s in strata], color="#c62828", label="in error")
    ax.set_yscale("log")
    ax.set_xlabel("stratum (by declared value)")
    ax.set_ylabel("items (log scale)")
    ax.legend(frameon=False)
    charts["strata"] = chart_data_uri(fig)
    fig, ax = new_figure(6.0, 2.4)
    levels = sorted(evaluation["loss"], key=float)
    for row, level in enumerate(levels):
        interval = evaluation["loss"][level]
        ax.plot([interval["lower"], interval["upper"]], [row, row], color="#1565c0", linewidth=6, alpha=0.5)
        ax.plot([interval["point"]], [row], "o", color="#0d47a1")
    ax.axvline(evaluation["demand"], color="#c62828", linestyle="--", label="demand")
    ax.set_yticks(range(len(levels)), [f"{float(level):.0%}" for level in levels])
    ax.set_xlabel("projected underpayment (USD)")
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.legend(frameon=False)
    charts["limits"] = chart_data_uri(fig)
    if reconciliation is not None and reconciliation.monthly.num_rows:
        monthly = reconciliation.monthly.to_pylist()
        fig, ax = new_figure()
        months = [m["month"] for m in monthly]
        ax.plot(months, [m["declared_value"] for m in monthly], marker="o", label="declared (parcels)")
        ax.plot(months, [m["order_total"] for m in monthly], marker="s", label="orders (incl. shipping)")
        ax.plot(months, [m["payments"] for m in monthly], linestyle=":", label="payments")
        ax.tick_params(axis="x", rotation=45)
        ax.set_ylabel("USD")
        ax.legend(frameon=False)
        charts["monthly"] = chart_data_uri(fig)
    return charts


def confined(out_dir: Path, name: str) -> Path:
    """out_dir / name, refused unless it stays inside out_dir (a name built from user data is never a path)."""
    root = Path(out_dir).resolve()
    target = (root / name).resolve()
    if Path(name).name != name or not target.is_relative_to(root) or target == root:
        raise ParcelAuditError(
            f"refusing to write {name!r}: it would land outside {out_dir}",
            field="audit_id",
            hint="audit ids are letters, digits, '-' and '_'",
        )
    return target


def build_context(store, audit_id: str, with_reconciliation: bool = True) -> dict:
    """Everything the report and workpaper show, read from the store."""
    audit = get_audit(store, audit_id)
    require_status(audit, "evaluated")
    audit_id = audit["audit_id"]
    evaluation = latest_evaluation(store, audit_id)
    treatment = evaluation.get("untested", {"treatment": "error"})["treatment"]
    listed = sampled_results(store, audit_id).to_pylist()
    items, _ = treat_untested(listed, treatment)
    treated = {i["item_id"]: i for i in items}
    # Every sampled item for the workpaper, marked whether it entered the projection.
    all_items = [{**treated.get(i["item_id"], i), "in_projection": i["item_id"] in treated} for i in listed]
    reconciliation = reconcile_scope(store, audit) if with_reconciliation else None
    findings = sorted((i for i in items if i["in_error"]), key=lambda i: i["book_duty"] - i["audited_duty"])
    from parcelaudit import __version__

    return {
        "audit": audit,
        "audit_label": version_label(audit),
        "versions": versions(store, audit_id),
        "evaluation": evaluation,
        "items": items,
        "all_items": all_items,
        "findings": findings[:40],
        "findings_total": len(findings),
        "steps": steps(store, audit_id),
        "reconciliation": reconciliation,
        "charts": _charts(evaluation, items, reconciliation),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
    }


def write_report(store, audit_id: str, out_dir: Path, *, actor: str | None = None) -> list[Path]:
    """Write audit_<id>.html, .pdf and the .xlsx workpaper into out_dir (nowhere else) and log the report
    step with the SHA-256 of each file."""
    context = build_context(store, audit_id)
    audit = context["audit"]
    stem = f"audit_{audit['audit_id']}"
    for suffix in (".html", ".pdf", "_workpaper.xlsx"):
        confined(out_dir, stem + suffix)
    html, pdf = write_html_and_pdf("audit_report.html", context, Path(out_dir), stem)
    workpaper = write_workpaper(confined(out_dir, f"{stem}_workpaper.xlsx"), context)
    files = [html, pdf, workpaper]
    with store.transaction():
        if audit["version"] == audit["latest_version"]:
            set_status(store, audit["audit_id"], "reported")
        log_step(
            store,
            audit["audit_id"],
            "report",
            actor,
            {"out_dir": str(out_dir)},
            {"files": [str(f) for f in files]},
            outputs={str(f): file_sha256(f) for f in files},
        )
    return files
