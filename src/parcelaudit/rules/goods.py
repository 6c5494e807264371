"""Checks on the goods of each line: HTS validity, description against HTS chapter, origin against
manufacturer, and UFLPA high-priority sectors."""

from __future__ import annotations

import re

import pyarrow as pa

from parcelaudit.reference.hts import normalise_hts
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.derived import prefix_matches
from parcelaudit.rules.description import ScheduleWords, judge
from parcelaudit.rules.registry import rule

_DIGITS_6_10 = re.compile(r"^\d{6}(?:\d{2}){0,2}$")
# Entry types whose filing carries an HTS number; a manifest Section 321 claim need not.
HTS_REQUIRED_ENTRY_TYPES = ("86", "11", "01")


@rule(
    "HTS-INVALID",
    "row",
    "HTS missing where the entry type requires it, malformed, or not in the tariff schedule",
    "Entry type 86 / CBP Form 7501 data; USITC HTS 2025",
)
def hts_invalid(ctx: RuleContext) -> pa.Table:
    """Missing (where required), malformed, or unknown codes; unknown only against the complete schedule."""
    required = ", ".join(f"'{t}'" for t in HTS_REQUIRED_ENTRY_TYPES)
    complete = "true" if ctx.hts.complete else "false"
    source = ctx.hts.source.replace("'", "''")
    # A code is judged against the edition in force on its date (reference.hts.HtsSchedule.status): on a date
    # another year's edition governs, a code this edition lacks is unverified (no finding), never invalid,
    # unless its 6-digit subheading is unknown and the date is of the same Harmonized System revision.
    in_force = "true" if ctx.hts.year is None else f"year(arrival_date) = {int(ctx.hts.year)}"
    span = ctx.hts.revision_span()
    same_revision = (
        f"({in_force} OR arrival_date BETWEEN DATE '{span[0]}' AND DATE '{span[1]}')" if span else in_force
    )
    return ctx.query(
        f"""
        WITH classified AS (
            SELECT l.*,
                   CASE
                     WHEN hts IS NULL THEN CASE WHEN entry_type IN ({required}) THEN 'missing' END
                     WHEN NOT regexp_full_match(hts, '[0-9]+') OR length(hts) NOT IN (6, 8, 10) THEN 'malformed'
                     WHEN NOT {complete} THEN NULL
                     WHEN {same_revision} AND left(hts, 6) NOT IN (SELECT hts6 FROM hts_headings) THEN 'unknown'
                     WHEN NOT ({in_force}) THEN NULL
                     WHEN length(hts) > 6 AND left(hts, 8) NOT IN (SELECT hts8 FROM hts_lines) THEN 'unknown'
                   END AS problem
            FROM ln l
        )
        SELECT shipment_id, line_no, problem AS variant,
               CASE problem
                 WHEN 'missing' THEN 'HTS code missing; entry type ' || entry_type || ' requires one'
                 WHEN 'malformed' THEN 'HTS code ' || hts || ' is not 6, 8 or 10 digits'
                 ELSE 'HTS code ' || hts || ' is not in the tariff schedule'
               END AS message,
               CASE problem WHEN 'unknown' THEN 'USITC Harmonized Tariff Schedule 2025'
                    ELSE '19 CFR 142.3; CBP Form 7501; Entry Type 86 (84 FR 40079)' END AS citation,
               json_object('hts', hts, 'entry_type', entry_type, 'schedule', '{source}',
                           'schedule_complete', {complete}, 'edition', {ctx.hts.year or "NULL"})::VARCHAR AS evidence
        FROM classified WHERE problem IS NOT NULL
    """,
        hts_headings=ctx.cached("hts_headings", _headings),
    )


def _headings(ctx: RuleContext) -> pa.Table:
    """The schedule's 6-digit subheadings (hts6)."""
    return ctx.query("SELECT DISTINCT left(hts8, 6) AS hts6 FROM hts_lines")


@rule(
    "HTS-DESC",
    "row",
    "Description clearly names an article of another chapter than the declared HTS code",
    "General Rules of Interpretation of the HTSUS (GRI 1: the terms of the headings); USITC HTS texts",
)
def hts_description(ctx: RuleContext) -> pa.Table:
    """Per distinct (description, code): the article of the head phrase belongs elsewhere by the schedule's words.

    Codes the complete schedule does not know are HTS-INVALID's; they get no opinion here (rules.description).
    """
    table = ctx.policy.table("description_chapters")
    keyword_prefixes = {
        k.lower(): tuple(p.strip() for p in prefixes.split("|"))
        for k, prefixes in zip(table["keyword"].to_pylist(), table["prefixes"].to_pylist(), strict=True)
    }
    # Distinct raw (description, code) pairs are few; judging them in Python costs little.
    raw = ctx.query(
        "SELECT DISTINCT description, hts_code FROM lines WHERE description IS NOT NULL AND hts_code IS NOT NULL"
    ).to_pylist()
    headings = ctx.hts.headings6
    words = ScheduleWords(ctx.hts)
    conflicts = []
    for pair in raw:
        description, code = pair["description"], pair["hts_code"]
        digits = normalise_hts(code)
        if not _DIGITS_6_10.match(digits) or (ctx.hts.complete and digits[:6] not in headings):
            continue  # malformed or unknown codes are HTS-INVALID's
        verdict = judge(description, digits, keyword_prefixes, words)
        if verdict:
            conflicts.append({**verdict, "hts_code": code})
    schema = pa.schema(
        [
            ("description", pa.string()),
            ("hts", pa.string()),
            ("hts_code", pa.string()),
            ("article", pa.string()),
            ("head", pa.string()),
            ("expected", pa.string()),
            ("schedule_text", pa.bool_()),
        ]
    )
    return ctx.query(
        """
        SELECT l.shipment_id, l.line_no, 'chapter' AS variant,
               'description "' || l.description || '" names a ' || c.article || ', which HTS ' || c.hts
                 || ' does not describe; expected heading ' || replace(c.expected, ',', ' or ') AS message,
               'General Rules of Interpretation (GRI 1); USITC HTS heading texts' AS citation,
               json_object('hts', c.hts, 'chapter', left(c.hts, 2), 'article', c.article, 'head_phrase', c.head,
                           'suggested_headings', string_split(c.expected, ','),
                           'schedule_text', c.schedule_text)::VARCHAR AS evidence
        FROM lines l JOIN desc_conflicts c ON c.description = l.description AND c.hts_code = l.hts_code
    """,
        desc_conflicts=pa.Table.from_pylist(conflicts, schema=schema),
    )


