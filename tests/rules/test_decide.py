"""Decisions from findings under the severity policy TOML."""

from __future__ import annotations

import pyarrow as pa
import pytest

from parcelaudit.decide import decide, load_severity_policy
from parcelaudit.errors import ReferenceDataError
from parcelaudit.rules.context import FINDING_SCHEMA


def _findings(*rows):
    keys = FINDING_SCHEMA.names
    return pa.Table.from_pylist(
        [dict(zip(keys, (s, None, r, v, "m", "c", "{}"), strict=True)) for s, r, v in rows],
        schema=FINDING_SCHEMA,
    )


def test_most_severe_finding_decides_and_reasons_list_rule_ids():
    policy = load_severity_policy()
    findings = _findings(
        ("A", "HTS-DESC", "chapter"),
        ("A", "DM-VALUE", "general"),
        ("B", "HTS-DESC", "chapter"),
        ("C", "DATA-MISSING", "proposed"),
        ("D", "FL-SECTOR", "unknown-manufacturer"),
        ("E", "FL-SECTOR", "china"),
    )
    ids = pa.array(["A", "B", "C", "D", "E", "F"])
    rated, decisions = decide(ids, findings, None, policy)
    got = {r["shipment_id"]: (r["decision"], r["reasons"]) for r in decisions.to_pylist()}
    assert got == {
        "A": ("hold", "DM-VALUE;HTS-DESC"),
        "B": ("review", "HTS-DESC"),
        "C": ("release", "DATA-MISSING"),
        "D": ("hold", "FL-SECTOR"),
        "E": ("review", "FL-SECTOR"),
        "F": ("release", ""),
    }
    assert (
        dict(zip(rated["variant"].to_pylist(), rated["severity"].to_pylist(), strict=True))["proposed"]
        == "low"
    )


def test_a_user_policy_changes_decisions(tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text(
        '[decision]\nhold = ["critical", "high", "medium"]\nreview = ["low"]\n'
        '[severity]\n"HTS-DESC" = "medium"\n',
        encoding="utf-8",
    )
    _, decisions = decide(
        pa.array(["B"]), _findings(("B", "HTS-DESC", "chapter")), None, load_severity_policy(path)
    )
    assert decisions["decision"].to_pylist() == ["hold"]


def test_bad_policy_files_say_what_to_fix(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[severity]\n"DM-VALUE" = "severe"\n', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="severe"):
        load_severity_policy(path)
    with pytest.raises(ReferenceDataError, match="not found"):
        load_severity_policy(tmp_path / "missing.toml")
