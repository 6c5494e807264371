"""Demo hook: trace the bundled example cotton T-shirt chain and write its verdict and dossier."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.tracing.run import trace_files

EXAMPLE_DIR = Path(__file__).resolve().parent / "examples" / "tshirt"
EXAMPLE_PRODUCT = "09521234000051"


def run_demo(out_dir: Path) -> list[Path]:
    """Trace the example chain (EPCIS + facilities.csv + documents.csv) into out_dir/trace."""
    _, written = trace_files(
        [EXAMPLE_DIR / "epcis.json", EXAMPLE_DIR / "documents.csv"],
        EXAMPLE_PRODUCT,
        Path(out_dir) / "trace",
        facilities=EXAMPLE_DIR / "facilities.csv",
        skus=["TSHIRT-ORG-M"],
    )
    return written
