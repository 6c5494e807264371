"""The parties of a parcel: Xinjiang addresses (FL-REGION), and the party names restricted-party screening
reads and its hits turned into SCREEN-* findings.

Both work once per distinct value (address or party name), never per row: FL-REGION calls
parcelaudit.reference.xinjiang.assess_address; the pipeline (parcelaudit.pipeline.screen) hands
`party_names` to the screening stage and its hits back to `screening_findings`.
"""

from __future__ import annotations

import json

import pyarrow as pa

from parcelaudit.reference.xinjiang import assess_address
from parcelaudit.rules.context import FINDING_SCHEMA, RuleContext
from parcelaudit.rules.registry import rule

# (role, source relation, name column, address column, country column, line-level?)
PARTY_COLUMNS = (
    ("seller", "shipments", "seller_name", "seller_address", "seller_country", False),
    ("shipper", "shipments", "shipper_name", "shipper_address", "shipper_country", False),
    ("manufacturer", "lines", "manufacturer_name", "manufacturer_address", "manufacturer_country", True),
)
# Restricted lists whose hit holds a parcel by default are set in the severity policy, not here.
SCREEN_CITATIONS = {
    "UFLPA": "UFLPA (Pub. L. 117-78) sec. 3 rebuttable presumption; UFLPA Entity List",
    "WRO": "19 U.S.C. 1307; 19 CFR 12.42-12.44 (Withhold Release Orders and Findings)",
    "SDN": "OFAC Specially Designated Nationals list (31 CFR chapter V)",
    "CSL": "Consolidated Screening List (trade.gov)",
    "UN": "UN Security Council Consolidated List",
}


def _assess_pairs(pairs: list[dict]) -> list[dict]:
    """Run the Xinjiang detector over (address, country) pairs; keep the Xinjiang ones with their signals."""
    flagged = []
    for pair in pairs:
        address, country = pair["value"], pair["country"]
        result = assess_address(address, country)
        if result.is_xinjiang:
            flagged.append(
                {
                    "value": address,
                    "country": country,
                    "score": float(result.score),
                    "signals": json.dumps(list(result.signals), ensure_ascii=False),
                    "explanation": result.explanation,
                }
            )
    return flagged


def _distinct_party_sql(kind: str) -> str:
    """SQL for the distinct (value, country) pairs of every party role: names or addresses."""
    parts = []
    for _, source, name, address, country, _ in PARTY_COLUMNS:
        value = name if kind == "name" else address
        parts.append(
            f"SELECT DISTINCT {value} AS value, nullif({country}, '') AS country FROM {source} "
            f"WHERE coalesce({value}, '') <> ''"
        )
    return " UNION ".join(parts)


def _party_sql(kind: str, matched: str) -> str:
    """SQL for every party whose (value, country) is in the small relation `matched`, with role and place."""
    parts = []
    for role, source, name, address, country, on_line in PARTY_COLUMNS:
        value = name if kind == "name" else address
        line = "p.line_no" if on_line else "NULL::BIGINT"
        parts.append(
            f"SELECT p.shipment_id, {line} AS line_no, '{role}' AS role, p.{value} AS value, "
            f"nullif(p.{country}, '') AS country FROM {source} p JOIN {matched} m "
            f"ON m.value = p.{value} AND m.country IS NOT DISTINCT FROM nullif(p.{country}, '')"
        )
    return " UNION ALL ".join(parts)


@rule(
    "FL-REGION",
    "row",
    "Manufacturer, seller or shipper address in Xinjiang (multi-signal detector)",
    "UFLPA (Pub. L. 117-78) sec. 3: goods made wholly or in part in Xinjiang are presumed prohibited",
)
def forced_labor_region(ctx: RuleContext) -> pa.Table:
    """Assess each distinct (address, country) once; flag every party that sits at a Xinjiang address."""
    flagged = _assess_pairs(ctx.query(_distinct_party_sql("address")).to_pylist())
    schema = pa.schema(
        [
            ("value", pa.string()),
            ("country", pa.string()),
            ("score", pa.float64()),
            ("signals", pa.string()),
            ("explanation", pa.string()),
        ]
    )
    return ctx.query(
        f"""
        SELECT p.shipment_id, p.line_no, p.role AS variant,
               p.role || ' address in Xinjiang: ' || x.explanation AS message,
               'UFLPA (Pub. L. 117-78) sec. 3; CBP UFLPA Operational Guidance for Importers' AS citation,
               json_object('role', p.role, 'address', p.value, 'country', p.country, 'score', x.score,
                           'signals', json(x.signals))::VARCHAR AS evidence
        FROM ({_party_sql("address", "xinjiang_addresses")}) p JOIN xinjiang_addresses x
          ON x.value = p.value AND x.country IS NOT DISTINCT FROM p.country
    """,
        xinjiang_addresses=pa.Table.from_pylist(flagged, schema=schema),
    )


def party_names(ctx: RuleContext) -> pa.Table:
    """The distinct (name, country) of every party of every parcel: what restricted-party screening reads."""
    return ctx.query(f"SELECT value AS name, country FROM ({_distinct_party_sql('name')})")


def screening_findings(ctx: RuleContext, hits: pa.Table) -> pa.Table:
    """SCREEN-<LIST> findings: every party whose (name, country) screening hit (parcelaudit.screening.HIT_SCHEMA),
    the best hit per party role and list."""
    if hits.num_rows == 0:
        return FINDING_SCHEMA.empty_table()
    citations = pa.table({"list": list(SCREEN_CITATIONS), "citation": list(SCREEN_CITATIONS.values())})
    with ctx.session(screen_hits=hits, screen_citations=citations) as session:
        session.create("screen_matched", "SELECT DISTINCT name AS value, country FROM screen_hits")
        found = session.query(f"""
        SELECT p.shipment_id, p.line_no, 'SCREEN-' || upper(h.list) AS rule_id, p.role AS variant,
               p.role || ' "' || p.value || '" matches ' || upper(h.list) || ' entry "' || h.matched_name
                 || '" (score ' || printf('%.2f', h.score) || ')' AS message,
               coalesce(c.citation, upper(h.list) || ' list') AS citation,
               json_object('role', p.role, 'name', p.value, 'country', p.country, 'list', h.list,
                           'entry_id', h.entry_id, 'matched_name', h.matched_name, 'score', h.score,
                           'explanation', h.explanation)::VARCHAR AS evidence
        FROM ({_party_sql("name", "screen_matched")}) p
        JOIN screen_hits h ON h.name = p.value AND h.country IS NOT DISTINCT FROM p.country
        LEFT JOIN screen_citations c ON c.list = upper(h.list)
        QUALIFY row_number() OVER (PARTITION BY p.shipment_id, p.line_no, p.role, h.list ORDER BY h.score DESC) = 1
    """)
    return found.select(FINDING_SCHEMA.names).cast(FINDING_SCHEMA)
