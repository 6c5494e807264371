"""The duty and fee API: one source of truth for checks, explain, audit and reports.

`quote(hts, origin, on, value, mode=..., quantity=..., preference=..., entry_type=...)` returns a `Quote`
with `.rate`, `.amount`, `.fees` and `.components` (each with its measure, rate, amount, citation and
status: verified / unverified / refundable); its fees are those of a one-line entry.
`quote_entry(lines, on, mode=..., entry_type=...)` prices an entry of several lines: each line's duty and the
fees once per entry (19 CFR 24.23: formal MPF with one minimum and maximum per entry). `coverage_summary()` and `coverage_rows()` say what the
tables cover. The tables are data (duty/data/*.csv), each row with its primary source.
"""

from parcelaudit.duty.coverage import coverage_rows, coverage_summary
from parcelaudit.duty.entry import EntryQuote, quote_entry
from parcelaudit.duty.fees import FeeCharge
from parcelaudit.duty.quote import MODES, Component, Quote, quote

__all__ = [
    "MODES",
    "Component",
    "EntryQuote",
    "FeeCharge",
    "Quote",
    "coverage_rows",
    "coverage_summary",
    "quote",
    "quote_entry",
]
