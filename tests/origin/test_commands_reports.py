"""The `origin` commands, the HTML + PDF reports and the demo hook, end to end on simulated data."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import typer
from typer.testing import CliRunner

from parcelaudit.commands.origin import origin_app, register
from parcelaudit.reports.origin_demo import run_demo

DOCS = Path(__file__).resolve().parents[2] / "docs" / "origin.md"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    register(app)
    return app


def _pdf_pages(path: Path) -> int:
    return len(pdfium.PdfDocument(str(path)))


def test_verify_command_writes_report(simulated_files, tmp_path):
    out = tmp_path / "verify"
    files = {k: str(v) for k, v in simulated_files.items()}
    args = ["origin", "verify", files["results"], "--reference", files["reference"], "--claimed", "US"]
    result = CliRunner().invoke(_app(), [*args, "--out", str(out), "--isoscape", files["isoscape"]])
    assert result.exit_code == 0, result.output
    html = (out / "origin_report.html").read_text()
    assert "does not prove" in html and "forced labor" in html
    assert "SIMULATED" in html and "not consistent" in html and "data:image/png" in html
    assert _pdf_pages(out / "origin_report.pdf") >= 2


def test_assign_and_qa_commands(simulated_files, tmp_path):
    runner, app = CliRunner(), _app()
    out = tmp_path / "assign"
    files = {k: str(v) for k, v in simulated_files.items()}
    args = ["origin", "assign", files["results"], "--isoscape", files["isoscape"]]
    result = runner.invoke(app, [*args, "--known", files["reference"], "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "posterior.tif").exists() and (out / "calibrated_isoscape.tif").exists()
    assert _pdf_pages(out / "origin_assign.pdf") >= 1
    qa_out = tmp_path / "qa"
    args = ["origin", "qa", "--known", files["reference"], "--isoscape", files["isoscape"], "--by", "10"]
    result = runner.invoke(app, [*args, "--out", str(qa_out), "--val-sites", "5"])
    assert result.exit_code == 0, result.output
    assert (qa_out / "qa_curves.json").exists() and (qa_out / "origin_qa.pdf").exists()


def test_demo_hook_without_shared_data(tmp_path, monkeypatch):
    monkeypatch.setenv("PARCELAUDIT_SHARED_DATA", str(tmp_path / "nowhere"))
    paths = run_demo(tmp_path / "demo")
    assert [p.suffix for p in paths] == [".html", ".pdf"]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)


def test_every_origin_command_is_documented():
    text = DOCS.read_text()
    for command in origin_app.registered_commands:
        assert f"parcelaudit origin {command.name}" in text
