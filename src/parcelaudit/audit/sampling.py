"""The sample step: select the sample in every stratum with a recorded seed and generator (certainty strata
take every item), store it and optionally write the results sheet; and the sampled items read back."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from parcelaudit.audit.lifecycle import (
    get_audit,
    reached,
    refuse,
    require_status,
    require_writable,
    set_status,
)
from parcelaudit.audit.results_sheet import write_results_sheet
from parcelaudit.audit.selection import select_random
from parcelaudit.audit.steplog import content_sha256, log_step
from parcelaudit.errors import ParcelAuditError
from parcelaudit.hashing import file_sha256
from parcelaudit.store import audits as stored

GENERATORS = ("pcg64", "ratstats")


def parse_seed(seed: Any, generator: str) -> int | float | None:
    """The seed as recorded: an exact integer for pcg64; for ratstats the RAT-STATS seed (up to two decimals)."""
    if generator not in GENERATORS:
        raise ParcelAuditError(
            f"unknown generator {generator!r}", field="--generator", hint="pcg64 or ratstats"
        )
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return None
    try:
        exact = Decimal(str(seed).strip())
    except InvalidOperation as error:
        raise ParcelAuditError(
            f"seed {seed!r} is not a number", field="--seed", hint="e.g. --seed 48863"
        ) from error
    if not exact.is_finite() or exact < 0:
        raise ParcelAuditError(f"seed {seed!r} is not allowed", field="--seed", hint="a number >= 0")
    if generator == "pcg64":
        if exact != exact.to_integral_value():
            raise ParcelAuditError(
                f"seed {seed} is not a whole number", field="--seed", hint="pcg64 takes an integer seed"
            )
        return int(exact)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def generator_version(generator: str) -> str:
    """The generator and the version of the code that implements it, for the step log."""
    if generator == "pcg64":
        return f"NumPy {np.__version__} PCG64"
    from parcelaudit import __version__

    return f"RAT-STATS 2010 Wichmann-Hill as reproduced by parcelaudit {__version__}"


def sample_audit(
    store,
    audit_id: str,
    *,
    seed: int | float | str | None = None,
    generator: str = "pcg64",
    spares: int = 0,
    actor: str | None = None,
    sheet: Path | None = None,
) -> dict:
    """Select the sample in every stratum (certainty strata take every item) and record the seed (drawn when
    not given, recorded exactly), the generator and its version; optionally write the results sheet to fill
    in. Refused once results are recorded: a new version of the audit is needed then."""
    exact_seed = parse_seed(seed, generator)
    audit = get_audit(store, audit_id)
    require_writable(audit)
    require_status(audit, "planned")
    audit_id = audit["audit_id"]
    recorded = stored.count_results(store, audit_id)
    if recorded or reached(audit, "recorded"):
        refuse(audit, "sample", f"{recorded:,} recorded result(s)")
    if exact_seed is None:
        exact_seed = secrets.randbelow(10**9) if generator == "pcg64" else secrets.randbelow(8640000) / 100
    selections, rows = [], []
    for stratum in stored.read_strata(store, audit_id):
        frame_nos = stored.stratum_frame(store, audit_id, stratum["stratum"])
        if stratum["certainty"]:
            rows += [(audit_id, stratum["stratum"], i, f, False) for i, f in enumerate(frame_nos, start=1)]
            selections.append({"stratum": stratum["stratum"], "certainty": True, "n": len(frame_nos)})
            continue
        extra = min(spares, len(frame_nos) - stratum["sample_size"])
        # Each stratum gets its own recorded seed so any one of them can be redrawn alone.
        stratum_seed = exact_seed + stratum["stratum"] - 1
        if isinstance(stratum_seed, float):
            stratum_seed = round(stratum_seed, 2)
        chosen = select_random(stratum_seed, 1, len(frame_nos), stratum["sample_size"], extra, generator)
        for order, number in enumerate(chosen.values + chosen.spares, start=1):
            rows.append(
                (audit_id, stratum["stratum"], order, frame_nos[number - 1], order > len(chosen.values))
            )
        selections.append(
            {
                "stratum": stratum["stratum"],
                "certainty": False,
                "n": len(chosen.values),
                "spares": len(chosen.spares),
                "seed": stratum_seed,
                "generator": generator,
                "frame": [1, len(frame_nos)],
            }
        )
    summary = {"selections": selections, "items": sum(1 for r in rows if not r[4])}
    parameters = {
        "seed": exact_seed,
        "seed_given": seed is not None,
        "generator": generator,
        "generator_version": generator_version(generator),
        "spares": spares,
    }
    with store.transaction():
        stored.replace_sample(store, audit_id, rows)
        set_status(store, audit_id, "sampled")
        outputs = {"audit_sample": content_sha256(rows)}
        if sheet is not None:
            written = write_results_sheet(
                sheet, sample_items(store, audit_id, include_spares=True).to_pylist()
            )
            outputs[str(written)] = file_sha256(written)
        log_step(store, audit_id, "sample", actor, parameters, summary, outputs=outputs)
    return {**summary, "seed": exact_seed, "audit_id": audit_id}


def sample_items(store, audit_id: str, include_spares: bool = False) -> pa.Table:
    """The sampled items with their stratum, frame position, declared values and what to test them against
    (description, HTS and origin of their lines), in stratum/selection order."""
    return stored.sample_items(store, audit_id, include_spares)
