"""Fuzz every reader with hypothesis strategies: the property is "a one-line ParcelAuditError or rejected
rows, never another exception, memory under MEMORY_BOUND_MIB".

Inputs are seed files (ours and, when ../shared/data is present, real public ones) mutated by
hypothesis: bytes inserted, replaced, deleted, duplicated or cut, with tokens that broke readers
before (byte-order marks, giant fields, deep nesting, invalid UTF-8, quotes, DOCTYPEs). Spreadsheets
are fuzzed inside a valid ZIP (their sheet XML mutated), Parquet as random typed Arrow tables.

`python -m tests.fuzz.harness --seconds 60` (what `make fuzz` runs) prints, per reader, the inputs
tried and the tracebacks found, writes each traceback's input to fuzz-findings/, and exits 1 if any
reader raised something other than ParcelAuditError or memory passed the bound. Readers of other
areas (tracing, reference lists, origin, audit) are called through their public read functions as
they are.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcelaudit.errors import ParcelAuditError

MEMORY_BOUND_MIB = 1536  # peak resident memory of the whole fuzz process
MAX_INPUT_BYTES = 2 << 20
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

TOKENS = [
    b"\xef\xbb\xbf",
    b"\xef\xbb\xbf\xef\xbb\xbf",
    b'"',
    b'""',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"{" * 1200,
    b"[" * 1200,
    b"[" * 100_000,
    b'{"a":' * 20_000,
    b'{"a":' * 600,
    b"x" * 200_000,
    b"9" * 5000,
    b"1e999",
    b"-0",
    b"NaN",
    b"-1",
    b"99/99/9999",
    b"2025-02-30",
    b"03/04/2025",
    b"=HYPERLINK(1)",
    b"[/]",
    b"$$$ Cheap Store $$$",
    b"\x1b[31m",
    b"<!DOCTYPE x [<!ENTITY a 'a'>]>",
    b"&a;",
    b"<",
    b"</",
    "Zoë 王".encode(),
    b"null",
    b"true",
    b'"\\ud800"',
]


@dataclass
class Reader:
    """One reader under fuzzing: a name, the file suffix it expects, seeds, and how to call it."""

    name: str
    suffix: str
    seeds: list[bytes]
    call: Callable[[Path], object]
    strategy: st.SearchStrategy[bytes] | None = None
    tried: int = 0
    errors: int = 0
    tracebacks: list[tuple[str, bytes]] = field(default_factory=list)


def _apply(seed: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
    data = bytearray(seed)
    for op, where, length, token in edits:
        at = where % (len(data) + 1)
        if op == 0:
            data[at:at] = token
        elif op == 1:
            data[at : at + len(token)] = token
        elif op == 2:
            del data[at : at + length]
        elif op == 3:
            data[at:at] = data[at : at + length] * 3
        else:
            del data[at:]
    return bytes(data[:MAX_INPUT_BYTES])


def mutated(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Seeds changed by up to 6 edits: insert, overwrite, delete, repeat or cut, with risky tokens."""
    token = st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16))
    edit = st.tuples(st.integers(0, 4), st.integers(0, 1 << 22), st.integers(1, 4096), token)
    return st.one_of(
        st.tuples(st.sampled_from(seeds), st.lists(edit, max_size=6)).map(lambda pair: _apply(*pair)),
        st.binary(max_size=512),
    )


def _zip_with(source: bytes, member: str, replacement: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, replacement if item.filename == member else old.read(item))
    return out.getvalue()


def xlsx_inputs(workbooks: list[bytes]) -> st.SearchStrategy[bytes]:
    """Valid workbooks whose first sheet's XML (or shared strings) is mutated, and mutated ZIP bytes."""

    def build(pair: tuple[bytes, str, list]) -> bytes:
        book, member, edits = pair
        with zipfile.ZipFile(io.BytesIO(book)) as archive:
            names = archive.namelist()
            if member not in names:
                return book
            xml = archive.read(member)
        return _zip_with(book, member, _apply(xml, edits))

    token = st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16))
    edit = st.tuples(st.integers(0, 4), st.integers(0, 1 << 16), st.integers(1, 512), token)
    members = st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"])
    return st.one_of(
        st.tuples(st.sampled_from(workbooks), members, st.lists(edit, max_size=4)).map(build),
        mutated(workbooks),
    )


