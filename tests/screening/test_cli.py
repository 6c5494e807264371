"""The screening commands, run through Typer with real files, plus a check that the docs cover them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from parcelaudit.commands.screening import register
from parcelaudit.errors import ParcelAuditError
from parcelaudit.hashing import file_sha256

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


def test_lists_update_uflpa_keeps_every_alias_and_the_sources_date(
    app: typer.Typer, tmp_path: Path, monkeypatch
) -> None:
    # Issue 13 #4: the UFLPA update read our CSV through the DHS page reader and dropped all 44 aliases.
    from parcelaudit.reference.list_sources import installed_lists
    from parcelaudit.reference.lists import BUNDLED_LISTS

    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path / "home"))
    source = BUNDLED_LISTS / "uflpa_entity_list.csv"
    result = _run(app, ["lists", "update", "UFLPA", "--url", f"UFLPA={source.as_uri()}"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "home" / "lists" / "UFLPA" / "manifest.json").read_text())
    assert manifest["aliases"] == 44 and manifest["entries"] == 87
    # The list's own latest listing date, not today's download date.
    assert manifest["published"] == "2025-01-15" and manifest["date_basis"] == "latest listing date"
    (uflpa,) = [lst for lst in installed_lists() if lst.code == "UFLPA"]
    assert uflpa.alias_count == 44 and uflpa.snapshot_date == "2025-01-15"


def test_screen_records_the_list_snapshots_it_used(app: typer.Typer, list_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = _run(
        app, ["screen", "--name", "Vladimir Putin", "--list", str(list_dir / "sdn.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    (used,) = json.loads((tmp_path / "hits_lists.json").read_text())
    assert used["list"] == "SDN" and used["entries"] == 3
    assert used["sha256"] == file_sha256(list_dir / "sdn.csv")
    assert [Path(f["path"]).name for f in used["files"]] == ["sdn.csv", "alt.csv", "add.csv"]
