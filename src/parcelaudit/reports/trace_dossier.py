"""The due-diligence dossier: verdict and reasons, the supply-chain map as a picture, a CBP-style summary
tracing report, the gaps checklist and the evidence index with hashes (HTML + PDF).

The dossier stays bounded whatever the chain's size: repeated steps (the same lots between the same
facilities, the same transformation again) are one row with a count, and every table shows at most
MAX_ROWS rows with the total; a table that was cut is written whole as a CSV annex next to the dossier.
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import Any

from parcelaudit.csv_safety import write_column_batches
from parcelaudit.hashing import file_sha256
from parcelaudit.text_safety import mpl_text
from parcelaudit.tracing.epcis_import import collector_paused
from parcelaudit.tracing.records import DocumentIndex, Step, record_steps, requirements, uncopied_documents
from parcelaudit.tracing.verdict import EXPOSING, TraceResult

_COLOURS = {"exposed": "#c62828", "review": "#ef6c00", "clear": "#2e7d32"}
_CJK = re.compile(r"[\u3400-\u9fff]+")
MAX_ROWS = 100  # rows per dossier table; the rest go to the CSV annex
MAX_MAP_FACILITIES = 60  # more than this and the map is replaced by a note (the tables list them all)
MAX_CHART_STEPS = 40  # yield steps drawn
_NUMBERS_SHOWN = 6  # document numbers listed in one cell


def chart_text(text: Any) -> str:
    """A chart label of one or more lines, each made literal for matplotlib (text_safety.mpl_text)."""
    return "\n".join(mpl_text(line) for line in str(text).split("\n"))


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
    # Nodes and edges go in sorted: the layout follows insertion order, and the tiers and movements come out of
    # set walks whose order changes with Python's per-process string hashing (tests/tracing/test_map_determinism).
    graph = nx.DiGraph()
    for facility_id, tier in sorted(up.facility_tiers.items(), key=lambda item: (-item[1], item[0])):
        graph.add_node(facility_id, layer=up.depth - tier)
    flows: dict[tuple[str, str], tuple[set[str], float]] = {}
    for movement in up.movements:
        if movement.from_facility and movement.to_facility:
            materials, kg = flows.get((movement.from_facility, movement.to_facility), (set(), 0.0))
            materials.add(chain.materials.get(movement.lots[0].lot) or "goods")
            flows[(movement.from_facility, movement.to_facility)] = (
                materials,
                kg + sum(q.kg or 0 for q in movement.lots),
            )
    for (source, target), (materials, kg) in sorted(flows.items()):
        material = ", ".join(sorted(materials))
        graph.add_edge(source, target, label=chart_text(f"{material}\n{kg:,.0f} kg" if kg else material))
    fig, ax = new_figure(9.5, 3.6)
    ax.axis("off")
    if not graph.nodes:
        return fig
    if graph.number_of_nodes() > MAX_MAP_FACILITIES:
        ax.text(
            0.5,
            0.5,
            f"{graph.number_of_nodes():,} facilities: too many to draw; section 3 lists them by tier",
            ha="center",
            va="center",
            fontsize=9,
        )
        return fig
    layers: dict[int, list[str]] = {}
    for node, layer in graph.nodes(data="layer"):
        layers.setdefault(layer, []).append(node)
    # Each layer's nodes as an ordered list: given the attribute name, networkx groups them in sets.
    positions = nx.multipartite_layout(graph, subset_key=layers, align="vertical")
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
            chart_text(label),
            (x, y),
            xytext=(0, -17),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=6.5,
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

    steps = [s for s in result.steps if s.observed is not None][:MAX_CHART_STEPS]
    if not steps:
        return None
    fig, ax = new_figure(6.5, 2.6)
    labels = [chart_text(f"{s.input_material} -> {s.output_material}") for s in steps]
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


STAGE_COLUMNS = (
    "tier",
    "stage",
    "supplier",
    "address",
    "facility_type",
    "identifiers",
    "date",
    "repeats",
    "inputs",
    "outputs",
    "shipped_to",
    "documents",
)


def _stages(result: TraceResult) -> tuple[int, Callable[[], Iterator[tuple]]]:
    """The CBP-style summary tracing report: one row per step (repeats counted) from raw material on, as
    (how many rows, a function giving them in order, cells as in STAGE_COLUMNS): a season has hundreds of
    thousands of steps, so the rows are made as they are written rather than held."""
    chain, up = result.chain, result.upstream
    moved_to: dict[str, set[str]] = defaultdict(set)
    for m in up.movements:
        for q in m.lots:
            moved_to[q.lot].add(m.to_facility or "?")
    groups: dict[tuple, list] = {}
    for t in sorted(up.transformations, key=lambda t: t.when.isoformat() if t.when else ""):
        key = (
            t.facility_id,
            t.material,
            tuple(_lot_text(q) for q in t.inputs),
            tuple(_lot_text(q) for q in t.outputs),
        )
        groups.setdefault(key, []).append(t)
    ordered = sorted(
        groups.values(),
        key=lambda repeats: -min((up.tiers.get(q.lot, 0) for q in repeats[0].outputs), default=0),
    )

    def rows() -> Iterator[tuple]:
        index = _index(result)
        for repeats in ordered:
            t = repeats[0]
            facility = chain.facilities.get(t.facility_id or "")
            lots = {q.lot for q in t.outputs}
            docs = index.find(
                lots, tuple(r.event_id for r in repeats[:_NUMBERS_SHOWN]), limit=_NUMBERS_SHOWN + 1
            )
            numbers = sorted(f"{d.doc_type.replace('_', ' ')} {d.number}" for d in docs[:_NUMBERS_SHOWN])
            yield (
                min((up.tiers.get(lot, 0) for lot in lots), default=0),
                t.material or "unknown",
                facility.name if facility and facility.name else t.facility_id,
                f"{facility.address}, {facility.country}" if facility else "",
                facility.facility_type if facility else "",
                "; ".join(f"{k}={v}" for k, v in (facility.identifiers if facility else {}).items()),
                t.when.date().isoformat() if t.when else "?",
                len(repeats),
                [_lot_text(q) for q in t.inputs[:_NUMBERS_SHOWN]],
                [_lot_text(q) for q in t.outputs[:_NUMBERS_SHOWN]],
                sorted(set().union(*(moved_to.get(lot, set()) for lot in lots))),
                numbers + (["..."] if len(docs) > _NUMBERS_SHOWN else []),
            )

    return len(ordered), rows


def _index(result: TraceResult) -> DocumentIndex:
    """The chain's document index trace() made (built afresh for a result made without one)."""
    return result.document_index or DocumentIndex(result.chain)


