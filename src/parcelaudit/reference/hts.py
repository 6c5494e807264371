"""The US tariff schedule (HTS): the full USITC tariff database when available, else a small bundled subset.

Where the full schedule comes from, in order: an explicit file, ../shared/data/hts, the cached official
download (`parcelaudit reference update`), and only then the bundled subset. A code missing from the
bundled subset is "unverified", never "invalid" (DOMAIN.md section 7): only the full schedule can say a
code does not exist. 10-digit statistical suffixes are not in the file; they are checked for form only.
"""

from __future__ import annotations

import csv
import io
import os
import re
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import ReferenceDataError
from parcelaudit.paths import BUNDLED_DATA, shared_data_dir, user_data_dir

BUNDLED_SUBSET = BUNDLED_DATA / "hts" / "hts_subset_2025.csv"
# The USITC annual tariff database (zip of one CSV); override with --url or PARCELAUDIT_HTS_URL.
DEFAULT_HTS_URL = "https://www.usitc.gov/tariff_affairs/documents/tariff_data/tariff_database_2025.zip"
SOURCE_NAME = "USITC Harmonized Tariff Schedule tariff database 2025"
# mfn_rate_type_code values whose mfn_ad_val_rate is the whole duty (0 = free, 7 = ad valorem only).
_PURE_AD_VALOREM = {"0", "7"}
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class HtsLine:
    """One 8-digit tariff line: description, MFN general ad valorem rate, and whether that rate is the whole duty."""

    hts8: str
    description: str
    mfn_ad_valorem: float
    rate_text: str
    verified: bool
    begin: date | None = None  # when this line's current text and rate took effect (begin_effect_date)
    special_text: str = ""  # column 1 special, e.g. "Free (AU,BH,...,S,SG)"
    column2_text: str = ""  # column 2 (countries without normal trade relations), e.g. "90%"


# When the US schedule took up each revision of the Harmonized System. Within one revision the 6-digit
# subheadings are the same in every annual edition (countries change only their 8- and 10-digit lines), so an
# edition can tell an unknown subheading on any date of its revision, not only in its own year.
HS_REVISIONS = (
    date(
        2022, 1, 27
    ),  # HS 2022: Proclamation 10326, 86 FR 73593 (published 2021-12-28, in force 30 days later)
    date(2027, 1, 1),  # HS 2027: the WCO's date of entry into force; the US date is unverified
)


@dataclass(frozen=True)
class HtsSchedule:
    """A loaded tariff schedule and whether it is the complete one (only then can a code be called invalid)."""

    lines: dict[str, HtsLine]
    complete: bool
    source: str
    year: int | None = None  # the annual edition the file belongs to, if known

    def covers(self, on: date | None) -> bool:
        """Whether this schedule is the edition in force on a date (no date: yes)."""
        return on is None or self.year is None or on.year == self.year

    def revision_span(self) -> tuple[date, date] | None:
        """[first, last] day of the Harmonized System revision this edition belongs to (HS_REVISIONS), or None
        when the edition's year or its revision is not known."""
        if self.year is None:
            return None
        middle = date(self.year, 7, 1)
        for start, end in pairwise(HS_REVISIONS):
            if start <= middle < end:
                return start, date.fromordinal(end.toordinal() - 1)
        return None

    def same_revision(self, on: date | None) -> bool:
        """Whether on falls in this edition's Harmonized System revision (no date, or the edition in force: yes)."""
        if self.covers(on):
            return True
        span = self.revision_span()
        return span is not None and span[0] <= on <= span[1]

    def status(self, code: str | None, on: date | None = None) -> str:
        """Classify a code on a date: missing, malformed, valid, invalid or unverified.

        Invalid only against the complete edition in force on that date, or, on another date of the same
        Harmonized System revision, when its 6-digit subheading is unknown; against another year's edition a
        code is otherwise valid when its line had already begun on that date, else unverified (codes change
        between editions: 8541.40 of HS 2017 is not in the 2025 edition but was valid in 2021).
        """
        if code is None or not code.strip():
            return "missing"
        code = normalise_hts(code)
        if not _DIGITS.match(code) or len(code) not in (6, 8, 10):
            return "malformed"
        line = self.lookup(code)
        if self.covers(on):
            if line is not None or (len(code) == 6 and code in self.headings6):
                return "valid"
            return "invalid" if self.complete else "unverified"
        if line is not None and on is not None and line.begin is not None and line.begin <= on:
            return "valid"
        if self.complete and self.same_revision(on) and code[:6] not in self.headings6:
            return "invalid"  # no edition of this revision has the subheading
        return "unverified"

    def lookup(self, code: str) -> HtsLine | None:
        """The 8-digit line a 8- or 10-digit code falls under, if the schedule has it."""
        return self.lines.get(normalise_hts(code)[:8]) if len(normalise_hts(code)) >= 8 else None

    @cached_property
    def headings6(self) -> frozenset[str]:
        """Every 6-digit subheading with at least one 8-digit line."""
        return frozenset(code[:6] for code in self.lines)

    def to_arrow(self) -> pa.Table:
        """The schedule as an Arrow table (hts8, description, mfn_ad_valorem, rate_text, verified, begin) for joins."""
        rows = list(self.lines.values())
        return pa.table(
            {
                "hts8": [r.hts8 for r in rows],
                "description": [r.description for r in rows],
                "mfn_ad_valorem": pa.array([r.mfn_ad_valorem for r in rows], pa.float64()),
                "rate_text": [r.rate_text for r in rows],
                "verified": pa.array([r.verified for r in rows], pa.bool_()),
                "begin": pa.array([r.begin for r in rows], pa.date32()),
            }
        )


