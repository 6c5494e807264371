"""Docs cannot drift: every audit command and every public statistics function appears in docs/audit.md."""

from __future__ import annotations

from pathlib import Path

import parcelaudit.audit as audit
from parcelaudit.commands.audit import audit_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_every_command_and_function_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for command in audit_app.registered_commands:
        assert f"`{command.name}`" in text, command.name
    for name in audit.__all__:
        assert f"`{name}(" in text, name
