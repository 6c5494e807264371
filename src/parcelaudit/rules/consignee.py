"""Consignee identity for aggregation (DM-AGG, DM-SPLIT): one person at one address, whatever the spelling.

Names: case, accents, punctuation and whitespace do not make a different person. Addresses: parsed and
written in USPS Publication 28 form (street suffixes, unit designators, directionals, state, ZIP5) by the
maintained `usaddress-scourgify` package; an address it cannot parse falls back to upper case without
punctuation (`key_method` 'fallback'). The key is `NAME | ADDRESS` and appears in the evidence.

Parsing costs about a millisecond per distinct address (spread over a check run's worker processes,
parcelaudit.parallel), so only parcels that could aggregate are parsed: de minimis claims sharing an arrival
day, a house number (the first run of digits) and the normalised name with another claim, whose combined
value exceeds the threshold. Two parcels whose keys are equal share all three (a key starts with the
normalised name, and a parsed address keeps its house number), so a group over the threshold lies inside such
a block and every parcel of it is parsed. Every other parcel keeps the cheap key, the normalised name and the
address in upper case without punctuation: two parcels with equal cheap keys share the block too, so they
are parsed together or not at all, and a cheap key never joins a group over the threshold.

Blocking by name as well as house number matters at volume: on a national day nearly every house number
recurs among thousands of consignees, while a name recurs at one house number only where a group may form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pyarrow as pa

from parcelaudit.parallel import parallel_map
from parcelaudit.rules.context import RuleContext

_NOT_WORD = re.compile(r"[^0-9a-z]+")


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
        # ascii_key is normalise_name in SQL, exact for names of ASCII characters (the others are normalised in
        # Python below); plain_address is the address with case, punctuation and spacing removed, the cheap
        # key's second half for parcels that cannot aggregate.
        session.create(
            "dm_claims",
            """
            SELECT shipment_id, arrival_date, consignee_name, consignee_address, declared_value, general_threshold,
                   coalesce(regexp_extract(consignee_address, '[0-9]+'), '') AS house,
                   consignee_name IS NULL OR NOT regexp_matches(consignee_name, '[^\\x00-\\x7F]') AS ascii_name,
                   trim(regexp_replace(upper(coalesce(consignee_name, '')), '[^A-Z0-9]+', ' ', 'g')) AS ascii_key,
                   trim(regexp_replace(upper(coalesce(consignee_address, '')), '[^A-Z0-9]+', ' ', 'g'))
                     AS plain_address
            FROM dm WHERE suspended_by IS NULL
              AND regexp_matches(upper(coalesce(consignee_name, '') || ' ' || coalesce(consignee_address, '')),
                                 '[A-Z0-9]')
            """,
        )
        other = [
            name
            for (name,) in session.rows("SELECT DISTINCT consignee_name FROM dm_claims WHERE NOT ascii_name")
        ]
        session.register(
            "name_keys",
            pa.table(
                {
                    "consignee_name": pa.array(other, pa.string()),
                    "name_key": pa.array([normalise_name(n) for n in other], pa.string()),
                }
            ),
        )
        session.create(
            "dm_blocked",
            """
            SELECT c.*, CASE WHEN c.ascii_name THEN c.ascii_key ELSE n.name_key END AS name_key
            FROM dm_claims c LEFT JOIN name_keys n ON NOT c.ascii_name AND n.consignee_name = c.consignee_name
            """,
        )
        candidates = session.rows("""
            SELECT DISTINCT consignee_name, consignee_address, name_key FROM dm_blocked
            WHERE (arrival_date, house, name_key) IN (
                SELECT (arrival_date, house, name_key) FROM dm_blocked GROUP BY arrival_date, house, name_key
                HAVING count(*) > 1 AND sum(declared_value) > any_value(general_threshold))
        """)
        # Parsing is the costly part: each distinct address once, in the run's worker processes when it has
        # several (parcelaudit.parallel; the same keys whatever their number).
        addresses = list(dict.fromkeys(address for _, address, _ in candidates))
        parsed = dict(zip(addresses, parallel_map(normalise_address, addresses), strict=True))
        session.register(
            "parsed_consignees",
            pa.table(
                {
                    "consignee_name": pa.array([name for name, _, _ in candidates], pa.string()),
                    "consignee_address": pa.array([address for _, address, _ in candidates], pa.string()),
                    "consignee_key": pa.array(
                        [f"{key} | {parsed[address][0]}" for _, address, key in candidates], pa.string()
                    ),
                    "key_method": pa.array([parsed[address][1] for _, address, _ in candidates], pa.string()),
                }
            ),
        )
        return session.query("""
            SELECT b.shipment_id, coalesce(p.consignee_key, b.name_key || ' | ' || b.plain_address) AS consignee_key,
                   coalesce(p.key_method, 'plain') AS key_method
            FROM dm_blocked b LEFT JOIN parsed_consignees p
              ON p.consignee_name IS NOT DISTINCT FROM b.consignee_name
             AND p.consignee_address IS NOT DISTINCT FROM b.consignee_address
        """)


def consignee_keys(ctx: RuleContext) -> pa.Table:
    """(shipment_id, consignee_key, key_method) over unsuspended de minimis claims (built once per context)."""
    return ctx.cached("consignee_keys", _consignee_keys)
