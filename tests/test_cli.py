"""The command line as a user runs it: a real subprocess, real files, one-line errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcelaudit.cli import app
from tests.support import cli as run

README = Path(__file__).resolve().parents[1] / "README.md"


def test_generate_ingest_status_end_to_end(store_target, tmp_path):
    assert run("generate", "--parcels", "500", "--out", "data", "--seed", "5", cwd=tmp_path).returncode == 0
    files = [f"data/{n}.csv" for n in ("shipments", "lines", "orders", "payments")]
    result = run("ingest", *files, "--db", store_target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "shipments.csv" in result.stdout and "500" in result.stdout
    status = run("status", "--db", store_target, cwd=tmp_path)
    assert status.returncode == 0 and "shipments" in status.stdout and "500" in status.stdout
    again = run("ingest", files[0], "--db", store_target, cwd=tmp_path)
    assert "already imported" in again.stdout


def test_user_error_is_one_line_without_traceback(store_target, tmp_path):
    (tmp_path / "junk.csv").write_bytes(b"\x00\x01\x02" * 100)
    result = run("ingest", "junk.csv", "--db", store_target, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "junk.csv" in result.stderr and "binary file" in result.stderr
    missing = run("ingest", "nope.csv", "--db", store_target, cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def _command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():
        names.append(name)
        for sub in getattr(command, "commands", {}):
            names.append(f"{name} {sub}")
    return names


@pytest.mark.parametrize("name", _command_names())
def test_every_command_has_help_and_is_documented_in_the_readme(name, tmp_path):
    result = run(*name.split(), "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage" in result.stdout
    assert f"parcelaudit {name}" in README.read_text(encoding="utf-8"), (
        f"README does not mention `parcelaudit {name}`"
    )


def test_data_model_doc_is_generated_from_the_schema():
    from parcelaudit.schema_docs import schema_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "data-model.md"
    assert doc.read_text(encoding="utf-8") == schema_markdown(), (
        "run: python -m parcelaudit.schema_docs docs/data-model.md"
    )
