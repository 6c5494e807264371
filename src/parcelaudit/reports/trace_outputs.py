"""Trace files end to end: load, analyse, write verdict.json and the dossier (the CLI and demo call this);
and the bundled example chain the demo traces."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.reports.trace_dossier import write_dossier
from parcelaudit.tracing.exposure import ScreenFunction, default_screen
from parcelaudit.tracing.quantities import load_yields
from parcelaudit.tracing.verdict import TraceResult, load_chain, trace


def trace_files(
    files: list[Path],
    product: str,
    out_dir: Path,
    facilities: Path | None = None,
    yields: Path | None = None,
    skus: list[str] | None = None,
    use_schema: bool = True,
    screen: ScreenFunction | None = default_screen,
    dossier: bool = True,
    documents_dir: Path | None = None,
    require_copies: bool = False,
) -> tuple[TraceResult, list[Path]]:
    """Trace a product through the given EPCIS / CSV files; write verdict.json (+ dossier and annexes)."""
    chain = load_chain(files, facilities, use_schema=use_schema, documents_dir=documents_dir)
    result = trace(
        chain, product, load_yields(yields), screen=screen, skus=skus, require_copies=require_copies
    )
    out_dir = Path(out_dir)
    written = [result.write_verdict(out_dir / "verdict.json")]
    if dossier:
        written += list(write_dossier(result, out_dir))
    return result, written


EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "tracing" / "examples" / "tshirt"
EXAMPLE_PRODUCT = "09521234000051"
EXAMPLE_SKU = "TSHIRT-ORG-M"


def trace_example(out_dir: Path, skus: list[str] | None = None) -> tuple[TraceResult, list[Path]]:
    """Trace the bundled example cotton T-shirt chain into out_dir/trace, sold as EXAMPLE_SKU and skus.

    The caller stores `result.verdict_json()` (parcelaudit.store.traces) to link the verdict to parcels."""
    return trace_files(
        [EXAMPLE_DIR / "epcis.json", EXAMPLE_DIR / "documents.csv"],
        EXAMPLE_PRODUCT,
        Path(out_dir) / "trace",
        facilities=EXAMPLE_DIR / "facilities.csv",
        skus=[EXAMPLE_SKU, *(skus or [])],
    )
