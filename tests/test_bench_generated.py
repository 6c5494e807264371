"""The benchmarks' cache key for generated datasets covers every file the generator reads."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.generated import generator_inputs, generator_version

import parcelaudit.generate  # noqa: F401  (loads every generator module)


def test_every_generator_module_is_in_the_cache_key() -> None:
    inputs = {path.resolve() for path in generator_inputs()}
    loaded = {
        Path(module.__file__).resolve()
        for name, module in sys.modules.items()
        if name.startswith("parcelaudit.generate") and getattr(module, "__file__", None)
    }
    assert loaded and loaded <= inputs
    names = {path.name for path in inputs}
    assert {"dataset.py", "injections.py", "uflpa_entity_list.csv"} <= names
    assert all(path.is_file() for path in inputs)


def test_the_key_changes_with_the_injections_module(tmp_path: Path, monkeypatch) -> None:
    import bench.generated as generated

    before = generator_version()
    real = generator_inputs()
    changed = tmp_path / "injections.py"
    original = next(p for p in real if p.name == "injections.py")
    changed.write_bytes(original.read_bytes() + b"\n# one more line\n")
    monkeypatch.setattr(
        generated, "generator_inputs", lambda: [changed if p == original else p for p in real]
    )
    assert generated.generator_version() != before
