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
