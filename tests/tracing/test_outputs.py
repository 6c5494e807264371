"""Outputs: the CLI, verdict.json, the dossier PDF (page 1 rendered to an image), demo and the parcel link."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pypdfium2 as pdfium
from typer.testing import CliRunner

from parcelaudit.cli import app
from parcelaudit.reports.trace_outputs import trace_example
from parcelaudit.store import Store
from parcelaudit.store.traces import read_trace_verdicts, save_trace_verdict
from parcelaudit.tracing.link import load_verdicts, verdicts_for_skus
from tests.tracing.chains import PRODUCT_GTIN, write_chain

runner = CliRunner()


def _page_ink(pdf_path) -> float:
    """Share of page 1's pixels that are not white."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    pixels = np.asarray(pdf[0].render(scale=0.6).to_pil().convert("L"))
    return float((pixels < 200).mean())


def test_cli_trace_writes_verdict_and_a_dossier_that_renders(store_target, tmp_path):
    paths = write_chain(tmp_path / "in", "xinjiang_gin")
    out = tmp_path / "out"
    db = store_target
    result = runner.invoke(
        app,
        [
            "trace",
            str(paths["epcis.json"]),
            str(paths["documents.csv"]),
            "--facilities",
            str(paths["facilities.csv"]),
            "--product",
            PRODUCT_GTIN,
            "--out",
            str(out),
            "--sku",
            "TS-RED-M",
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "EXPOSED" in result.output
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["verdict"] == "exposed" and verdict["reasons"][0]["code"] == "XINJIANG-FACILITY"
    html = (out / "dossier.html").read_text()
    for section in (
        "Verdict",
        "Supply-chain map",
        "Summary tracing report",
        "Gaps checklist",
        "Evidence index",
    ):
        assert section in html
    assert "data:image/png;base64," in html
    assert _page_ink(out / "dossier.pdf") > 0.01
    with Store.open(db) as store:
        assert store.read_table("trace_verdicts").to_pylist()[0]["sku"] == "TS-RED-M"


def test_cli_rejects_an_invalid_epcis_file_in_one_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "@context": [],
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2025-01-01T00:00:00Z",
                "epcisBody": {
                    "eventList": [
                        {
                            "type": "ObjectEvent",
                            "eventTime": "2025-01-01T00:00:00Z",
                            "eventTimeZoneOffset": "+00:00",
                            "action": "ADD",
                            "epcList": ["urn:x:1"],
                            "bizStep": "weaving",
                        }
                    ]
                },
            }
        )
    )
    result = runner.invoke(app, ["trace-validate", str(path), "--no-schema"])
    assert result.exit_code == 1
    assert "bizStep" in result.output and "event 1" in result.output


def test_csv_templates_worked_example_traces_clear(tmp_path):
    assert runner.invoke(app, ["trace-templates", str(tmp_path)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "trace",
            str(tmp_path / "flows.csv"),
            str(tmp_path / "documents.csv"),
            "--facilities",
            str(tmp_path / "facilities.csv"),
            "--product",
            "POLO-PIMA",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "verdict.json").read_text())["verdict"] == "clear"


def test_csv_errors_name_file_row_and_field(tmp_path):
    runner.invoke(app, ["trace-templates", str(tmp_path)])
    flows = tmp_path / "flows.csv"
    flows.write_text(
        flows.read_text().replace(
            "SEEDCOTTON#SC25=6000 KGM,seed_cotton", "SEEDCOTTON#SC25=lots KGM,seed_cotton", 1
        )
    )
    result = runner.invoke(app, ["trace", str(flows), "--product", "POLO-PIMA", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    error = result.exception
    assert error.file == str(flows) and error.row == 2 and error.field == "lots_out"


def test_demo_writes_verdict_and_dossier(tmp_path):
    written = trace_example(tmp_path)[1]
    assert [p.name for p in written] == ["verdict.json", "dossier.html", "dossier.pdf"]
    assert json.loads(written[0].read_text())["verdict"] == "clear"
    assert _page_ink(written[2]) > 0.01


def test_lines_carry_the_verdict_of_their_sku(store_target, tmp_path, traced):
    with Store.open(store_target) as store:
        save_trace_verdict(store, {**traced["xinjiang_gin"].verdict_json(), "skus": ["TS-1"]})
        save_trace_verdict(store, {**traced["clean"].verdict_json(), "product": "OTHER", "skus": ["TS-2"]})
        lines = pa.table(
            {"shipment_id": ["S1", "S1", "S2"], "line_no": [1, 2, 1], "sku": ["TS-1", "TS-2", "NONE"]}
        )
        linked = verdicts_for_skus(lines, read_trace_verdicts(store)).to_pylist()
    assert [row["trace_verdict"] for row in linked] == ["exposed", "clear", None]
    assert "XINJIANG-FACILITY" in linked[0]["trace_reasons"]
    folder = tmp_path / "traces" / "a"
    traced["clean"].write_verdict(folder / "verdict.json")
    assert load_verdicts(tmp_path / "traces")[PRODUCT_GTIN]["verdict"] == "clear"


def test_every_trace_command_is_documented():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "tracing.md").read_text(encoding="utf-8")
    names = [c.name for c in app.registered_commands if c.name and c.name.startswith("trace")]
    assert len(names) == 4
    for name in names:
        assert f"parcelaudit {name}" in docs, name