CHECKLIST_COLUMNS = ("step", "where", "document", "present", "numbers", "hashed", "why")


def _checklist(result: TraceResult) -> tuple[int, Callable[[], Iterator[tuple]]]:
    """Every expected record per step (repeated steps once, with their count), present or missing, as
    (how many rows, a function giving them in order, cells as in CHECKLIST_COLUMNS): a season has hundreds
    of thousands of steps, so the rows are made as they are written rather than held."""
    chain, up = result.chain, result.upstream
    steps = result.record_steps or record_steps(up)
    rules_for: dict[tuple[str, str], list[dict[str, str]]] = {}

    def applicable(step: Step) -> tuple[str, list[dict[str, str]]]:
        material = chain.materials.get(min(step.lots), "") if step.lots else ""
        key = (step.scope, material)
        if key not in rules_for:
            rules_for[key] = [
                rule
                for rule in requirements()
                if rule["scope"] == step.scope
                or (
                    rule["scope"] == "material"
                    and rule["applies_to"] == material
                    and step.scope == "movement"
                )
            ]
        return material, rules_for[key]

    total = sum(len(applicable(step)[1]) for step in steps)

    def rows() -> Iterator[tuple]:
        index = _index(result)
        for step in steps:
            material, rules = applicable(step)
            if not rules:
                continue
            facility = chain.facilities.get(step.facility_id or "")
            docs = index.find(set(step.lots), step.event_ids)
            for rule in rules:
                match = [d for d in docs if d.doc_type == rule["doc_type"]]
                shown = ", ".join(sorted(d.number for d in match)[:_NUMBERS_SHOWN])
                yield (
                    f"{step.scope} {material}".strip() + (f" (x{step.count:,})" if step.count > 1 else ""),
                    facility.name if facility and facility.name else step.facility_id or "?",
                    rule["doc_type"],
                    bool(match),
                    shown
                    + (f" and {len(match) - _NUMBERS_SHOWN:,} more" if len(match) > _NUMBERS_SHOWN else ""),
                    all(d.sha256 for d in match) and bool(match),
                    rule["why"],
                )

    return total, rows


