"""The screening report: lists used, a chart of hits by list and score, and the hits with their reasons."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.screening.model import RestrictedList
from parcelaudit.screening.screener import Hit

MAX_ROWS = 300


def snapshot_label(lst: RestrictedList) -> str:
    """One line naming a list snapshot: its date, where the date came from, and the file's SHA-256."""
    label = lst.snapshot_date or "date unknown"
    if lst.date_basis:
        label += f" ({lst.date_basis})"
    if lst.files:
        label += f", sha256 {lst.files[0][1][:16]}"
    return label


def _chart(hits: list[tuple[str, Hit]]) -> str | None:
    if not hits:
        return None
    from parcelaudit.reports.render import chart_data_uri, new_figure

    fig, ax = new_figure(6.0, 2.8)
    codes = sorted({h.list for _, h in hits})
    data = [[h.score for _, h in hits if h.list == code] for code in codes]
    ax.hist(data, bins=10, range=(min(h.score for _, h in hits), 1.0), stacked=True, label=codes)
    ax.set_xlabel("score")
    ax.set_ylabel("hits")
    ax.legend(frameon=False)
    return chart_data_uri(fig)


def write_report(
    out_dir: Path, hits: list[tuple[str, Hit]], lists: list[RestrictedList], screened: int, threshold: float
) -> tuple[Path, Path]:
    """Write screening_report.html and .pdf for (query, hit) pairs into out_dir."""
    from parcelaudit.reports.render import write_html_and_pdf

    ordered = sorted(hits, key=lambda qh: (-qh[1].score, qh[0]))
    rows = [
        {
            "query": q,
            "list": h.list,
            "entry_id": h.entry_id,
            "matched_name": h.matched_name,
            "score": h.score,
            "explanation": h.explanation,
        }
        for q, h in ordered[:MAX_ROWS]
    ]
    context = {
        "screened": screened,
        "with_hit": len({q for q, _ in hits}),
        "threshold": threshold,
        "lists": [
            {
                "code": lst.code,
                "entries": len(lst),
                "aliases": lst.alias_count,
                "snapshot": snapshot_label(lst),
                "source": lst.source,
                "note": lst.note or "",
            }
            for lst in lists
        ],
        "partial": any(lst.partial for lst in lists),
        "chart": _chart(hits),
        "hits": rows,
        "more": max(0, len(hits) - MAX_ROWS),
    }
    return write_html_and_pdf("screening_report.html", context, out_dir, "screening_report")