@rule(
    "ORIG-MISMATCH",
    "row",
    "Declared origin differs from the manufacturer's country",
    "19 CFR part 102 (rules of origin); 19 CFR 134 (marking)",
)
def origin_mismatch(ctx: RuleContext) -> pa.Table:
    """Lines whose declared country of origin is not the manufacturer's country."""
    return ctx.query("""
        SELECT shipment_id, line_no, 'country' AS variant,
               'declared origin ' || country_of_origin || ' but manufacturer '
                 || coalesce(manufacturer_name, '?') || ' is in ' || manufacturer_country AS message,
               '19 CFR part 102; 19 CFR 141.86(a)(10)' AS citation,
               json_object('country_of_origin', country_of_origin, 'manufacturer_country', manufacturer_country,
                           'manufacturer_name', manufacturer_name)::VARCHAR AS evidence
        FROM lines
        WHERE coalesce(country_of_origin, '') <> '' AND coalesce(manufacturer_country, '') <> ''
          AND upper(country_of_origin) <> upper(manufacturer_country)
    """)


@rule(
    "FL-SECTOR",
    "row",
    "UFLPA high-priority sector goods with Chinese or unknown origin or manufacturer",
    "UFLPA (Pub. L. 117-78) sec. 2(d)(2)(B)(vii); uflpa_sectors.csv (OUR HTS mapping)",
)
def forced_labor_sector(ctx: RuleContext) -> pa.Table:
    """Sector lines (by our HTS mapping, in force on the date) whose origin or manufacturer is CN or unknown."""
    matches = prefix_matches("SELECT hts FROM ln", "uflpa_sectors")
    return ctx.query(f"""
        SELECT l.shipment_id, l.line_no,
               CASE WHEN l.mfr_country IS NULL THEN 'unknown-manufacturer' ELSE 'china' END AS variant,
               'UFLPA high-priority sector ' || m.sector || ' (HTS ' || l.hts || '), origin '
                 || coalesce(l.origin, 'unknown') || ', manufacturer country '
                 || coalesce(l.mfr_country, 'unknown') AS message,
               m.citation,
               json_object('sector', m.sector, 'hts', l.hts, 'hts_prefix', m.hts_prefix,
                           'origin', l.origin, 'manufacturer_country', l.mfr_country,
                           'mapping', 'ParcelAudit own HTS mapping, not an official list')::VARCHAR AS evidence
        FROM ln l JOIN ({matches}) m ON m.hts = l.hts
        WHERE l.arrival_date BETWEEN m.effective_from AND m.effective_to
          AND (l.origin IS NULL OR l.origin = 'CN' OR l.mfr_country IS NULL OR l.mfr_country = 'CN')
          -- A line whose SKU has a traced supply chain is judged by FL-TRACE instead.
          AND l.sku NOT IN (SELECT sku FROM traces WHERE sku IS NOT NULL)
        QUALIFY row_number() OVER (PARTITION BY l.shipment_id, l.line_no ORDER BY length(m.hts_prefix) DESC) = 1
    """)


@rule(
    "FL-TRACE",
    "row",
    "A line whose SKU has a traced supply chain carries the trace verdict (clear, review or exposed)",
    "UFLPA (Pub. L. 117-78) sec. 3; CBP UFLPA Operational Guidance for Importers (supply-chain tracing)",
)
def forced_labor_trace(ctx: RuleContext) -> pa.Table:
    """Lines whose SKU has a trace verdict: exposed holds, review reviews, clear is recorded as the reason."""
    return ctx.query("""
        SELECT l.shipment_id, l.line_no, t.trace_verdict AS variant,
               'SKU ' || l.sku || ' traced as product ' || t.trace_product || ': ' || t.trace_verdict
                 || ' (coverage ' || printf('%.0f%%', 100 * t.trace_coverage) || ')' AS message,
               'UFLPA (Pub. L. 117-78) sec. 3; trace verdict from parcelaudit trace' AS citation,
               json_object('sku', l.sku, 'product', t.trace_product, 'verdict', t.trace_verdict,
                           'coverage', t.trace_coverage, 'reasons', json(t.trace_reasons))::VARCHAR AS evidence
        FROM ln l JOIN traces t ON t.sku = l.sku
    """)
