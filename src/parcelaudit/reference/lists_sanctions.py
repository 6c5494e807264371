"""Loaders for the sanctions lists: OFAC SDN legacy CSV (+ALT, ADD), trade.gov CSL CSV, UN consolidated XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from parcelaudit.errors import ReferenceDataError
from parcelaudit.reference.list_common import (
    clean,
    country_codes,
    date_from_name,
    read_rows,
    read_text,
)
from parcelaudit.screening.model import Entry, RestrictedList


def _companion(path: Path, kind: str) -> Path | None:
    # OFAC publishes sdn.csv with alt.csv and add.csv; dated copies keep the word in their names.
    exact = path.with_name(path.name.lower().replace("sdn", kind))
    if exact != path and exact.exists():
        return exact
    matches = sorted(p for p in path.parent.glob(f"*{kind}*.csv") if p != path)
    return matches[-1] if matches else None


def load_sdn(path: Path, alt_path: Path | None = None, add_path: Path | None = None) -> RestrictedList:
    """Load the OFAC SDN legacy CSV with its ALT (aliases) and ADD (addresses) files when found beside it."""
    alt_path = alt_path or _companion(path, "alt")
    add_path = add_path or _companion(path, "add")
    aliases: dict[str, list[str]] = defaultdict(list)
    addresses: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if alt_path:
        for row in read_rows(read_text(alt_path), header=False, path=alt_path):
            if len(row) >= 4 and clean(row[3]):
                aliases[row[0].strip()].append(clean(row[3]))
    if add_path:
        for row in read_rows(read_text(add_path), header=False, path=add_path):
            if len(row) >= 5:
                line = ", ".join(p for p in (clean(row[2]), clean(row[3]), clean(row[4])) if p)
                addresses[row[0].strip()].append((line, clean(row[4])))
    entries = []
    for number, row in enumerate(read_rows(read_text(path), header=False, path=path), start=1):
        if not row or not row[0].strip():
            continue
        if len(row) < 12 or not row[0].strip().isdigit():
            raise ReferenceDataError(
                "not an SDN row (expected 12 columns, a number first)",
                file=str(path),
                row=number,
                hint="use OFAC's legacy sdn.csv",
            )
        ent = row[0].strip()
        kind = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft"}.get(
            clean(row[2]).lower(), "entity"
        )
        entries.append(
            Entry(
                "SDN",
                ent,
                clean(row[1]),
                tuple(aliases.get(ent, ())),
                tuple(a for a, _ in addresses.get(ent, ()) if a),
                country_codes(*(c for _, c in addresses.get(ent, ()))),
                clean(row[3]) or None,
                None,
                kind,
                clean(row[11]) or None,
            )
        )
    date = date_from_name(path)
    return RestrictedList(
        "SDN",
        "OFAC Specially Designated Nationals",
        entries,
        source="US Treasury OFAC, SDN legacy CSV"
        + (" + ALT" if alt_path else "")
        + (" + ADD" if add_path else ""),
        snapshot_date=date,
        loaded_from=str(path),
        extra={"alt_file": str(alt_path or ""), "add_file": str(add_path or "")},
        date_basis="date in the file name" if date else None,
    )


def load_csl(path: Path) -> RestrictedList:
    """Load the trade.gov Consolidated Screening List CSV (all its source lists in one file)."""
    entries = []
    for number, row in enumerate(read_rows(read_text(path), path=path), start=2):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        aliases = tuple(a.strip() for a in (row.get("alt_names") or "").split(";") if a.strip())
        addresses = tuple(a.strip() for a in (row.get("addresses") or "").split(";") if a.strip())
        tails = [a.rsplit(",", 1)[-1] for a in addresses]
        found = country_codes(*tails, row.get("nationalities"), row.get("citizenships"))
        entry_id = (row.get("entity_number") or row.get("id") or "").strip() or f"row{number}"
        kind = "person" if (row.get("type") or "").lower() == "individual" else "entity"
        entries.append(
            Entry(
                "CSL",
                entry_id,
                name,
                aliases,
                addresses,
                found,
                (row.get("source") or "").strip() or None,
                (row.get("start_date") or "")[:10] or None,
                kind,
                (row.get("remarks") or "").strip() or None,
            )
        )
    return RestrictedList(
        "CSL",
        "Consolidated Screening List (trade.gov)",
        entries,
        source="US ITA Consolidated Screening List CSV",
        snapshot_date=date_from_name(path),
        loaded_from=str(path),
        date_basis="date in the file name" if date_from_name(path) else None,
    )


def _text(node: ET.Element | None, tag: str) -> str:
    found = node.find(tag) if node is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


# The UN list nests five levels deep (CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL/INDIVIDUAL_ALIAS/ALIAS_NAME);
# anything far deeper is not the list, and is refused before a tree is built from it.
MAX_XML_DEPTH = 32


def _parse_xml(path: Path) -> ET.Element:
    parser = ET.XMLPullParser(events=("start", "end"))
    text = read_text(path)
    depth = 0
    root: ET.Element | None = None
    try:
        for start in range(0, len(text) + 1, 1 << 16):
            if start < len(text):
                parser.feed(text[start : start + (1 << 16)])
            else:
                parser.close()
            for event, element in parser.read_events():
                depth += 1 if event == "start" else -1
                if depth > MAX_XML_DEPTH:
                    raise ReferenceDataError(
                        f"XML nested more than {MAX_XML_DEPTH} levels deep (at <{element.tag}>)",
                        file=str(path),
                        hint="this is not the UN consolidated list: download it again",
                    )
                if event == "end" and depth == 0:
                    root = element
    except ET.ParseError as error:
        raise ReferenceDataError(
            f"not valid XML: {error}", file=str(path), hint="download the list again"
        ) from error
    if root is None:
        raise ReferenceDataError("empty XML document", file=str(path), hint="download the list again")
    return root


def load_un(path: Path) -> RestrictedList:
    """Load the UN Security Council consolidated list XML (individuals and entities with aliases)."""
    root = _parse_xml(path)
    entries = []
    for node in list(root.iter("INDIVIDUAL")) + list(root.iter("ENTITY")):
        person = node.tag == "INDIVIDUAL"
        parts = [_text(node, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
        name = " ".join(p for p in parts if p)
        if not name:
            continue
        alias_tag = "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"
        aliases = [_text(a, "ALIAS_NAME") for a in node.iter(alias_tag)]
        aliases.append(_text(node, "NAME_ORIGINAL_SCRIPT"))
        address_tag = "INDIVIDUAL_ADDRESS" if person else "ENTITY_ADDRESS"
        addresses, places = [], []
        for address in node.iter(address_tag):
            parts = [_text(address, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")]
            line = ", ".join(p for p in parts if p)
            if line:
                addresses.append(line)
            places.append(_text(address, "COUNTRY"))
        places += [v.text or "" for n in node.iter("NATIONALITY") for v in n.iter("VALUE")]
        entries.append(
            Entry(
                "UN",
                _text(node, "REFERENCE_NUMBER") or _text(node, "DATAID"),
                name,
                tuple(a for a in aliases if a),
                tuple(addresses),
                country_codes(*places),
                _text(node, "UN_LIST_TYPE") or None,
                _text(node, "LISTED_ON")[:10] or None,
                "person" if person else "entity",
                None,
            )
        )
    if not entries:
        raise ReferenceDataError(
            "no <INDIVIDUAL> or <ENTITY> with a name found",
            file=str(path),
            hint="this is not the UN consolidated list (or it was cut short): download it again",
        )
    generated = root.get("dateGenerated", "")[:10]
    named = date_from_name(path)
    return RestrictedList(
        "UN",
        "UN Security Council Consolidated List",
        entries,
        source="United Nations Security Council consolidated list XML",
        snapshot_date=generated or named,
        loaded_from=str(path),
        date_basis="dateGenerated in the file" if generated else ("date in the file name" if named else None),
    )
