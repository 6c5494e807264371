"""The CSV template set for sellers without EPCIS: facilities.csv, flows.csv and documents.csv.

facilities.csv: facility_id, name, address, country, facility_type, identifiers (key=value;...).
flows.csv:      flow_id, kind (origin | transformation | movement), date, facility_id, from_facility,
                to_facility, lots_in, lots_out, material, received_date. Lots are written
                `LOT=QUANTITY UNIT;...` (e.g. `YARN#Y1=1000 KGM`); write a lot PRODUCT#LOT so that
                `--product PRODUCT` selects all its lots.
documents.csv:  document_id, doc_type, number, date, issuer, lots, flows, file (relative to the CSV;
                its SHA-256 goes into the evidence index).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

from parcelaudit.errors import InputError
from parcelaudit.hashing import file_sha256
from parcelaudit.tracing.model import (
    DOCUMENT_TYPES,
    Chain,
    Document,
    Facility,
    LotQuantity,
    Movement,
    Transformation,
)

FACILITY_COLUMNS = ("facility_id", "name", "address", "country", "facility_type", "identifiers")
FLOW_COLUMNS = (
    "flow_id",
    "kind",
    "date",
    "facility_id",
    "from_facility",
    "to_facility",
    "lots_in",
    "lots_out",
    "material",
    "received_date",
)
DOCUMENT_COLUMNS = ("document_id", "doc_type", "number", "date", "issuer", "lots", "flows", "file")
_LOT = re.compile(r"^\s*(?P<lot>[^=]+?)\s*(?:=\s*(?P<qty>[-+0-9.eE]+)\s*(?P<uom>[A-Za-z0-9]+)?)?\s*$")


def _bad(path: Path | None, row: int | None, field: str, message: str, hint: str | None = None) -> InputError:
    return InputError(message, file=str(path) if path else None, row=row, field=field, hint=hint)


def _rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in required if name not in header]
            if missing:
                raise InputError(
                    f"missing column(s) {', '.join(missing)}",
                    file=str(path),
                    row=1,
                    hint=f"the header must be: {','.join(required + optional)}",
                )
            return [
                (number, {k.strip(): (v or "").strip() for k, v in row.items() if k})
                for number, row in enumerate(reader, start=2)
            ]
    except OSError as error:
        raise InputError(f"cannot read: {error}", file=str(path)) from error


def parse_identifiers(text: str, path: Path | None = None, row: int | None = None) -> dict[str, str]:
    """Parse `key=value;key=value` (e.g. `uscc=91650100...;gln=9521234000044`) into a dict."""
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        if "=" not in part:
            hint = "write e.g. uscc=91440300708461136T;os_id=CN2019123ABC"
            raise _bad(path, row, "identifiers", f"identifier {part!r} is not key=value", hint)
        key, value = part.split("=", 1)
        found[key.strip().lower()] = value.strip()
    return found


def read_facilities(path: Path) -> Chain:
    """Read facilities.csv (exactly the documented columns) into a chain holding only facilities."""
    path = Path(path)
    chain = Chain(inputs=[str(path)])
    for number, row in _rows(path, FACILITY_COLUMNS):
        if not row["facility_id"]:
            raise _bad(
                path,
                number,
                "facility_id",
                "facility_id is empty",
                "give the id used in the EPCIS events or flows.csv",
            )
        chain.facilities[row["facility_id"]] = Facility(
            row["facility_id"],
            row["name"],
            row["address"],
            row["country"].upper(),
            row["facility_type"].lower(),
            parse_identifiers(row["identifiers"], path, number),
            source=path.name,
        )
    return chain


def parse_lots(text: str, path: Path, row: int, field: str) -> list[LotQuantity]:
    """Parse `LOT=QTY UNIT;LOT2=QTY UNIT` into lot quantities."""
    lots = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _LOT.match(part)
        if not match:
            raise _bad(
                path,
                row,
                field,
                f"cannot read lot {part!r}",
                "write LOT=QUANTITY UNIT, e.g. YARN#Y1=1000 KGM",
            )
        try:
            quantity = float(match.group("qty")) if match.group("qty") else None
        except ValueError as error:
            raise _bad(path, row, field, f"quantity of {part!r} is not a number") from error
        lots.append(LotQuantity(match.group("lot"), quantity, match.group("uom")))
    return lots


def _date(text: str, path: Path, row: int, field: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise _bad(
            path, row, field, f"{text!r} is not an ISO date", "write YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from error


def read_flows(path: Path) -> Chain:
    """Read flows.csv: origin, transformation and movement rows."""
    path = Path(path)
    chain = Chain(inputs=[str(path)])
    for number, row in _rows(path, FLOW_COLUMNS[:9], FLOW_COLUMNS[9:]):
        kind, flow_id = row["kind"].lower(), row["flow_id"] or f"{path.name}#row{number}"
        when = _date(row["date"], path, number, "date")
        lots_in = parse_lots(row["lots_in"], path, number, "lots_in")
        lots_out = parse_lots(row["lots_out"], path, number, "lots_out")
        material = row["material"].lower() or None
        if kind in ("origin", "transformation"):
            if not row["facility_id"]:
                raise _bad(path, number, "facility_id", "facility_id is empty")
            if kind == "transformation" and not lots_in:
                raise _bad(
                    path,
                    number,
                    "lots_in",
                    "a transformation needs lots_in",
                    "use kind=origin for raw material with no inputs",
                )
            chain.add_transformation(
                Transformation(flow_id, when, row["facility_id"], lots_in, lots_out, material, path.name)
            )
        elif kind == "movement":
            moved = lots_out or lots_in
            if not moved:
                raise _bad(path, number, "lots_out", "a movement needs lots_out (the lots shipped)")
            received = _date(row.get("received_date", ""), path, number, "received_date")
            chain.movements.append(
                Movement(
                    flow_id,
                    moved,
                    row["from_facility"] or None,
                    row["to_facility"] or None,
                    when,
                    received,
                    path.name,
                )
            )
        else:
            raise _bad(
                path,
                number,
                "kind",
                f"kind {row['kind']!r} is unknown",
                "use origin, transformation or movement",
            )
        for facility_id in (row["facility_id"], row["from_facility"], row["to_facility"]):
            if facility_id:
                chain.facilities.setdefault(facility_id, Facility(facility_id, source=path.name))
    return chain


def read_documents(path: Path) -> Chain:
    """Read documents.csv; each file named is hashed (a named file that is absent is an error)."""
    path = Path(path)
    chain = Chain(inputs=[str(path)])
    for number, row in _rows(path, DOCUMENT_COLUMNS):
        doc_type = row["doc_type"].lower().replace(" ", "_")
        if doc_type not in DOCUMENT_TYPES:
            raise _bad(
                path,
                number,
                "doc_type",
                f"doc_type {row['doc_type']!r} is unknown",
                "use one of " + ", ".join(DOCUMENT_TYPES),
            )
        document_id = row["document_id"] or row["number"]
        if not document_id:
            raise _bad(path, number, "document_id", "document_id and number are both empty")
        doc = Document(
            document_id,
            doc_type,
            row["number"],
            row["date"],
            row["issuer"],
            frozenset(x.strip() for x in row["lots"].split(";") if x.strip()),
            frozenset(x.strip() for x in row["flows"].split(";") if x.strip()),
            source=path.name,
        )
        if row["file"]:
            file_path = (path.parent / row["file"]).resolve()
            if not file_path.is_file():
                raise _bad(
                    path,
                    number,
                    "file",
                    f"document file {row['file']!r} not found",
                    "give a path relative to documents.csv",
                )
            doc.file, doc.sha256 = row["file"], file_sha256(file_path)
        chain.documents[document_id] = doc
    return chain


MAX_COPIES = 100_000  # files looked at in a --documents folder


def _copy_keys(doc: Document) -> set[str]:
    keys = {doc.number, doc.document_id, re.split(r"[/:]", doc.document_id.rstrip("/"))[-1]}
    return {key.strip().lower() for key in keys if key and key.strip()}


def attach_copies(chain: Chain, folder: Path) -> list[Path]:
    """Hash the copies in a folder into the chain: a file whose name (without extension) is a record's
    number gives that record its copy; other files are listed as unlinked copies. Returns the unlinked."""
    if not folder.is_dir():
        raise InputError(
            "not a folder", file=str(folder), field="--documents", hint="give the folder holding the copies"
        )
    by_key: dict[str, list[Document]] = {}
    for doc in chain.documents.values():
        for key in _copy_keys(doc):
            by_key.setdefault(key, []).append(doc)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if len(files) > MAX_COPIES:
        raise InputError(
            f"{len(files):,} files: more than {MAX_COPIES:,} copies",
            file=str(folder),
            field="--documents",
            hint="give the folder of this product's records only",
        )
    unlinked = []
    for path in files:
        relative = path.relative_to(folder).as_posix()
        digest = file_sha256(path)
        docs = by_key.get(path.stem.strip().lower(), [])
        for doc in docs:
            if not doc.sha256:
                doc.file, doc.sha256 = relative, digest
        if not docs:
            unlinked.append(path)
            key = f"copy:{relative}"
            chain.documents[key] = Document(
                key, "other", path.stem, file=relative, sha256=digest, source=folder.name
            )
    return unlinked
