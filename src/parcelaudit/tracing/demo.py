"""Demo hook: trace the bundled example cotton T-shirt chain and write its verdict and dossier."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.tracing.link import save_verdict
from parcelaudit.tracing.run import trace_files

EXAMPLE_DIR = Path(__file__).resolve().parent / "examples" / "tshirt"
EXAMPLE_PRODUCT = "09521234000051"
EXAMPLE_SKU = "TSHIRT-ORG-M"


def run_demo(out_dir: Path, store=None, skus: list[str] | None = None) -> list[Path]:
    """Trace the example chain into out_dir/trace; with a store, record the verdict for skus (parcel link)."""
    result, written = trace_files(
        [EXAMPLE_DIR / "epcis.json", EXAMPLE_DIR / "documents.csv"],
        EXAMPLE_PRODUCT,
        Path(out_dir) / "trace",
        facilities=EXAMPLE_DIR / "facilities.csv",
        skus=[EXAMPLE_SKU, *(skus or [])],
    )
    if store is not None:
        save_verdict(store, result.verdict_json(), Path(out_dir) / "trace")
    return written