_TYPES = [pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.binary(), pa.date32(), pa.timestamp("ms")]


def parquet_inputs(header: list[str]) -> st.SearchStrategy[bytes]:
    """Random typed tables (strings, numbers, lists, structs, binary, nulls) under manifest column names."""
    value = st.one_of(
        st.none(),
        st.text(max_size=30),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=True),
        st.binary(max_size=20),
    )

    def column(kind: int, values: list) -> pa.Array:
        if kind == 0:
            return pa.array([None if v is None else str(v) for v in values], pa.string())
        if kind == 1:
            return pa.array([[str(v)] if v is not None else None for v in values], pa.list_(pa.string()))
        if kind == 2:
            return pa.array([{"a": str(v)} for v in values], pa.struct([("a", pa.string())]))
        if kind == 3:
            return pa.array([v if isinstance(v, float) else None for v in values], pa.float64())
        if kind == 4:
            return pa.array([v if isinstance(v, bytes) else None for v in values], pa.binary())
        return pa.array([v if isinstance(v, int) else None for v in values], pa.int64())

    def build(spec: tuple[list[tuple[str, int]], list[list]]) -> bytes:
        columns, rows = spec
        names = list(dict.fromkeys(name for name, _ in columns)) or ["shipment_id"]
        kinds = dict(columns)
        table = pa.table(
            {
                n: column(kinds.get(n, 0), [r[i % len(r)] if r else None for r in rows])
                for i, n in enumerate(names)
            }
        )
        out = io.BytesIO()
        pq.write_table(table, out)
        return out.getvalue()

    names = st.one_of(st.sampled_from(header), st.text(min_size=0, max_size=12))
    columns = st.lists(st.tuples(names, st.integers(0, 5)), min_size=1, max_size=10)
    rows = st.lists(st.lists(value, min_size=1, max_size=10), min_size=0, max_size=20)
    built = st.tuples(columns, rows).map(build)
    return st.one_of(built, built.flatmap(lambda b: mutated([b])))


# --- seeds ---------------------------------------------------------------------------------------

MANIFEST_HEADER = (
    "shipment_id,entry_type,arrival_date,country_of_shipment,declared_value,currency,consignee_name,"
    "line_no,description,hts_code,quantity,value,country_of_origin"
)
MANIFEST_ROWS = [
    "P1,11,2025-09-02,CN,25.50,USD,Ann Lee,1,cotton t-shirt,6109.10.0012,2,25.50,CN",
    "P2,321,2025-09-03,VN,812.00,USD,Bo Chan,1,laptop bag,4202.92.3131,1,812.00,VN",
    'P3,T86,03/08/2025,HK,"1,200.00",EUR,"Ortega, Luis",2,"glass ""wine"" set",7013.28,6,"1,200.00",CN',
]


def manifest_csv() -> bytes:
    """A small flat manifest as CSV."""
    return ("\n".join([MANIFEST_HEADER, *MANIFEST_ROWS]) + "\n").encode()


def manifest_jsonl() -> bytes:
    """The same manifest as JSON Lines, one with a nested value."""
    import csv

    records = list(csv.DictReader(io.StringIO(manifest_csv().decode())))
    records[0]["dims"] = {"l": [1, 2, {"m": None}]}
    return ("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n").encode()


def manifest_xlsx() -> bytes:
    """The same manifest as an Excel workbook with typed cells."""
    import csv
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for index, row in enumerate(csv.reader(io.StringIO(manifest_csv().decode()))):
        if index and row[2][:4].isdigit():
            row[2] = datetime.fromisoformat(row[2])
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _head(path: Path, lines: int = 40) -> bytes | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return b"".join(handle.readline() for _ in range(lines))


