"""The screening commands, run through Typer with real files, plus a check that the docs cover them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from parcelaudit.commands.screening import register
from parcelaudit.errors import ParcelAuditError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screening.md"


@pytest.fixture
def app() -> typer.Typer:
    """A CLI app holding only the screening commands."""
    application = typer.Typer()
    register(application)
    return application


def _run(app: typer.Typer, args: list[str]):
    return CliRunner().invoke(app, args, catch_exceptions=True)


def test_screen_one_name_writes_hits(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = _run(app, ["screen", "--name", "HOSHINE SILICON INDUSTRY SHANSHAN CO LTD", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["list"] == "UFLPA" and rows[0]["query"] == "HOSHINE SILICON INDUSTRY SHANSHAN CO LTD"
    assert set(rows[0]) == {"query", "list", "entry_id", "matched_name", "score", "explanation"}


def test_hits_csv_neutralises_a_formula_in_a_screened_name(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = _run(app, ["screen", "--name", "=Xinjiang Zhongtai Chemical Co., Ltd", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert rows and rows[0]["query"] == "'=Xinjiang Zhongtai Chemical Co., Ltd"


def test_screen_names_file_against_given_lists(app: typer.Typer, list_dir: Path, tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,country\nVladimir Putin,RU\nAcme Widgets,US\nAero Caribbean Airlines,CU\n")
    out = tmp_path / "hits.csv"
    result = _run(
        app, ["screen", "--names", str(names), "--list", str(list_dir / "sdn.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert {r["query"] for r in rows} == {"Vladimir Putin", "Aero Caribbean Airlines"}


def test_screen_needs_exactly_one_source(app: typer.Typer, tmp_path: Path) -> None:
    result = _run(app, ["screen", "--out", str(tmp_path / "x.csv")])
    assert isinstance(result.exception, ParcelAuditError)


def test_lists_update_from_a_file_url_and_show(
    app: typer.Typer, list_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path / "home"))
    result = _run(app, ["lists", "update", "UN", "--url", f"UN={(list_dir / 'un.xml').as_uri()}"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "lists" / "UN" / "manifest.json").exists()
    shown = _run(app, ["lists", "show"])
    assert shown.exit_code == 0 and "UN" in shown.output and "UFLPA" in shown.output


def test_lists_update_offline_is_a_clear_error(app: typer.Typer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path))
    result = _run(app, ["lists", "update", "UN", "--url", "UN=http://127.0.0.1:9/un.xml", "--timeout", "2"])
    assert isinstance(result.exception, ParcelAuditError)
    assert "cannot download" in str(result.exception)


def test_every_command_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for command in ("parcelaudit lists update", "parcelaudit lists show", "parcelaudit screen"):
        assert command in text, command


def test_screen_report_has_html_and_a_pdf_page(app: typer.Typer, tmp_path: Path) -> None:
    import pypdfium2

    names = tmp_path / "names.txt"
    names.write_text(
        "Xinjiang Daqo New Energy Co Ltd\nNingbo Hongda Trading Co Ltd\nAKSU HUAFU TEXTILES CO LTD\n"
    )
    result = _run(
        app,
        [
            "screen",
            "--names",
            str(names),
            "--out",
            str(tmp_path / "h.csv"),
            "--report",
            str(tmp_path / "rep"),
        ],
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "rep" / "screening_report.html").read_text()
    assert "Xinjiang Daqo" in html and "partial snapshot" in html and "data:image/png" in html
    pdf = pypdfium2.PdfDocument(tmp_path / "rep" / "screening_report.pdf")
    assert len(pdf) >= 1
