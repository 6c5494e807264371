"""Loading a season at volume: the cyclic collector does not sweep the growing chain while it is built,
and it is running again afterwards, whether the document was read or refused."""

from __future__ import annotations

import gc

import pytest

from parcelaudit.errors import InputError
from parcelaudit.generate.supply_season import EVENTS_PER_LOT, write_facilities, write_season
from parcelaudit.tracing.verdict import load_chain


@pytest.fixture
def collections():
    """The generations the cyclic collector swept while the test ran."""
    swept: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            swept.append(info["generation"])

    gc.callbacks.append(note)
    yield swept
    gc.callbacks.remove(note)


def test_a_season_loads_without_a_collector_sweep_and_the_collector_runs_after(tmp_path, collections):
    season = tmp_path / "season.json"
    write_season(season, 100 * EVENTS_PER_LOT)
    facilities = write_facilities(tmp_path / "facilities.csv")
    assert gc.isenabled()
    files = [season]  # made first: making it may start a sweep
    swept_before = len(collections)
    chain = load_chain(files, facilities)
    swept_while_loading = len(collections) - swept_before  # at once: the next allocation may sweep
    # At most the one sweep as the pause ends (of what was made during it); before: about 110 sweeps, some
    # of them over the whole growing chain.
    assert swept_while_loading <= 1
    assert len(chain.transformations) == 100 * 5
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_refused_document(tmp_path):
    season = tmp_path / "season.json"
    write_season(season, 10 * EVENTS_PER_LOT)
    text = season.read_text(encoding="utf-8")
    season.write_text(
        text.replace('"bizStep":"shipping"', '"bizStep":"shipping-by-owl"', 1), encoding="utf-8"
    )
    with pytest.raises(InputError, match="invalid EPCIS document"):
        load_chain([season])
    assert gc.isenabled()