def _input_files(result: TraceResult) -> list[dict]:
    files = []
    for path in dict.fromkeys(result.chain.inputs):
        p = Path(path)
        files.append({"file": p.name, "sha256": file_sha256(p) if p.is_file() else "(not found)"})
    return files


DOCUMENT_COLUMNS = ("type", "number", "date", "issuer", "file", "sha256", "id")


def _document_rows(result: TraceResult) -> Callable[[], Iterator[tuple]]:
    """Every record the chain references, in (type, number) order, cells as in DOCUMENT_COLUMNS, made as they
    are written."""
    # Sorted stably, so documents of the same type and number keep the chain's order.
    ordered = sorted(result.chain.documents.values(), key=attrgetter("doc_type", "number"))

    def rows() -> Iterator[tuple]:
        for d in ordered:
            yield (
                d.doc_type,
                d.number,
                d.date,
                d.issuer,
                d.file,
                d.sha256 or "(no copy provided)",
                d.document_id,
            )

    return rows


def _reason_rows(result: TraceResult) -> list[dict]:
    return [
        {"code": r.code, "tier": r.tier, "facility_id": r.facility_id or "", "detail": r.detail}
        for r in result.reasons
    ]


def _facility_rows(result: TraceResult) -> list[dict]:
    return [
        {
            "tier": f.tier,
            "facility_id": f.facility.facility_id,
            "name": f.facility.name,
            "address": f.facility.address,
            "country": f.facility.country,
            "xinjiang": f.xinjiang.explanation,
            "hits": "; ".join(f"{h['list']}: {h['matched_name']} ({h['score']})" for h in f.hits),
        }
        for f in result.facilities
    ]


STEP_COLUMNS = (
    "event_id",
    "facility_id",
    "input_material",
    "output_material",
    "input_kg",
    "output_kg",
    "observed",
    "allowed",
    "problem",
)


def _step_rows(result: TraceResult) -> Iterator[tuple]:
    return (
        (
            s.event_id,
            s.facility_id or "",
            s.input_material,
            s.output_material,
            s.input_kg,
            s.output_kg,
            s.observed,
            f"{s.allowed.min_yield:.2f}-{s.allowed.max_yield:.2f}",
            s.problem or "",
        )
        for s in result.steps
    )


ANNEX_BATCH = 8_192  # rows of an annex held at once, as columns