def list_seeds() -> list[bytes]:
    """Heads of the real list files when present (CSV), and small hand-written ones in each layout."""
    seeds = [
        b'"Entity Name","Alias","Address","Effective Date"\n"Xinjiang Example Co., Ltd.","XEC","Urumqi","2023-06-09"\n',
        b"ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks\n"
        b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n',
        b'<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>'
        b"<FIRST_NAME>ABDUL</FIRST_NAME><SECOND_NAME>EXAMPLE</SECOND_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>"
        b"<LISTED_ON>2001-01-25</LISTED_ON></INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>\n",
    ]
    for name in (
        "uflpa_entity_list.csv",
        "cbp_wro_findings.csv",
        "csl_subset_2019.csv",
        "ofac_sdn_2024-05-03.csv",
    ):
        head = _head(SHARED / "lists" / name)
        if head:
            seeds.append(head)
    un = SHARED / "lists" / "un_consolidated_2026-02.xml"
    if un.is_file():
        text = un.read_bytes()[:60_000]
        cut = text.rfind(b"</INDIVIDUAL>")
        if cut > 0:
            seeds.append(
                text[: cut + len(b"</INDIVIDUAL>")] + b"</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"
            )
    return seeds


def epcis_seeds() -> list[bytes]:
    """Our bundled EPCIS example and, when present, GS1's published valid examples."""
    root = Path(__file__).resolve().parents[2] / "src" / "parcelaudit" / "tracing" / "examples" / "tshirt"
    seeds = [(root / "epcis.json").read_bytes()] if (root / "epcis.json").is_file() else []
    valid = SHARED / "epcis" / "valid"
    if valid.is_dir():
        seeds.extend(p.read_bytes() for p in sorted(valid.glob("*.json"))[:12])
    return seeds or [b'{"@context": [], "type": "EPCISDocument", "epcisBody": {"eventList": []}}']


def origin_seeds() -> list[bytes]:
    """A lab-result CSV in our columns and, when present, assignR's known-origin table."""
    seeds = [b"sample_id,lat,lon,d2H,d18O,Sr\na,30.1,-87.6,-31.4,12.2,0.7101\nb,31.0,-88.0,-24.6,NA,0.7093\n"]
    head = _head(SHARED / "origin" / "assignR_inputs_Lanius_ludovicianus" / "Ll_known.csv", 20)
    if head:
        seeds.append(head)
    return seeds


def results_seeds() -> list[bytes]:
    """An audit results sheet as CSV."""
    return [
        b"item_id,corrected_value,corrected_hts,corrected_origin,duty_free,audited_duty,notes\n"
        b"P1,25.50,6109100012,CN,no,4.25,ok\nP2,,,,yes,0,\n"
    ]


def results_xlsx() -> bytes:
    """The same results sheet as a workbook."""
    import csv

    import openpyxl

    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(results_seeds()[0].decode())):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- readers -----------------------------------------------------------------------------------


