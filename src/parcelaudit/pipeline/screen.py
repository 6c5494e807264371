"""Restricted-party screening within a check: the parties' names (rules.parties) screened by the screening
stage against the lists, analysts' dispositions applied, the hits turned into SCREEN-* findings."""

from __future__ import annotations

import pyarrow as pa

from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.parties import party_names, screening_findings
from parcelaudit.screening import Screener, screen_party_table
from parcelaudit.screening.dispositions import Disposition, suppress_decided
from parcelaudit.screening.lists import default_screener


def screen_parties(
    ctx: RuleContext, screener: Screener | None = None, dispositions: list[Disposition] | None = None
) -> tuple[pa.Table, list[dict]]:
    """SCREEN-<LIST> findings for the context's parties, each distinct (name, country) screened once, and the
    list snapshots the screener read.

    screener: None screens against the downloaded (or bundled) lists. dispositions: analysts' decisions
    (parcelaudit.screening.dispositions); a false positive on a (name, entry) is no finding while the entry
    is unchanged."""
    screener = screener if screener is not None else default_screener()
    hits = screen_party_table(party_names(ctx), screener)
    if dispositions:
        hits = suppress_decided(hits, screener.entries, dispositions)
    return screening_findings(ctx, hits), screener.snapshots()
