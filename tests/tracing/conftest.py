"""Fixtures for tracing tests: the five cotton T-shirt chains written as EPCIS + facilities.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcelaudit.tracing.verdict import TraceResult, load_chain, trace
from tests.tracing.chains import PRODUCT_GTIN, VARIANTS, write_chain


@pytest.fixture(scope="session")
def traced(tmp_path_factory) -> dict[str, TraceResult]:
    """Each variant traced once (screening with the real screener over the bundled lists)."""
    results = {}
    for variant in VARIANTS:
        paths = write_chain(tmp_path_factory.mktemp(variant), variant)
        chain = load_chain([paths["epcis.json"], paths["documents.csv"]], paths["facilities.csv"])
        results[variant] = trace(chain, PRODUCT_GTIN)
    return results


@pytest.fixture()
def chain_dir(tmp_path: Path) -> Path:
    """A fresh copy of the clean chain."""
    write_chain(tmp_path, "clean")
    return tmp_path