def readers(work: Path, target: str | None = None) -> list[Reader]:
    """Every reader under fuzzing, each with its own store or folder under work (the ingest readers' store:
    target when given, e.g. a test's store_target, else a DuckDB file under work per reader)."""
    from parcelaudit.audit.results_sheet import read_results_file
    from parcelaudit.ingest import ingest_file
    from parcelaudit.origin.samples import read_samples
    from parcelaudit.reference.lists import load_list
    from parcelaudit.store import Store
    from parcelaudit.tracing.epcis_import import read_epcis

    stores: dict[str, Store] = {}

    def ingest(name: str) -> Callable[[Path], object]:
        def call(path: Path) -> object:
            if name not in stores:
                stores[name] = Store.open(target or work / f"{name}.duckdb")
            return ingest_file(stores[name], path, rejects_dir=None)

        return call

    header = MANIFEST_HEADER.split(",")
    return [
        Reader("ingest csv", ".csv", [manifest_csv()], ingest("csv")),
        Reader("ingest jsonl", ".jsonl", [manifest_jsonl()], ingest("jsonl")),
        Reader("ingest parquet", ".parquet", [], ingest("parquet"), parquet_inputs(header)),
        Reader("ingest xlsx", ".xlsx", [], ingest("xlsx"), xlsx_inputs([manifest_xlsx()])),
        Reader("tracing epcis", ".json", epcis_seeds(), read_epcis),
        Reader("reference lists", ".csv", list_seeds(), load_list),
        Reader("origin lab csv", ".csv", origin_seeds(), read_samples),
        Reader("audit results csv", ".csv", results_seeds(), read_results_file),
        Reader("audit results xlsx", ".xlsx", [], read_results_file, xlsx_inputs([results_xlsx()])),
    ]


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fuzz_reader(
    reader: Reader, work: Path, seconds: float, max_examples: int = 50, derandomize: bool = False
) -> Reader:
    """Feed the reader generated inputs for about `seconds` (in rounds of max_examples); count them."""
    strategy = reader.strategy if reader.strategy is not None else mutated(reader.seeds)
    stop = time.monotonic() + seconds
    counter = [0]

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(data: bytes) -> None:
        if time.monotonic() > stop:
            return
        counter[0] += 1
        path = work / f"input-{counter[0]}{reader.suffix}"
        if reader.name == "reference lists" and data.lstrip().startswith(b"<"):
            path = path.with_suffix(".xml")
        path.write_bytes(data)
        try:
            reader.call(path)
        except ParcelAuditError as error:
            reader.errors += 1
            if "\n" in str(error):
                reader.tracebacks.append((f"multi-line error: {str(error)[:300]!r}", data))
        except Exception:
            reader.tracebacks.append((traceback.format_exc(limit=6), data))
        finally:
            path.unlink(missing_ok=True)

    while time.monotonic() < stop:
        before = counter[0]
        one()
        if counter[0] == before or derandomize:
            break  # a derandomized run would repeat the same inputs
    reader.tried = counter[0]
    return reader


def distinct_failures(tracebacks: list[tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    """One example (the smallest input) per failure kind: the raising line and the exception type."""
    kinds: dict[str, tuple[str, bytes]] = {}
    for text, data in tracebacks:
        lines = [line.strip() for line in text.strip().splitlines()]
        where = next((line for line in reversed(lines) if line.startswith("File ")), "")
        kind = f"{lines[-1].split(':')[0] if lines else '?'} at {where.replace('File ', '')[-90:]}"
        if kind not in kinds or len(data) < len(kinds[kind][1]):
            kinds[kind] = (text, data)
    return kinds


def main(argv: list[str] | None = None) -> int:
    """Run every reader for its share of --seconds; print a table; exit 1 on any traceback."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="total time over all readers")
    parser.add_argument("--only", default="", help="fuzz only readers whose name contains this")
    parser.add_argument("--findings", type=Path, default=Path("fuzz-findings"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    failed = False
    with tempfile.TemporaryDirectory(prefix="parcelaudit-fuzz-") as tmp:
        chosen = [r for r in readers(Path(tmp)) if args.only in r.name]
        share = args.seconds / max(len(chosen), 1)
        print(f"{'reader':<22}{'inputs':>8}{'one-line errors':>17}{'tracebacks':>12}{'peak MiB':>10}")
        for reader in chosen:
            fuzz_reader(reader, Path(tmp), share)
            print(
                f"{reader.name:<22}{reader.tried:>8,}{reader.errors:>17,}{len(reader.tracebacks):>12,}"
                f"{peak_mib():>10,.0f}",
                flush=True,
            )
            if reader.tracebacks:
                failed = True
                args.findings.mkdir(parents=True, exist_ok=True)
                for index, (kind, (text, data)) in enumerate(distinct_failures(reader.tracebacks).items()):
                    stem = args.findings / f"{reader.name.replace(' ', '-')}-{index}"
                    stem.with_suffix(reader.suffix).write_bytes(data)
                    stem.with_suffix(".txt").write_text(text, encoding="utf-8")
                    print(f"    {kind}  ({stem.with_suffix(reader.suffix)}, {len(data):,} bytes)")
    if peak_mib() > MEMORY_BOUND_MIB:
        print(f"peak memory {peak_mib():,.0f} MiB is over the bound of {MEMORY_BOUND_MIB:,} MiB")
        failed = True
    if failed:
        print(f"tracebacks found: inputs and traces written to {args.findings}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
