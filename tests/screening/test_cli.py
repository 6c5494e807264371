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
    assert set(rows[0]) == {
        "query",
        "list",
        "entry_id",
        "matched_name",
        "score",
        "band",
        "disposition",
        "explanation",
    }
    assert rows[0]["band"] == "hit"


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
    for command in (
        "parcelaudit lists update",
        "parcelaudit lists show",
        "parcelaudit screen",
        "parcelaudit screen-dispose",
    ):
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


def test_hits_csv_carries_a_review_band_of_near_misses(app: typer.Typer, tmp_path: Path) -> None:
    # Issue 13 #5: what almost matched is shown for review, marked apart from the hits.
    out = tmp_path / "hits.csv"
    name = "Hoshine Silicon Ltd"
    result = _run(app, ["screen", "--name", name, "--out", str(out), "--review-band", "0.4"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["band"] for r in rows} == {"review"}
    assert all(0.4 <= float(r["score"]) < 0.8 for r in rows)
    none = tmp_path / "none.csv"
    assert _run(app, ["screen", "--name", name, "--out", str(none), "--review-band", "0"]).exit_code == 0
    assert list(csv.DictReader(none.open())) == []


def test_a_false_positive_is_remembered_until_the_list_entry_changes(
    app: typer.Typer, list_dir: Path, tmp_path: Path
) -> None:
    # Issue 13 #6: a decided false positive stays out of later runs only while its entry is unchanged.
    decisions, out = tmp_path / "dispositions.csv", tmp_path / "hits.csv"
    sdn = list_dir / "sdn.csv"
    args = ["screen", "--name", "Aero Caribbean Airlines", "--list", str(sdn), "--out", str(out)]
    recorded = _run(
        app,
        [
            "screen-dispose",
            "--name",
            "Aero Caribbean Airlines",
            "--list-code",
            "SDN",
            "--entry-id",
            "36",
            "--verdict",
            "false_positive",
            "--reason",
            "a travel agency, not the airline",
            "--who",
            "ana",
            "--dispositions",
            str(decisions),
            "--list",
            str(sdn),
        ],
    )
    assert recorded.exit_code == 0, recorded.output
    assert _run(app, [*args, "--dispositions", str(decisions)]).exit_code == 0
    assert list(csv.DictReader(out.open())) == []
    # The entry changes (a new program): the hit comes back, with the old decision beside it.
    sdn.write_text(sdn.read_text().replace('"CUBA"', '"CUBA] [IRGC"'))
    assert _run(app, [*args, "--dispositions", str(decisions)]).exit_code == 0
    (row,) = list(csv.DictReader(out.open()))
    assert row["entry_id"] == "36" and "false_positive (ana" in row["disposition"]
    assert "changed since" in row["disposition"]


def _fonts_of(pdf_path: Path) -> tuple[set[str], set[str]]:
    """Names of the fonts a PDF draws its Chinese characters and its Latin letters with."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as raw

    chinese, latin = set(), set()
    for page in pypdfium2.PdfDocument(pdf_path):
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        for i, char in enumerate(text[: textpage.count_chars()]):
            buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
            raw.FPDFText_GetFontInfo(textpage, i, buffer, 256, ctypes.byref(flags))
            if "\u4e00" <= char <= "\u9fff":
                chinese.add(buffer.value.decode())
            elif char.isascii() and char.isalpha():
                latin.add(buffer.value.decode())
    return chinese, latin


def test_screening_pdf_prints_chinese_names_with_a_cjk_font(app: typer.Typer, tmp_path: Path) -> None:
    # Issue 13 #5: set-up (.ci/run, README) installs a CJK font; without one the names print as boxes.
    import subprocess

    listing = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    if not listing.strip():
        pytest.skip("no CJK font installed (.ci/run installs fonts-wqy-microhei)")
    names = tmp_path / "names.txt"
    names.write_text("昌吉溢达纺织有限公司\n", encoding="utf-8")
    out, rep = tmp_path / "h.csv", tmp_path / "rep"
    assert (
        _run(app, ["screen", "--names", str(names), "--out", str(out), "--report", str(rep)]).exit_code == 0
    )
    chinese, latin = _fonts_of(rep / "screening_report.pdf")
    assert (
        chinese and not chinese & latin
    )  # drawn with a font of their own, not the Latin one's missing glyphs
