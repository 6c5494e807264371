"""User text is data on every renderer: chart labels, rich console output, the terminal and CSV cells."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from parcelaudit.csv_safety import neutralise, write_column_batches, write_rows
from parcelaudit.pipeline import run_check
from parcelaudit.reports.check_outputs import write_outputs
from parcelaudit.store import Store
from parcelaudit.text_safety import csv_text, mpl_text, rich_text, terminal_text
from tests.rules.builders import orders_for, parcels
from tests.rules.store_support import store_file
from tests.support import cli

ESC = "\x1b"
ANSI_NAME = f"{ESC}[31mRed Seller{ESC}[0m{ESC}]0;owned{chr(7)}"
HOSTILE_NAMES = [
    "$$$ Cheap Store $$$",
    "Mr. [bold]Bold[/] [/]",
    ANSI_NAME,
    "$x^2$ \\frac{1}{0} $",
    "a\u202eb",
]


@pytest.fixture
def hostile_store(store_target) -> str:
    """A store whose sellers, consignees and manufacturers carry markup, mathtext and ANSI escapes."""
    specs = []
    for index, name in enumerate(HOSTILE_NAMES):
        specs.append(
            {
                "arrival_date": date(2024, 5, 1),
                "entry_type": "321",  # de minimis claimed above $800: every parcel gets a finding
                "declared_value": 900.0,
                "order_id": f"ORD{ESC}[2J" if index < 2 else f"O{index}",  # DM-SPLIT quotes the order id
                "seller_name": name,
                "consignee_name": name if index % 2 else "Ann Smith",
                "lines": [{"manufacturer_name": name, "description": f"{name} mug"}],
            }
        )
    shipments, lines = parcels(*specs)
    return store_file(store_target, shipments, lines, orders_for(shipments))


def test_escaping_helpers_keep_text_readable_and_inert():
    assert terminal_text(ANSI_NAME) == "\\x1b[31mRed Seller\\x1b[0m\\x1b]0;owned\\x07"
    assert terminal_text("two\nlines\u202e") == "two\\x0alines\\u202e"
    assert rich_text("foo[/]") == "foo\\[/]"
    assert mpl_text("$$$ Cheap Store $$$") == r"\$\$\$ Cheap Store \$\$\$"
    assert csv_text("tab\tand\nnewline kept, bell \x07 shown") == "tab\tand\nnewline kept, bell \\x07 shown"
    assert neutralise(f"={ESC}x") == "'=\\x1bx"


def test_hostile_names_render_in_every_check_output(hostile_store, tmp_path):
    with Store.open(hostile_store) as store:
        result = run_check(store, screening=False)
        paths = write_outputs(result, tmp_path / "out", store=store)
    names = {p.name for p in paths}
    assert {"findings.csv", "decisions.csv", "report.html", "report.pdf", "manifest.json"} <= names
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "$$$ Cheap Store $$$" in html  # the table keeps the name as written (Jinja escapes HTML)
    assert "[bold]Bold[/]" in html
    findings = (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8")
    assert "order ORD\\x1b[2J split" in findings
    for path in tmp_path.joinpath("out").glob("*.csv"):
        assert ESC not in path.read_text(encoding="utf-8")


def test_no_escape_byte_reaches_a_csv_cell(tmp_path):
    path = tmp_path / "cells.csv"
    write_rows(path, ["name", f"head{ESC}[2J"], [[ANSI_NAME, 1]])
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["name", "head\\x1b[2J"], [terminal_text(ANSI_NAME), "1"]]


# One awkward cell each, in a column of clean strings: the column writer's whole-column checks must find it.
AWKWARD_CELLS = [
    "=1+2",
    "+1",
    "-x",
    "-3.5",
    "@sum",
    "\tx",
    "\rx",
    ANSI_NAME,
    "a,b",
    'say "hi"',
    "x\ny",
    "",
    "中文 (xīnjiāng)",
    1,
    2.5,
    1e-7,
    float("nan"),
    None,
    True,
    False,
    "'quoted",
]


@pytest.mark.parametrize("cell", AWKWARD_CELLS, ids=repr)
@pytest.mark.parametrize("width", [1, 3])
def test_a_csv_written_by_columns_is_byte_for_byte_the_one_written_by_rows(tmp_path, cell, width):
    rows = [[f"clean {i}-{j}" for j in range(width)] for i in range(5)]
    rows[3][width - 1] = cell
    header = [f"c{j}" for j in range(width)]
    write_rows(tmp_path / "rows.csv", header, rows)
    columns = [list(column) for column in zip(*rows, strict=True)]
    batches = [[column[:2] for column in columns], [column[2:] for column in columns]]
    assert write_column_batches(tmp_path / "columns.csv", header, batches) == 5
    assert (tmp_path / "columns.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()


def test_check_and_explain_print_hostile_names_as_data(hostile_store, tmp_path):
    checked = cli("check", "--db", hostile_store, "--out", "out", "--no-screening", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    for shipment_id in ("S1", "S2", "S3"):
        explained = cli("explain", shipment_id, "--db", hostile_store, cwd=tmp_path)
        assert explained.returncode == 0, explained.stderr
        assert ESC not in explained.stdout
    assert "$$$ Cheap Store $$$" in cli("explain", "S1", "--db", hostile_store, cwd=tmp_path).stdout
    assert "[bold]Bold[/]" in cli("explain", "S2", "--db", hostile_store, cwd=tmp_path).stdout


def test_markup_in_a_header_or_an_argument_is_a_one_line_error(store_target, tmp_path):
    (tmp_path / "h.csv").write_text("foo[/],bar\n1,2\n", encoding="utf-8")
    result = cli("ingest", "h.csv", "--db", store_target, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "foo[/]" in result.stderr
    missing = cli("ingest", f"no[/]such{ESC}[2J.csv", "--db", store_target, cwd=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert ESC not in missing.stderr and "no[/]such" in missing.stderr


def test_hostile_importer_names_print_as_data_in_audit_listings(hostile_store, tmp_path):
    # `audit importers` prints seller names in a rich table: markup stays text, escapes become visible.
    result = cli("audit", "importers", "--db", hostile_store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ESC not in result.stdout and "\\x1b[31mRed Seller" in result.stdout
    assert "[bold]Bold[/]" in result.stdout  # shown as typed, not applied as style