# What separates the digits of a written HTS code (4202.92.3131, 4202 92 3131, 4202-92-3131); the same
# pattern serves Python's re and Arrow's RE2.
HTS_SEPARATORS = r"[\t\n\v\f\r .\-]"


def normalise_hts(code: str) -> str:
    """An HTS code as digits: dots, spaces and dashes removed (the one normaliser; see normalise_hts_column)."""
    return re.sub(HTS_SEPARATORS, "", code)


def normalise_hts_column(codes: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """normalise_hts over an Arrow column, vectorised; a code that is blank once normalised becomes null."""
    digits = pc.replace_substring_regex(codes, HTS_SEPARATORS, "")
    return pc.if_else(pc.equal(digits, ""), pa.scalar(None, pa.string()), digits)


def _parse_date(text: str) -> date | None:
    text = (text or "").strip()
    for fmt in ("%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_usitc_csv(text: str, source: str, complete: bool) -> HtsSchedule:
    """Parse the USITC tariff database CSV layout (hts8, brief_description, mfn_* columns)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    needed = {"hts8", "brief_description", "mfn_text_rate", "mfn_rate_type_code", "mfn_ad_val_rate"}
    if reader.fieldnames is None or not needed <= set(reader.fieldnames):
        raise ReferenceDataError(
            f"not a USITC tariff database file: needs columns {sorted(needed)}",
            file=source,
            hint="pass the tariff_database_YYYY CSV from USITC, or run `parcelaudit reference update`",
        )
    lines: dict[str, HtsLine] = {}
    begins: dict[str, date] = {}
    for number, row in enumerate(reader, start=2):
        code = normalise_hts(row["hts8"] or "")
        if not code:
            continue
        if not _DIGITS.match(code) or len(code) != 8:
            raise ReferenceDataError(f"hts8 {code!r} is not 8 digits", file=source, row=number, field="hts8")
        try:
            rate = float(row["mfn_ad_val_rate"] or 0.0)
        except ValueError:
            rate = 0.0
        kind = (row["mfn_rate_type_code"] or "").strip()
        text_rate = (row["mfn_text_rate"] or "").strip()
        verified = kind in _PURE_AD_VALOREM or text_rate.lower() == "free"
        if rate > 100 or (not verified and rate == 0.0):
            rate = 0.0  # 9999.99 and specific-only rates: no ad valorem figure; flagged unverified
        begin = _parse_date(row.get("begin_effect_date", "")) or date.min
        # The file may hold superseded lines for one code; keep the most recent.
        if code in begins and begins[code] > begin:
            continue
        begins[code] = begin
        lines[code] = HtsLine(
            code,
            (row["brief_description"] or "").strip(),
            rate,
            text_rate,
            verified,
            begin if begin != date.min else None,
            (row.get("col1_special_text") or "").strip(),
            (row.get("col2_text_rate") or "").strip(),
        )
    if not lines:
        raise ReferenceDataError("the tariff file has no lines", file=source)
    return HtsSchedule(lines=lines, complete=complete, source=source, year=edition_year(source))


def edition_year(source: str) -> int | None:
    """The edition year named in a tariff file's name (tariff_database_2025..., hts_subset_2025.csv)."""
    found = re.search(r"(?:tariff_database|hts_subset)_((?:19|20)\d\d)", Path(source).name)
    return int(found.group(1)) if found else None


def cached_hts_path() -> Path:
    """Where `parcelaudit reference update` stores the official download."""
    return user_data_dir() / "hts" / "tariff_database.csv"


def find_full_schedule() -> Path | None:
    """The full USITC file: PARCELAUDIT_HTS_FILE, ../shared/data/hts, or the cached download."""
    env = os.environ.get("PARCELAUDIT_HTS_FILE")
    if env:
        return Path(env)
    shared = shared_data_dir()
    if shared is not None:
        found = sorted((shared / "hts").glob("tariff_database_*.csv"))
        if found:
            return found[-1]
    cached = cached_hts_path()
    return cached if cached.exists() else None


@lru_cache(maxsize=4)
def load_hts(path: str | None = None) -> HtsSchedule:
    """Load the full schedule if one is found (or given), else the bundled subset (complete=False)."""
    full = Path(path) if path else find_full_schedule()
    if full is not None:
        if not full.exists():
            raise ReferenceDataError(
                "tariff file not found",
                file=str(full),
                hint="check PARCELAUDIT_HTS_FILE or run `parcelaudit reference update`",
            )
        return parse_usitc_csv(full.read_text(encoding="utf-8-sig"), str(full), complete=True)
    return parse_usitc_csv(BUNDLED_SUBSET.read_text(encoding="utf-8"), str(BUNDLED_SUBSET), complete=False)


def editions_dir() -> Path:
    """Where `parcelaudit reference add-edition` keeps official annual editions (tariff_database_YYYY.csv)."""
    return user_data_dir() / "hts" / "editions"


def add_edition(path: str | Path, year: int | None = None) -> tuple[int, Path, int]:
    """Check an official USITC annual tariff database file (CSV, or the zip USITC publishes) and keep it as
    the edition of its year, so dates of that year are judged and rated against it: (year, kept path, lines).

    The year comes from `year` or the file's name (tariff_database_YYYY...); the file must parse as a USITC
    tariff database. Editions kept this way are complete schedules (an unknown code of that year is invalid)."""
    source = Path(path)
    if not source.is_file():
        raise ReferenceDataError(
            "edition file not found", file=str(source), hint="give the tariff_database_YYYY file from USITC"
        )
    payload = source.read_bytes()
    if payload[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith((".csv", ".txt"))]
            if not names:
                raise ReferenceDataError("the zip has no CSV file", file=str(source))
            payload = archive.read(names[0])
    found = year or edition_year(source.name)
    if found is None or not 1989 <= found <= 2100:
        raise ReferenceDataError(
            "the edition year is not known",
            file=str(source),
            hint="name the file tariff_database_YYYY.csv or pass --year YYYY",
        )
    text = payload.decode("utf-8-sig", errors="replace")
    schedule = parse_usitc_csv(text, str(source), complete=True)  # refuse what we cannot read
    dest = editions_dir() / f"tariff_database_{found}.csv"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    load_hts.cache_clear()
    load_editions.cache_clear()
    return found, dest, len(schedule.lines)


@lru_cache(maxsize=1)
def load_editions() -> dict[int, HtsSchedule]:
    """Every annual edition available, by year: full files in ../shared/data/hts (or the cache, or
    PARCELAUDIT_HTS_FILE), the editions added with `parcelaudit reference add-edition`, then bundled subsets
    (hts_subset_YYYY.csv) for years with no full file."""
    editions: dict[int, HtsSchedule] = {}
    paths: list[Path] = []
    shared = shared_data_dir()
    if os.environ.get("PARCELAUDIT_HTS_FILE"):
        paths.append(Path(os.environ["PARCELAUDIT_HTS_FILE"]))
    elif shared is not None:
        paths += sorted((shared / "hts").glob("tariff_database_*.csv"))
    if not paths and cached_hts_path().exists():
        paths.append(cached_hts_path())
    if editions_dir().is_dir():
        paths += sorted(editions_dir().glob("tariff_database_*.csv"))
    for path in paths:
        schedule = load_hts(str(path))
        year = schedule.year or 2025  # the official download carries no year in its cached name
        if year in editions:
            continue  # ../shared/data or PARCELAUDIT_HTS_FILE first, then added editions
        editions[year] = (
            schedule if schedule.year else HtsSchedule(schedule.lines, True, schedule.source, year)
        )
    for subset in sorted(BUNDLED_SUBSET.parent.glob("hts_subset_*.csv")):
        schedule = parse_usitc_csv(subset.read_text(encoding="utf-8"), str(subset), complete=False)
        if schedule.year is not None and schedule.year not in editions:
            editions[schedule.year] = schedule
    return editions


def schedule_on(on: date) -> tuple[HtsSchedule, bool]:
    """The schedule to judge a date by and whether it is that date's own edition (else the nearest one)."""
    editions = load_editions()
    if on.year in editions:
        return editions[on.year], True
    nearest = min(editions, key=lambda year: (abs(year - on.year), -year))
    return editions[nearest], False


def download_hts(url: str | None = None, dest: Path | None = None, timeout: float = 60.0) -> Path:
    """Download the official USITC tariff database (zip or CSV), check its shape, cache it; return the path."""
    url = url or os.environ.get("PARCELAUDIT_HTS_URL") or DEFAULT_HTS_URL
    dest = Path(dest) if dest else cached_hts_path()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "parcelaudit"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ReferenceDataError(
            f"cannot download the tariff database: {error}",
            file=url,
            hint="check the network, pass --url with the current USITC file, or set PARCELAUDIT_HTS_FILE",
        ) from error
    if payload[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise ReferenceDataError("the downloaded zip has no CSV file", file=url)
            payload = archive.read(names[0])
    text = payload.decode("utf-8-sig", errors="replace")
    parse_usitc_csv(text, url, complete=True)  # refuse to cache something we cannot read
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    load_hts.cache_clear()
    return dest
