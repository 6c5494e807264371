"""Demo hook: trace the bundled example cotton T-shirt chain and write its verdict and dossier."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.tracing.run import trace_files
from parcelaudit.tracing.verdict import TraceResult

EXAMPLE_DIR = Path(__file__).resolve().parent / "examples" / "tshirt"
EXAMPLE_PRODUCT = "09521234000051"
EXAMPLE_SKU = "TSHIRT-ORG-M"


def trace_example(out_dir: Path, skus: list[str] | None = None) -> tuple[TraceResult, list[Path]]:
    """Trace the example chain into out_dir/trace, sold as EXAMPLE_SKU and skus; the result and files written.

    The caller stores `result.verdict_json()` (parcelaudit.store.traces) to link the verdict to parcels."""
    return trace_files(
        [EXAMPLE_DIR / "epcis.json", EXAMPLE_DIR / "documents.csv"],
        EXAMPLE_PRODUCT,
        Path(out_dir) / "trace",
        facilities=EXAMPLE_DIR / "facilities.csv",
        skus=[EXAMPLE_SKU, *(skus or [])],
    )


def run_demo(out_dir: Path, skus: list[str] | None = None) -> list[Path]:
    """Trace the example chain into out_dir/trace; return verdict.json and the dossier's paths."""
    return trace_example(out_dir, skus)[1]