class Table:
    """A dossier table: the rows shown (at most MAX_ROWS), the total, and the annex holding all rows.

    rows is a list of dicts, or, with columns (the names of the cells), a function giving the rows as tuples
    afresh each time it is called (with total, how many it gives): a large table is then never held whole,
    only its first rows and the annex written a batch of columns at a time.
    """

    def __init__(
        self,
        name: str,
        rows: list[dict] | Callable[[], Iterable[tuple]],
        limit: int = MAX_ROWS,
        total: int | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> None:
        self.name = name
        if isinstance(rows, list):
            held = [tuple(row.values()) for row in rows]
            self.columns = columns or (tuple(rows[0]) if rows else ())
            self._rows: Callable[[], Iterable[tuple]] = lambda: held
            total = len(held)
        else:
            if columns is None:
                raise ValueError(f"dossier table {name!r}: rows made by a function need their column names")
            self.columns, self._rows = columns, rows
        self.total = total if total is not None else sum(1 for _ in self._rows())
        self.rows = [dict(zip(self.columns, row, strict=True)) for row in islice(self._rows(), limit)]
        self.annex = f"dossier_{name}.csv" if self.total > limit else None

    @property
    def all_rows(self) -> Iterator[dict]:
        """Every row as a dict, in order (made afresh)."""
        return (dict(zip(self.columns, row, strict=True)) for row in self._rows())

    @property
    def cut(self) -> int:
        """Rows left out of the dossier (in the annex)."""
        return self.total - len(self.rows)

    def _annex_batches(self) -> Iterator[list[list]]:
        """Every row as batches of columns, a list cell joined with "; "."""
        rows = iter(self._rows())
        while batch := list(islice(rows, ANNEX_BATCH)):
            columns = [list(column) for column in zip(*batch, strict=True)]
            yield [
                ["; ".join(map(str, v)) if isinstance(v, list) else v for v in column]
                if any(isinstance(v, list) for v in column[:1])
                else column
                for column in columns
            ]

    def write_annex(self, out_dir: Path) -> Path | None:
        """Write every row as a CSV (formula-looking cells neutralised) when the table was cut."""
        if self.annex is None:
            return None
        path = Path(out_dir) / self.annex
        # A batch of rows is tens of thousands of new objects, each batch enough to start a full collection
        # that walks the whole chain again: nothing here makes a cycle, so the collector waits.
        with collector_paused():
            write_column_batches(path, self.columns, self._annex_batches())
        return path


def dossier_tables(result: TraceResult) -> dict[str, Table]:
    """Every table of the dossier, bounded (the full rows are made again for the annex)."""
    uncopied = uncopied_documents(result.upstream, result.chain)
    stages, stage_rows = _stages(result)
    checklist, checklist_rows = _checklist(result)

    def uncopied_rows() -> Iterator[tuple]:
        return ((d.doc_type, d.number, d.document_id, d.issuer) for d in uncopied)

    return {
        "reasons": Table("reasons", _reason_rows(result)),
        "stages": Table("stages", stage_rows, total=stages, columns=STAGE_COLUMNS),
        "steps": Table("steps", lambda: _step_rows(result), total=len(result.steps), columns=STEP_COLUMNS),
        "facilities": Table("facilities", _facility_rows(result)),
        "checklist": Table("checklist", checklist_rows, total=checklist, columns=CHECKLIST_COLUMNS),
        "uncopied": Table(
            "uncopied", uncopied_rows, total=len(uncopied), columns=("type", "number", "id", "issuer")
        ),
        "files": Table("files", _input_files(result)),
        "documents": Table(
            "documents", _document_rows(result), total=len(result.chain.documents), columns=DOCUMENT_COLUMNS
        ),
    }


def dossier_context(result: TraceResult, tables: dict[str, Table] | None = None) -> dict[str, Any]:
    """Everything the trace_dossier.html template shows."""
    from parcelaudit import __version__
    from parcelaudit.reports.render import chart_data_uri

    yield_fig = yield_figure(result)
    return {
        "version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "result": result,
        "printable": printable,
        "verdict": result.verdict_json(),
        "map_uri": chart_data_uri(map_figure(result)),
        "yield_uri": chart_data_uri(yield_fig) if yield_fig is not None else None,
        "tables": tables if tables is not None else dossier_tables(result),
        "yields": sorted(result.yields.values(), key=lambda y: (y.input_material == "*", y.input_material)),
    }


def write_dossier(result: TraceResult, out_dir: Path) -> list[Path]:
    """Write dossier.html and dossier.pdf into out_dir, plus a CSV annex for each table that was cut."""
    from parcelaudit.reports.render import write_html_and_pdf

    tables = dossier_tables(result)
    written = list(
        write_html_and_pdf("trace_dossier.html", dossier_context(result, tables), Path(out_dir), "dossier")
    )
    written += [path for table in tables.values() if (path := table.write_annex(Path(out_dir)))]
    return written
