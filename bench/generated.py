"""Generated datasets cached by benchmarks: the key that says when a cached dataset is stale."""

from __future__ import annotations

import hashlib
from pathlib import Path


def generator_inputs() -> list[Path]:
    """Every file the generator reads: its own modules (dataset, injections, catalog, names, world,
    variants, columns), the policy tables it takes dates from, and the entity list it draws names from."""
    import parcelaudit.generate as generator
    from parcelaudit.paths import BUNDLED_DATA
    from parcelaudit.rules.policy import POLICY_DIR

    modules = sorted(Path(generator.__file__).parent.glob("*.py"))
    return [*modules, *sorted(POLICY_DIR.glob("*.csv")), BUNDLED_DATA / "lists" / "uflpa_entity_list.csv"]


def generator_version() -> str:
    """A short SHA-256 over the names and contents of every file the generator reads."""
    digest = hashlib.sha256()
    for path in generator_inputs():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def generated_store(work_dir: Path, parcels: int, days: int, start, seed: int) -> Path:
    """A DuckDB store of `parcels` generated parcels over `days` from `start` (every table ingested from the
    generator's CSVs), built once per generator version and size under work_dir; its path."""
    import shutil

    from parcelaudit.generate import generate_dataset
    from parcelaudit.ingest import ingest_file
    from parcelaudit.store import Store

    folder = work_dir / f"source_{parcels}_{days}_{generator_version()}"
    db = folder / "source.duckdb"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate_dataset(folder / "data", parcels=parcels, days=days, start=start, seed=seed)
        with Store.open(str(db)) as store:
            for name in ("shipments", "lines", "orders", "payments"):
                ingest_file(store, folder / "data" / f"{name}.csv", rejects_dir=None)
        (folder / "done").write_text("")
    return db
