"""Consignee identity for aggregation (DM-AGG, DM-SPLIT): one person at one address, whatever the spelling.

Names: case, accents, punctuation and whitespace do not make a different person. Addresses: parsed and
written in USPS Publication 28 form (street suffixes, unit designators, directionals, state, ZIP5) by the
maintained `usaddress-scourgify` package; an address it cannot parse falls back to upper case without
punctuation (`key_method` 'fallback'). The key is `NAME | ADDRESS` and appears in the evidence.

Parsing costs about a millisecond per distinct address (spread over a check run's worker processes,
parcelaudit.parallel), so only parcels that could aggregate are parsed:
de minimis claims sharing an arrival day and a house number (the first run of digits) with another claim
whose combined value exceeds the threshold. Every other parcel keeps the cheap key; two parcels with the
same cheap key share day and house number, so they are always parsed together or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pyarrow as pa

from parcelaudit.parallel import parallel_map
from parcelaudit.rules.context import RuleContext

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# The cheap key (SQL) for parcels that cannot aggregate: case, punctuation and spacing removed.
CHEAP_KEY = (
    "nullif(trim(regexp_replace(upper(coalesce(consignee_name, '') || ' | ' || coalesce(consignee_address, '')),"
    " '[^A-Z0-9|]+', ' ', 'g')), '|')"
)


def normalise_name(name: str | None) -> str:
    """A person's name for matching: accents stripped, lower case, punctuation and runs of spaces removed."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_WORD.sub(" ", plain).strip().upper()


@lru_cache(maxsize=200_000)
def normalise_address(address: str | None) -> tuple[str, str]:
    """(USPS Publication 28 form of a US address, 'usps-pub28'), or (a plain upper-case form, 'fallback')."""
    from scourgify import normalize_address_record
    from scourgify.exceptions import AddressNormalizationError

    text = (address or "").strip()
    if not text:
        return "", "fallback"
    try:
        parts = normalize_address_record(text)
    except (AddressNormalizationError, ValueError, TypeError, KeyError, IndexError):
        return normalise_name(text), "fallback"
    postal = (parts.get("postal_code") or "")[:5]
    fields = [parts.get(k) for k in ("address_line_1", "address_line_2", "city", "state")] + [postal]
    return " ".join(f for f in fields if f), "usps-pub28"


def _consignee_keys(ctx: RuleContext) -> pa.Table:
    with ctx.session() as session:
        session.create(
            "dm_blocked",
            f"""
            SELECT shipment_id, arrival_date, consignee_name, consignee_address, declared_value, general_threshold,
                   coalesce(regexp_extract(consignee_address, '[0-9]+'), '') AS house
            FROM dm WHERE suspended_by IS NULL AND {CHEAP_KEY} IS NOT NULL
            """,
        )
        candidates = session.rows("""
            SELECT DISTINCT consignee_name, consignee_address FROM dm_blocked
            WHERE (arrival_date, house) IN (
                SELECT (arrival_date, house) FROM dm_blocked GROUP BY arrival_date, house
                HAVING count(*) > 1 AND sum(declared_value) > any_value(general_threshold))
        """)
        # Parsing is the costly part (most of a large day's check): each distinct address once, in the run's
        # worker processes when it has several (parcelaudit.parallel; the same keys whatever their number).
        addresses = list(dict.fromkeys(address for _, address in candidates))
        parsed = dict(zip(addresses, parallel_map(normalise_address, addresses), strict=True))
        keyed = []
        for name, address in candidates:
            normal, method = parsed[address]
            keyed.append((name, address, f"{normalise_name(name)} | {normal}", method))
        session.register(
            "parsed_consignees",
            pa.table(
                {
                    "consignee_name": pa.array([k[0] for k in keyed], pa.string()),
                    "consignee_address": pa.array([k[1] for k in keyed], pa.string()),
                    "consignee_key": pa.array([k[2] for k in keyed], pa.string()),
                    "key_method": pa.array([k[3] for k in keyed], pa.string()),
                }
            ),
        )
        return session.query(f"""
            SELECT b.shipment_id, coalesce(p.consignee_key, {CHEAP_KEY.replace("consignee_", "b.consignee_")})
                     AS consignee_key,
                   coalesce(p.key_method, 'plain') AS key_method
            FROM dm_blocked b LEFT JOIN parsed_consignees p
              ON p.consignee_name IS NOT DISTINCT FROM b.consignee_name
             AND p.consignee_address IS NOT DISTINCT FROM b.consignee_address
        """)


def consignee_keys(ctx: RuleContext) -> pa.Table:
    """(shipment_id, consignee_key, key_method) over unsuspended de minimis claims (built once per context)."""
    return ctx.cached("consignee_keys", _consignee_keys)
