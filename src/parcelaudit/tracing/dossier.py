"""The due-diligence dossier: verdict and reasons, the supply-chain map as a picture, a CBP-style summary
tracing report, the gaps checklist and the evidence index with hashes (HTML + PDF)."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parcelaudit.hashing import file_sha256
from parcelaudit.tracing.records import DocumentIndex, record_steps, requirements
from parcelaudit.tracing.verdict import EXPOSING, TraceResult

_COLOURS = {"exposed": "#c62828", "review": "#ef6c00", "clear": "#2e7d32"}
_CJK = re.compile(r"[\u3400-\u9fff]+")


def printable(text: str) -> str:
    """Chinese script followed by its pinyin in brackets: the PDF renderer may have no CJK font."""
    from pypinyin import lazy_pinyin

    return _CJK.sub(lambda m: f"{m.group(0)} [{' '.join(lazy_pinyin(m.group(0)))}]", text)


def short_lot(lot: str) -> str:
    """A lot id without the GS1 resolver host, for tables."""
    return lot.removeprefix("https://id.gs1.org/")


def _facility_state(result: TraceResult) -> dict[str, str]:
    state = {f.facility.facility_id: "clear" for f in result.facilities}
    for reason in result.reasons:
        if reason.facility_id in state:
            exposed = reason.code in EXPOSING
            if exposed or state[reason.facility_id] != "exposed":
                state[reason.facility_id] = "exposed" if exposed else "review"
    return state


def map_figure(result: TraceResult) -> Any:
    """Draw the facilities by tier (raw material left, product right) with the material flows between them."""
    import networkx as nx

    from parcelaudit.reports.render import new_figure

    up, chain = result.upstream, result.chain
    graph = nx.DiGraph()
    for facility_id, tier in up.facility_tiers.items():
        graph.add_node(facility_id, layer=up.depth - tier)
    for movement in up.movements:
        if movement.from_facility and movement.to_facility:
            material = chain.materials.get(movement.lots[0].lot) or "goods"
            kg = sum(q.kg or 0 for q in movement.lots)
            graph.add_edge(
                movement.from_facility,
                movement.to_facility,
                label=f"{material}\n{kg:,.0f} kg" if kg else material,
            )
    fig, ax = new_figure(9.5, 3.6)
    ax.axis("off")
    if not graph.nodes:
        return fig
    positions = nx.multipartite_layout(graph, subset_key="layer", align="vertical")
    state = _facility_state(result)
    colours = [_COLOURS[state.get(node, "review")] for node in graph.nodes]
    nx.draw_networkx_nodes(graph, positions, ax=ax, node_color=colours, node_size=900, alpha=0.9)
    nx.draw_networkx_edges(
        graph, positions, ax=ax, arrows=True, arrowsize=14, node_size=900, edge_color="#555"
    )
    nx.draw_networkx_edge_labels(
        graph,
        positions,
        ax=ax,
        edge_labels=nx.get_edge_attributes(graph, "label"),
        font_size=6.5,
        bbox={"boxstyle": "round", "fc": "white", "ec": "none"},
    )
    for node, (x, y) in positions.items():
        facility = chain.facilities.get(node)
        name = facility.name if facility and facility.name else node
        label = "\n".join(textwrap.wrap(name, 18)[:3]) + (
            f"\n({facility.country})" if facility and facility.country else ""
        )
        ax.annotate(
            label, (x, y), xytext=(0, -17), textcoords="offset points", ha="center", va="top", fontsize=6.5
        )
    ax.set_title(
        "Supply-chain map: raw material (left) to product (right); red = exposed, orange = gaps", fontsize=8
    )
    ys = [y for _, y in positions.values()]
    xs = [x for x, _ in positions.values()]
    span = max(max(ys) - min(ys), 0.5)
    ax.set_ylim(min(ys) - 0.3 * span, max(ys) + 0.2 * span)
    ax.set_xlim(min(xs) - 0.12, max(xs) + 0.12)
    return fig


def yield_figure(result: TraceResult) -> Any | None:
    """Observed yield per step against its allowed range (the bar), or None when no step has masses."""
    from parcelaudit.reports.render import new_figure

    steps = [s for s in result.steps if s.observed is not None]
    if not steps:
        return None
    fig, ax = new_figure(6.5, 2.6)
    labels = [f"{s.input_material} -> {s.output_material}" for s in steps]
    for i, step in enumerate(steps):
        ax.plot(
            [i, i],
            [step.allowed.min_yield, step.allowed.max_yield],
            color="#90a4ae",
            linewidth=10,
            solid_capstyle="butt",
        )
        ax.plot(i, step.observed, "o", color=_COLOURS["review" if step.problem else "clear"], markersize=8)
    ax.set_xticks(range(len(steps)), labels, fontsize=7)
    ax.set_ylabel("kg out per kg in", fontsize=8)
    ax.set_title("Observed yield (dot) against the allowed range (bar)", fontsize=8)
    return fig


def _lot_text(q: Any) -> str:
    return short_lot(q.lot) + (f" ({q.quantity:g} {q.uom})" if q.quantity is not None else "")


def _stages(result: TraceResult) -> list[dict]:
    """The CBP-style summary tracing report: one row per step from raw material to product."""
    chain, up = result.chain, result.upstream
    index = DocumentIndex(chain)
    rows = []
    for t in sorted(up.transformations, key=lambda t: t.when.isoformat() if t.when else ""):
        facility = chain.facilities.get(t.facility_id or "")
        lots = {q.lot for q in t.outputs}
        shipped = [m for m in up.movements if {q.lot for q in m.lots} & lots]
        docs = index.find(lots, t.event_id)
        rows.append(
            {
                "tier": min(up.tiers.get(lot, 0) for lot in lots),
                "stage": t.material or "unknown",
                "supplier": facility.name if facility and facility.name else t.facility_id,
                "address": f"{facility.address}, {facility.country}" if facility else "",
                "facility_type": facility.facility_type if facility else "",
                "identifiers": "; ".join(
                    f"{k}={v}" for k, v in (facility.identifiers if facility else {}).items()
                ),
                "date": t.when.date().isoformat() if t.when else "?",
                "inputs": [_lot_text(q) for q in t.inputs],
                "outputs": [_lot_text(q) for q in t.outputs],
                "shipped_to": sorted({m.to_facility or "?" for m in shipped}),
                "documents": sorted(f"{d.doc_type.replace('_', ' ')} {d.number}" for d in docs),
            }
        )
    return sorted(rows, key=lambda row: -row["tier"])


def _checklist(result: TraceResult) -> list[dict]:
    """Every expected record per step, present (with number) or missing."""
    chain, up = result.chain, result.upstream
    index = DocumentIndex(chain)
    rows = []
    for scope, event_id, lots, facility_id, _label in record_steps(up):
        facility = chain.facilities.get(facility_id or "")
        docs = index.find(lots, event_id)
        material = chain.materials.get(next(iter(lots)), "")
        for rule in requirements():
            applies = rule["scope"] == scope or (
                rule["scope"] == "material" and rule["applies_to"] == material and scope == "movement"
            )
            if not applies:
                continue
            match = [d for d in docs if d.doc_type == rule["doc_type"]]
            rows.append(
                {
                    "step": f"{scope} {material}".strip(),
                    "where": facility.name if facility and facility.name else facility_id or "?",
                    "document": rule["doc_type"],
                    "present": bool(match),
                    "numbers": ", ".join(d.number for d in match),
                    "hashed": all(d.sha256 for d in match) and bool(match),
                    "why": rule["why"],
                }
            )
    return rows


def _evidence(result: TraceResult) -> tuple[list[dict], list[dict]]:
    files = []
    for path in dict.fromkeys(result.chain.inputs):
        p = Path(path)
        files.append({"file": p.name, "sha256": file_sha256(p) if p.is_file() else "(not found)"})
    docs = [
        {
            "type": d.doc_type,
            "number": d.number,
            "date": d.date,
            "issuer": d.issuer,
            "file": d.file,
            "sha256": d.sha256 or "(no copy provided)",
            "id": d.document_id,
        }
        for d in sorted(result.chain.documents.values(), key=lambda d: (d.doc_type, d.number))
    ]
    return files, docs


def dossier_context(result: TraceResult) -> dict[str, Any]:
    """Everything the trace_dossier.html template shows."""
    from parcelaudit import __version__
    from parcelaudit.reports.render import chart_data_uri

    files, docs = _evidence(result)
    yield_fig = yield_figure(result)
    return {
        "version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "result": result,
        "printable": printable,
        "verdict": result.verdict_json(),
        "map_uri": chart_data_uri(map_figure(result)),
        "yield_uri": chart_data_uri(yield_fig) if yield_fig is not None else None,
        "stages": _stages(result),
        "checklist": _checklist(result),
        "files": files,
        "documents": docs,
        "yields": sorted(result.yields.values(), key=lambda y: (y.input_material == "*", y.input_material)),
    }


def write_dossier(result: TraceResult, out_dir: Path) -> tuple[Path, Path]:
    """Write dossier.html and dossier.pdf into out_dir."""
    from parcelaudit.reports.render import write_html_and_pdf

    return write_html_and_pdf("trace_dossier.html", dossier_context(result), Path(out_dir), "dossier")
