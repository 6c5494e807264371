"""docs/checks.md documents every duty measure with its citation, in step with measures.csv."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.duty.coverage import measures_markdown
from parcelaudit.duty.tables import load_tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_every_measure_is_documented_with_its_citation():
    text = DOC.read_text(encoding="utf-8")
    for m in load_tables().measures:
        row = next((line for line in text.splitlines() if line.startswith(f"| {m.measure_id} |")), None)
        assert row is not None, f"docs/checks.md lacks measure {m.measure_id}"
        assert m.citation in row and f"| {m.status} |" in row, m.measure_id
    for fee in {f.fee for f in load_tables().fees}:
        assert fee in text


def test_the_docs_table_is_the_generated_one():
    # regenerate with: measures_markdown() from parcelaudit.duty.coverage (list measures included)
    lines = DOC.read_text(encoding="utf-8").splitlines()
    for row in measures_markdown():
        assert row in lines, row
