"""The screening hot path compiled to C with mypyc, and a guard against compiled code older than its source.

`make compile` (which make test, demo and bench run first) builds the modules in HOT_MODULES into C
extensions beside their .py files, and Python then imports the extensions: screening runs about a third
faster. Nothing else changes: the extensions are the same typed Python, and without a C compiler the
modules simply run as Python. An extension older than its source would run stale code, so when any of
them is stale all are loaded from source instead (mypyc links them to each other), with a warning; the
environment variable PARCELAUDIT_PURE_PYTHON=1 does the same on purpose.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

HOT_MODULES = (
    "text",
    "names",
    "transliteration",
    "scoring",
    "index",
    "screener",
)  # in import order: each needs the ones before
_PACKAGE = "parcelaudit.screening"
_HERE = Path(__file__).parent


def extension_path(module: str, folder: Path = _HERE) -> Path | None:
    """The compiled extension of a module in folder, if one was built."""
    for suffix in EXTENSION_SUFFIXES:
        path = folder / f"{module}{suffix}"
        if path.exists():
            return path
    return None


def stale_modules(folder: Path = _HERE) -> list[str]:
    """Modules whose compiled extension is older than their source."""
    stale = []
    for module in HOT_MODULES:
        compiled = extension_path(module, folder)
        if compiled is not None and compiled.stat().st_mtime < (folder / f"{module}.py").stat().st_mtime:
            stale.append(module)
    return stale


def compiled() -> bool:
    """Whether the screening modules in use are the compiled extensions."""
    module = sys.modules.get(f"{_PACKAGE}.index")
    return module is not None and not str(getattr(module, "__file__", "")).endswith(".py")


def _load_sources() -> None:
    for module in HOT_MODULES:
        name = f"{_PACKAGE}.{module}"
        spec = importlib.util.spec_from_file_location(name, _HERE / f"{module}.py")
        if spec is None or spec.loader is None:  # pragma: no cover - the files ship with the package
            raise ImportError(f"cannot load {name} from source")
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        spec.loader.exec_module(loaded)


def guard() -> None:
    """Load the hot modules from source when any compiled extension is older than its .py file, or when
    PARCELAUDIT_PURE_PYTHON is set (to compare, or to debug with Python tools)."""
    if f"{_PACKAGE}.index" in sys.modules:
        return
    if os.environ.get("PARCELAUDIT_PURE_PYTHON"):
        _load_sources()
        return
    stale = stale_modules()
    if stale:
        warnings.warn(
            f"compiled screening modules older than their source ({', '.join(stale)}): running them as "
            "Python; run `make compile` to rebuild them",
            RuntimeWarning,
            stacklevel=2,
        )
        _load_sources()


guard()
