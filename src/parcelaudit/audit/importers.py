"""Finding the importer to audit: the importers on the parcels with their parcel counts and date ranges,
and a user error with "did you mean" when a name matches no parcel exactly."""

from __future__ import annotations

import difflib
import re
from datetime import date

from parcelaudit.audit.population import check_importer_by
from parcelaudit.errors import ParcelAuditError
from parcelaudit.store import audits as stored


def _folded(name: str) -> str:
    """A name for near-miss matching: case, punctuation and spacing ignored."""
    return re.sub(r"[\W_]+", " ", name.casefold()).strip()


def list_importers(store, by: str = "seller_name", like: str | None = None) -> list[dict]:
    """Importers (seller or marketplace names) with parcel count and first/last arrival, most parcels first;
    `like` keeps names containing that text (case and punctuation ignored)."""
    check_importer_by(by, field="--by")
    rows = stored.importer_totals(store, by)
    if like:
        wanted = _folded(like)
        rows = [r for r in rows if wanted in _folded(r["importer"])]
    return rows


def suggest_importers(names: list[str], importer: str, count: int = 3) -> list[str]:
    """Names close to `importer` (case, punctuation and spacing ignored), best first."""
    wanted = _folded(importer)
    scored = []
    for name in names:
        words = _folded(name)
        # The whole name, and each stretch of it as long as the text (so a partial name finds its owner).
        starts = [0] + [i + 1 for i, c in enumerate(words) if c == " "]
        pieces = [words] + [words[i : i + len(wanted)] for i in starts]
        best = max(difflib.SequenceMatcher(None, wanted, piece).ratio() for piece in pieces)
        if best >= 0.8:
            scored.append((-best, name))
    return [name for _, name in sorted(scored)[:count]]


def require_importer(
    store,
    importer: str,
    by: str = "seller_name",
    start: date | None = None,
    end: date | None = None,
    field: str = "importer",
) -> dict:
    """The importer's parcel count and date range; a user error with "did you mean" when no parcel carries
    exactly that name, or when none of its parcels arrived in the period."""
    check_importer_by(by, field="--by")
    row = stored.importer_parcels(store, by, importer)
    if row[0] == 0:
        close = suggest_importers(stored.importer_names(store, by), importer)
        hint = (
            f"did you mean {' or '.join(repr(c) for c in close)}? "
            if close
            else "the name must match the parcels exactly; "
        )
        raise ParcelAuditError(
            f"no parcels have {by} {importer!r}",
            field=field,
            hint=hint + "list importers with `parcelaudit audit importers --like TEXT`",
        )
    found = {"importer": importer, "parcels": row[0], "first_arrival": row[1], "last_arrival": row[2]}
    if start is not None and end is not None:
        inside = stored.importer_parcels(store, by, importer, start, end)[0]
        if inside == 0:
            raise ParcelAuditError(
                f"{importer!r} has no parcels arriving from {start} to {end}",
                field="period",
                hint=f"its {row[0]:,} parcels arrived from {row[1]} to {row[2]}; choose --from/--to within",
            )
        found["parcels_in_period"] = inside
    return found
