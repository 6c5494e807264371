"""The audit and ingest path keeps its layers: statistics and validation are pure (no store, no reports),
stages never import reports, and nothing in these areas reaches past the Store interface to a raw
connection. Read from the source with ast, so a moved import cannot hide."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "parcelaudit"
PURE = [
    "audit/allocation.py",
    "audit/attributes.py",
    "audit/evaluation.py",
    "audit/mus.py",
    "audit/penalties.py",
    "audit/population.py",
    "audit/projection.py",
    "audit/reconcile.py",
    "audit/results_sheet.py",
    "audit/selection.py",
    "audit/simulate.py",
    "audit/variables.py",
    "ingest/validation.py",
    "ingest/validate.py",
]
STAGES = ["audit", "ingest", "generate", "origin"]
# In-process DuckDB over Arrow inside a pure function (never the store's file).
IN_PROCESS_DUCKDB = {"audit/population.py", "audit/reconcile.py"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _area_files() -> list[Path]:
    files = [p for stage in STAGES for p in sorted((PACKAGE / stage).glob("*.py"))]
    return [*files, PACKAGE / "commands" / "audit.py", PACKAGE / "commands" / "data.py"]


@pytest.mark.parametrize("name", PURE)
def test_statistics_and_validation_import_neither_store_nor_reports(name):
    imported = _imports(PACKAGE / name)
    assert not {m for m in imported if m.startswith(("parcelaudit.store", "parcelaudit.reports"))}


def test_stages_never_import_reports():
    offenders = [
        str(path.relative_to(PACKAGE))
        for stage in STAGES
        for path in sorted((PACKAGE / stage).glob("*.py"))
        if any(m.startswith("parcelaudit.reports") for m in _imports(path))
    ]
    assert offenders == []


def test_no_raw_connection_and_no_duckdb_outside_the_store():
    raw, duckdb_users = [], []
    for path in _area_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(PACKAGE))
        if any(isinstance(n, ast.Attribute) and n.attr == "con" for n in ast.walk(tree)):
            raw.append(name)
        if "duckdb" in _imports(path) and name not in IN_PROCESS_DUCKDB:
            duckdb_users.append(name)
    assert raw == [] and duckdb_users == []
