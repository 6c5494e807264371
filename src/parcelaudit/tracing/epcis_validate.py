"""EPCIS 2.0 document validation: the official JSON schema plus the CBV vocabulary rules it leaves out.

The schema is read from ../shared/data/epcis, PARCELAUDIT_HOME/epcis, or downloaded from GS1 with
`parcelaudit trace fetch-schema`; without it the built-in structural checks still run (and say so).
Every problem names the event (index, type, eventID) and the field, so a user can find and fix it.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from parcelaudit.errors import InputError
from parcelaudit.paths import shared_data_dir, user_data_dir

SCHEMA_URL = "https://ref.gs1.org/standards/epcis/epcis-json-schema.json"
VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "cbv_vocabulary.csv"
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$")
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
_CBV_URI = {
    "bizStep": re.compile(
        r"^(?:https://ref\.gs1\.org/cbv/BizStep-|urn:epcglobal:cbv:bizstep:|cbv:BizStep-)(.+)$"
    ),
    "disposition": re.compile(r"^(?:https://ref\.gs1\.org/cbv/Disp-|urn:epcglobal:cbv:disp:|cbv:Disp-)(.+)$"),
    "sourceDestType": re.compile(r"^(?:https://ref\.gs1\.org/cbv/SDT-|urn:epcglobal:cbv:sdt:|cbv:SDT-)(.+)$"),
    "bizTransactionType": re.compile(
        r"^(?:https://ref\.gs1\.org/cbv/BTT-|urn:epcglobal:cbv:btt:|cbv:BTT-)(.+)$"
    ),
}
_WELL_KNOWN_PREFIXES = {
    "cbv",
    "gs1",
    "epcis",
    "cbvmda",
    "xsd",
    "rdfs",
    "owl",
    "dcterms",
    "http",
    "https",
    "urn",
}


@dataclass(frozen=True)
class Problem:
    """One reason a document is invalid: where (event and field) and what."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, field {self.field!r}: {self.message}"


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, frozenset[str]]:
    """CBV terms by vocabulary (bizStep, disposition, sourceDestType, bizTransactionType)."""
    terms: dict[str, set[str]] = {}
    with open(VOCABULARY_FILE, encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            terms.setdefault(row["vocabulary"], set()).add(row["term"])
    return {key: frozenset(value) for key, value in terms.items()}


def schema_path() -> Path | None:
    """Where the EPCIS JSON schema is found (shared data, then the user cache), or None."""
    shared = shared_data_dir()
    candidates = [shared / "epcis" / "EPCIS-JSON-Schema.json"] if shared else []
    candidates.append(user_data_dir() / "epcis" / "EPCIS-JSON-Schema.json")
    return next((path for path in candidates if path.is_file()), None)


def fetch_schema(url: str = SCHEMA_URL) -> Path:
    """Download the official EPCIS 2.0 JSON schema into the user cache and return its path."""
    import urllib.request

    target = user_data_dir() / "epcis" / "EPCIS-JSON-Schema.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=60) as response:
        data = json.loads(response.read().decode("utf-8"))
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


@lru_cache(maxsize=2)
def _schema_validator(path: str) -> Any:
    import jsonschema

    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


@lru_cache(maxsize=2)
def _fast_validator(path: str) -> Any:
    """The schema compiled to Python (about 15x faster than jsonschema on large documents)."""
    import fastjsonschema

    return fastjsonschema.compile(json.loads(Path(path).read_text(encoding="utf-8")))


def _passes_fast(doc: Any, path: Path) -> bool:
    # A pass here is final; a failure (it is stricter on formats, and stops at the first error) is
    # re-checked by jsonschema, which decides and explains.
    import fastjsonschema

    try:
        _fast_validator(str(path))(doc)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


# Resource limits (docs/tracing.md "Limits"): far above any real document, low enough that a hostile one
# fails in one line instead of exhausting memory or the interpreter's stack.
MAX_DOCUMENT_BYTES = 512 * 2**20
MAX_NESTING_DEPTH = 64  # GS1's example documents nest 13 deep
MAX_EVENTS_PER_DOCUMENT = 250_000


def nesting_depth(node: Any) -> int:
    """How deeply objects and arrays nest (a scalar is 0), computed without recursion."""
    if not isinstance(node, dict | list):
        return 0
    deepest, stack = 1, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING_DEPTH:
            break  # over the limit: no need to look further
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return deepest


def _too_deep(path: Path) -> InputError:
    return InputError(
        f"JSON nested deeper than the limit of {MAX_NESTING_DEPTH} levels",
        file=str(path),
        hint="EPCIS documents nest about 13 levels; flatten the extension fields",
    )


def read_document(path: Path) -> Any:
    """Parse an EPCIS JSON / JSON-LD file within the limits; unreadable, invalid or too large raises InputError."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise InputError(
                f"document is {size / 2**20:,.0f} MiB, over the limit of {MAX_DOCUMENT_BYTES // 2**20} MiB",
                file=str(path),
                hint="split the events over several documents",
            )
        doc = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError as error:  # the JSON parser gives up near 1,000 levels
        raise _too_deep(path) from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not a readable JSON document: {error}", file=str(path)) from error
    if nesting_depth(doc) > MAX_NESTING_DEPTH:
        raise _too_deep(path)
    events = document_events(doc)
    if len(events) > MAX_EVENTS_PER_DOCUMENT:
        raise InputError(
            f"{len(events):,} events, over the limit of {MAX_EVENTS_PER_DOCUMENT:,} per document",
            file=str(path),
            field="epcisBody.eventList",
            hint="split the events over several documents",
        )
    return doc


def document_events(doc: dict) -> list[Any]:
    """The events of an EPCIS document (eventList, or a single event) as given."""
    body = doc.get("epcisBody") if isinstance(doc, dict) else None
    if isinstance(body, dict) and isinstance(body.get("eventList"), list):
        return body["eventList"]
    if isinstance(body, dict) and isinstance(body.get("event"), dict):
        return [body["event"]]
    return []


def _where(events: list[Any], path: list[Any]) -> tuple[str, str]:
    """Turn a JSON path into ('event N (Type, eventID)', 'field.path')."""
    if len(path) >= 3 and path[:2] == ["epcisBody", "eventList"] and isinstance(path[2], int):
        index = path[2]
        event = events[index] if index < len(events) and isinstance(events[index], dict) else {}
        label = f"event {index + 1} ({event.get('type', '?')}"
        label += f", {event['eventID']})" if event.get("eventID") else ")"
        return label, ".".join(str(p) for p in path[3:]) or "(event)"
    return "document", ".".join(str(p) for p in path) or "(root)"


def _declared_prefixes(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        context = node.get("@context")
        for item in context if isinstance(context, list) else [context]:
            if isinstance(item, dict):
                found.update(key for key in item if not key.startswith("@"))
        for value in node.values():
            _declared_prefixes(value, found)
    elif isinstance(node, list):
        for value in node:
            _declared_prefixes(value, found)
    return found


def _check_term(value: Any, vocab: str, prefixes: set[str]) -> str | None:
    """None when value is a CBV term, a CBV URI of a real term, or a namespaced extension; else why not."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    terms = vocabulary()[vocab]
    if value in terms:
        return None
    match = _CBV_URI[vocab].match(value)
    if match:
        return None if match.group(1) in terms else f"{match.group(1)!r} is not a CBV {vocab}"
    if _URI.match(value):
        prefix = value.split(":", 1)[0]
        if value.startswith(("http://", "https://", "urn:")) or prefix in prefixes:
            return None
        return f"prefix {prefix!r} of {value!r} is not declared in @context"
    return f"{value!r} is not a CBV {vocab} (use a CBV term, e.g. {sorted(terms)[0]!r}, or a namespaced URI)"


def _cbv_problems(events: list[Any], prefixes: set[str]) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        base: list[Any] = ["epcisBody", "eventList", index]
        for key in ("bizStep", "disposition"):
            if key in event and (why := _check_term(event[key], key, prefixes)):
                found.append(([*base, key], why))
        for key in ("set", "unset"):
            for i, value in enumerate((event.get("persistentDisposition") or {}).get(key) or []):
                if why := _check_term(value, "disposition", prefixes):
                    found.append(([*base, "persistentDisposition", key, i], why))
        for list_name in ("sourceList", "destinationList"):
            for i, item in enumerate(event.get(list_name) or []):
                if isinstance(item, dict) and (
                    why := _check_term(item.get("type"), "sourceDestType", prefixes)
                ):
                    found.append(([*base, list_name, i, "type"], why))
        for i, item in enumerate(event.get("bizTransactionList") or []):
            if (
                isinstance(item, dict)
                and "type" in item
                and (why := _check_term(item["type"], "bizTransactionType", prefixes))
            ):
                found.append(([*base, "bizTransactionList", i, "type"], why))
        for key in ("eventTime", "recordTime"):
            if isinstance(event.get(key), str) and not _TIME.match(event[key]):
                found.append(([*base, key], f"{event[key]!r} is not an ISO 8601 date-time with offset"))
        if isinstance(event.get("eventTimeZoneOffset"), str) and not _OFFSET.match(
            event["eventTimeZoneOffset"]
        ):
            found.append(([*base, "eventTimeZoneOffset"], "must look like +02:00"))
        for key in (event.get("ilmd") or {}) if isinstance(event.get("ilmd"), dict) else ():
            if ":" not in key:
                found.append(([*base, "ilmd", key], "ilmd extension fields must be namespaced (prefix:name)"))
    return found


def _structural_problems(doc: Any, events: list[Any]) -> list[tuple[list[Any], str]]:
    """The checks that matter for import when the JSON schema is not available."""
    if not isinstance(doc, dict):
        return [([], "an EPCIS document must be a JSON object")]
    found: list[tuple[list[Any], str]] = []
    for key in ("@context", "type", "schemaVersion", "creationDate", "epcisBody"):
        if key not in doc:
            found.append(([key], "required property is missing"))
    for index, event in enumerate(events):
        base: list[Any] = ["epcisBody", "eventList", index]
        if not isinstance(event, dict):
            found.append((base, "an event must be an object"))
            continue
        for key in ("type", "eventTime", "eventTimeZoneOffset"):
            if key not in event:
                found.append(([*base, key], "required property is missing"))
        kind = event.get("type")
        if kind in ("ObjectEvent", "AggregationEvent", "TransactionEvent") and "action" not in event:
            found.append(([*base, "action"], "required property is missing"))
        if "action" in event and event["action"] not in ("ADD", "OBSERVE", "DELETE"):
            found.append(([*base, "action"], f"{event['action']!r} is not one of ADD, OBSERVE, DELETE"))
        if kind == "ObjectEvent" and "epcList" not in event and "quantityList" not in event:
            found.append(([*base, "epcList"], "an ObjectEvent needs epcList or quantityList"))
        for list_name in ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList"):
            for i, item in enumerate(event.get(list_name) or []):
                if not isinstance(item, dict):
                    continue
                if not isinstance(item.get("quantity", 0), int | float):
                    found.append(([*base, list_name, i, "quantity"], "must be a number"))
                for extra in sorted(set(item) - {"epcClass", "quantity", "uom"}):
                    found.append(([*base, list_name, i, extra], "not an allowed quantity element field"))
        certification = event.get("certificationInfo")
        if certification is not None and not (
            isinstance(certification, str)
            or (isinstance(certification, list) and all(isinstance(c, str) for c in certification))
        ):
            found.append(([*base, "certificationInfo"], "must be a URI string or a list of URI strings"))
    return found


def _schema_problems(doc: Any, events: list[Any], path: Path) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    if _passes_fast(doc, path):
        return found
    for error in _schema_validator(str(path)).iter_errors(doc):
        location = list(error.absolute_path)
        # The 2023-05 draft schema requires sensorReport.type, but a report may carry only an
        # exception (openepcis' conformance documents do); accept that one case.
        if (
            error.validator == "required"
            and "'type'" in error.message
            and len(location) >= 2
            and "sensorReport" in location
            and isinstance(error.instance, dict)
            and "exception" in error.instance
        ):
            continue
        found.append(_located_schema_message(location, error))
    return found


def _located_schema_message(location: list[Any], error: Any) -> tuple[list[Any], str]:
    """Point a schema error at the field it concerns (a missing property names that property)."""
    best = error
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        best = min(error.context, key=lambda sub: len(sub.message))
    missing = re.match(r"^'([^']+)' is a required property$", best.message)
    if missing:
        return [*location, missing.group(1)], "required property is missing"
    prefix = "" if best is error else "does not match the EPCIS schema: "
    return location, (prefix + best.message)[:200]


def validate_document(doc: Any, use_schema: bool = True) -> tuple[list[Problem], bool]:
    """Validate a parsed EPCIS document; returns (problems, whether the JSON schema was applied)."""
    events = document_events(doc)
    raw: list[tuple[list[Any], str]] = []
    path = schema_path() if use_schema else None
    raw += _schema_problems(doc, events, path) if path else _structural_problems(doc, events)
    raw += _cbv_problems(events, _declared_prefixes(doc, set(_WELL_KNOWN_PREFIXES)))
    problems, seen = [], set()
    for location, message in raw:
        where, field_path = _where(events, location)
        key = (where, field_path, message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(where, field_path, message))
    return problems, path is not None
