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
    ctx: RuleContext,
    screener: Screener | RunScreener | None = None,
    dispositions: list[Disposition] | None = None,
) -> tuple[pa.Table, list[dict]]:
    """SCREEN-<LIST> findings for the context's parties, each distinct (name, country) screened once, and the
    list snapshots the screener read.

    screener: None screens against the downloaded (or bundled) lists; a RunScreener remembers what it
    screened for the rest of the run. dispositions: analysts' decisions
    (parcelaudit.screening.dispositions); a false positive on a (name, entry) is no finding while the entry
    is unchanged."""
    screener = screener if screener is not None else default_screener()
    if isinstance(screener, RunScreener):
        hits = screener.hits(party_names(ctx))
    else:
        hits = screen_party_table(party_names(ctx), screener)
    if dispositions:
        hits = suppress_decided(hits, screener.entries, dispositions)
    return screening_findings(ctx, hits), screener.snapshots()


class RunScreener:
    """A screener for a whole check run, partition after partition: each distinct (name, country) is screened
    once per run and its hits kept (memory grows with the distinct names that hit, not with the parcels)."""

    def __init__(self, screener: Screener | None = None) -> None:
        self.screener = screener if screener is not None else default_screener()
        self.entries = self.screener.entries
        self._seen: set[tuple[str, str | None]] = set()
        self._hits: list[pa.Table] = []
        self.screened = 0

    def hits(self, parties: pa.Table) -> pa.Table:
        """screen_party_table(parties) for this run, screening only the (name, country) not seen before."""
        wanted = dict.fromkeys(zip(parties["name"].to_pylist(), parties["country"].to_pylist(), strict=True))
        fresh = [key for key in wanted if key not in self._seen]
        if fresh or not self._hits:
            new = pa.table(
                {
                    "name": pa.array([k[0] for k in fresh], pa.string()),
                    "country": pa.array([k[1] for k in fresh], pa.string()),
                }
            )
            self._hits.append(screen_party_table(new, self.screener))
            self._seen.update(fresh)
            self.screened += len(fresh)
        everything = self._hits[0] if len(self._hits) == 1 else pa.concat_tables(self._hits)
        self._hits = [everything]
        found = zip(everything["name"].to_pylist(), everything["country"].to_pylist(), strict=True)
        return everything.filter(pa.array([key in wanted for key in found], pa.bool_()))

    def snapshots(self) -> list[dict]:
        """The list snapshots of the underlying screener."""
        return self.screener.snapshots()
