"""User text is data on every renderer: one escaping function per renderer, used by every face.

Names, addresses, headers and arguments come from files we do not control. Stored as received, they are
escaped only where they are rendered:
  terminal_text  control characters (ANSI escapes, C1 codes, bidi overrides) shown as visible escapes
  rich_text      terminal_text + rich markup escaped, for console.print and rich tables
  mpl_text       terminal_text + matplotlib mathtext escaped ('$' starts math), for chart labels
  csv_text       control characters other than tab and newlines shown as escapes (csv_safety.neutralise
                 applies it with the formula guard to every CSV/Excel cell)
HTML needs nothing here: Jinja2 autoescaping is on for every template (reports/render.py).
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls except tab/newline/carriage return, DEL, C1 controls, and the Unicode bidi overrides and
# isolates that reorder what a reader sees (CVE-2021-42574 "Trojan Source").
_CSV_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# On a terminal, newlines and carriage returns in a name would fake lines of output: escape them too.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(value: Any) -> str:
    """Text safe to write to a terminal: control characters become visible escapes such as \\x1b."""
    return _TERMINAL_CONTROLS.sub(_visible, str(value))


def rich_text(value: Any) -> str:
    """Text safe inside a rich markup string or table cell: terminal-safe, '[' escaped so it is never a tag."""
    from rich.markup import escape

    return escape(terminal_text(value))


def mpl_text(value: Any) -> str:
    """Text safe as a matplotlib label: terminal-safe, '$' escaped so it is never read as mathtext."""
    return terminal_text(value).replace("$", r"\$")


def csv_text(value: str) -> str:
    """A CSV cell with control characters (ANSI escapes and the like) shown as escapes; tab and newlines kept."""
    return _CSV_CONTROLS.sub(_visible, value)
