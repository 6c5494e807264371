"""EPCIS 2.0 document validation: the official JSON schema plus the CBV vocabulary rules it leaves out.

The schema is read from ../shared/data/epcis, PARCELAUDIT_HOME/epcis, or downloaded from GS1 with
`parcelaudit trace fetch-schema`; without it the built-in structural checks still run (and say so).
Every problem names the event (index, type, eventID) and the field, so a user can find and fix it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
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


_EVENT_SCHEMA_REF = "#/definitions/EPCIS-Document-Event"


@lru_cache(maxsize=2)
def _schemas(path: str) -> tuple[Any, Any, Any]:
    """(whole-document validator, one-event validator, fast one-event validator) for the schema at path.

    Events are checked one at a time against the schema's own event definition, so a document of any
    size is validated as it streams by. The fast validator (jsonschema-rs, compiled) decides every valid
    event; an event it rejects is checked again by jsonschema, which decides and names every problem
    (jsonschema-rs is stricter on string formats).
    """
    import jsonschema
    import jsonschema_rs

    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    event_schema = {key: schema[key] for key in ("$schema", "definitions") if key in schema}
    event_schema["$ref"] = _EVENT_SCHEMA_REF
    document_class = jsonschema.validators.validator_for(schema)
    return (
        document_class(schema),
        document_class(event_schema),
        jsonschema_rs.validator_for(event_schema),
    )


# Resource limits (docs/tracing.md "Limits"): far above any real document, low enough that a hostile one
# fails in one line instead of exhausting memory or the interpreter's stack. Documents are streamed, so
# their size costs time, not memory.
MAX_DOCUMENT_BYTES = 16 * 2**30
MAX_NESTING_DEPTH = 64  # GS1's example documents nest 13 deep
MAX_EVENTS_PER_DOCUMENT = 20_000_000
MAX_PROBLEMS_LISTED = 1_000  # problems kept per document; the rest are counted

_OPEN = {"start_map", "start_array"}
_CLOSE = {"end_map", "end_array"}


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


def _unreadable(path: Path, error: Exception) -> InputError:
    # The streaming parser quotes the text around the fault over several lines: keep its first line.
    first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
    return InputError(f"not a readable JSON document: {first}", file=str(path))


@dataclass
class Outline:
    """What a first pass over a document finds: its members other than the body, and how many events."""

    header: dict[str, Any]
    events: int
    event_key: str | None  # "eventList", "event" (a single event) or None (no events)
    body_is_object: bool


def read_outline(path: Path) -> Outline:
    """First streaming pass over an EPCIS JSON / JSON-LD file: check its size and nesting, count the events
    and keep every member except epcisBody. Unreadable, too large or too deep raises InputError."""
    import ijson

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _unreadable(path, error) from error
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"document is {size / 2**20:,.0f} MiB, over the limit of {MAX_DOCUMENT_BYTES // 2**20:,} MiB",
            file=str(path),
            hint="split the events over several documents",
        )
    header: dict[str, Any] = {}
    depth, events, top_key, body_key, event_key = 0, 0, None, None, None
    body_is_object, builder = False, None
    try:
        with open(path, "rb") as handle:
            for token, value in ijson.basic_parse(handle, use_float=True):
                if token in _OPEN:
                    if depth == 0 and token != "start_map":
                        raise InputError("an EPCIS document must be a JSON object", file=str(path))
                    depth += 1
                    if depth > MAX_NESTING_DEPTH:
                        raise _too_deep(path)
                    if depth == 2 and top_key == "epcisBody":
                        body_is_object = token == "start_map"
                    elif depth == 3 and top_key == "epcisBody" and body_key == "event":
                        event_key, events = "event", 1
                    elif depth == 4 and top_key == "epcisBody" and body_key == "eventList":
                        events += 1
                elif token in _CLOSE:
                    depth -= 1
                elif token == "map_key" and depth == 1:
                    top_key, body_key, builder = value, None, None
                    if value != "epcisBody":
                        builder = ijson.ObjectBuilder()
                    continue
                elif token == "map_key" and depth == 2 and top_key == "epcisBody":
                    body_key = value
                    if value == "eventList":
                        event_key = "eventList"
                if depth == 0 and token not in _CLOSE:
                    raise InputError("an EPCIS document must be a JSON object", file=str(path))
                if builder is not None:
                    builder.event(token, value)
                    if depth == 1:  # the member's value is complete
                        header[top_key] = builder.value
                        builder = None
    except InputError:
        raise
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as error:
        raise _unreadable(path, error) from error
    if events > MAX_EVENTS_PER_DOCUMENT:
        raise InputError(
            f"{events:,} events, over the limit of {MAX_EVENTS_PER_DOCUMENT:,} per document",
            file=str(path),
            field="epcisBody.eventList",
            hint="split the events over several documents",
        )
    return Outline(header, events, event_key, body_is_object)


def iter_events(path: Path, outline: Outline) -> Iterator[Any]:
    """Second streaming pass: the document's events one at a time (after read_outline accepted it)."""
    import ijson

    if outline.event_key is None:
        return
    prefix = "epcisBody.eventList.item" if outline.event_key == "eventList" else "epcisBody.event"
    try:
        with open(path, "rb") as handle:
            yield from ijson.items(handle, prefix, use_float=True)
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as error:
        raise _unreadable(Path(path), error) from error


def document_events(doc: dict) -> list[Any]:
    """The events of a parsed EPCIS document (eventList, or a single event) as given."""
    body = doc.get("epcisBody") if isinstance(doc, dict) else None
    if isinstance(body, dict) and isinstance(body.get("eventList"), list):
        return body["eventList"]
    if isinstance(body, dict) and isinstance(body.get("event"), dict):
        return [body["event"]]
    return []


def _event_label(index: int, event: Any) -> str:
    event = event if isinstance(event, dict) else {}
    label = f"event {index + 1} ({event.get('type', '?')}"
    return label + (f", {event['eventID']})" if event.get("eventID") else ")")


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


def _cbv_event_problems(event: dict, prefixes: set[str]) -> list[tuple[list[Any], str]]:
    """The CBV vocabulary and time-format problems of one event (locations relative to the event)."""
    found: list[tuple[list[Any], str]] = []
    if "@context" in event:
        prefixes = _declared_prefixes(event, set(prefixes))
    for key in ("bizStep", "disposition"):
        if key in event and (why := _check_term(event[key], key, prefixes)):
            found.append(([key], why))
    for key in ("set", "unset"):
        for i, value in enumerate((event.get("persistentDisposition") or {}).get(key) or []):
            if why := _check_term(value, "disposition", prefixes):
                found.append((["persistentDisposition", key, i], why))
    for list_name in ("sourceList", "destinationList"):
        for i, item in enumerate(event.get(list_name) or []):
            if isinstance(item, dict) and (why := _check_term(item.get("type"), "sourceDestType", prefixes)):
                found.append(([list_name, i, "type"], why))
    for i, item in enumerate(event.get("bizTransactionList") or []):
        if (
            isinstance(item, dict)
            and "type" in item
            and (why := _check_term(item["type"], "bizTransactionType", prefixes))
        ):
            found.append((["bizTransactionList", i, "type"], why))
    for key in ("eventTime", "recordTime"):
        if isinstance(event.get(key), str) and not _TIME.match(event[key]):
            found.append(([key], f"{event[key]!r} is not an ISO 8601 date-time with offset"))
    if isinstance(event.get("eventTimeZoneOffset"), str) and not _OFFSET.match(event["eventTimeZoneOffset"]):
        found.append((["eventTimeZoneOffset"], "must look like +02:00"))
    for key in (event.get("ilmd") or {}) if isinstance(event.get("ilmd"), dict) else ():
        if ":" not in key:
            found.append((["ilmd", key], "ilmd extension fields must be namespaced (prefix:name)"))
    return found


def _structural_envelope_problems(header: Any, body_is_object: bool) -> list[tuple[list[Any], str]]:
    """The document-level checks that matter for import when the JSON schema is not available."""
    if not isinstance(header, dict):
        return [([], "an EPCIS document must be a JSON object")]
    found = [
        ([key], "required property is missing")
        for key in ("@context", "type", "schemaVersion", "creationDate")
        if key not in header
    ]
    if not body_is_object:
        found.append((["epcisBody"], "required property is missing"))
    return found


def _structural_event_problems(event: Any) -> list[tuple[list[Any], str]]:
    """The event-level checks that matter for import when the JSON schema is not available."""
    if not isinstance(event, dict):
        return [([], "an event must be an object")]
    found: list[tuple[list[Any], str]] = []
    for key in ("type", "eventTime", "eventTimeZoneOffset"):
        if key not in event:
            found.append(([key], "required property is missing"))
    kind = event.get("type")
    if kind in ("ObjectEvent", "AggregationEvent", "TransactionEvent") and "action" not in event:
        found.append((["action"], "required property is missing"))
    if "action" in event and event["action"] not in ("ADD", "OBSERVE", "DELETE"):
        found.append((["action"], f"{event['action']!r} is not one of ADD, OBSERVE, DELETE"))
    if kind == "ObjectEvent" and "epcList" not in event and "quantityList" not in event:
        found.append((["epcList"], "an ObjectEvent needs epcList or quantityList"))
    for list_name in ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList"):
        for i, item in enumerate(event.get(list_name) or []):
            if not isinstance(item, dict):
                continue
            if not isinstance(item.get("quantity", 0), int | float):
                found.append(([list_name, i, "quantity"], "must be a number"))
            for extra in sorted(set(item) - {"epcClass", "quantity", "uom"}):
                found.append(([list_name, i, extra], "not an allowed quantity element field"))
    certification = event.get("certificationInfo")
    if certification is not None and not (
        isinstance(certification, str)
        or (isinstance(certification, list) and all(isinstance(c, str) for c in certification))
    ):
        found.append((["certificationInfo"], "must be a URI string or a list of URI strings"))
    return found


def _schema_messages(validator: Any, instance: Any) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    for error in validator.iter_errors(instance):
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


class DocumentChecker:
    """Validates one EPCIS document as it streams by: its envelope once, then each event on its own.

    The JSON schema is applied when it is available (and use_schema), else the built-in structural checks;
    the CBV vocabulary checks always run. Problems are kept up to MAX_PROBLEMS_LISTED and counted beyond.
    """

    def __init__(self, header: dict[str, Any], use_schema: bool = True, body_is_object: bool = True) -> None:
        path = schema_path() if use_schema else None
        self.schema_applied = path is not None
        self._validators = _schemas(str(path)) if path else None
        self.prefixes = _declared_prefixes(header, set(_WELL_KNOWN_PREFIXES))
        self.problems: list[Problem] = []
        self.count = 0
        self._seen: set[tuple[str, str, str]] = set()
        self._envelope(header, body_is_object)

    def _add(self, where: str, location: list[Any], message: str) -> None:
        field_path = ".".join(str(p) for p in location) or ("(event)" if where != "document" else "(root)")
        key = (where, field_path, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(Problem(where, field_path, message))

    def _envelope(self, header: dict[str, Any], body_is_object: bool) -> None:
        if self._validators is None:
            found = _structural_envelope_problems(header, body_is_object)
        else:
            envelope = {**header, "epcisBody": {"eventList": []}} if body_is_object else dict(header)
            found = _schema_messages(self._validators[0], envelope)
        for location, message in found:
            self._add("document", location, message)

    def check(self, index: int, event: Any) -> bool:
        """Check one event (index counts from 0); True when it has no problem."""
        before = self.count
        if self._validators is None:
            found = _structural_event_problems(event)
        elif self._validators[2].is_valid(event):
            found = []
        else:
            found = _schema_messages(self._validators[1], event)
        if isinstance(event, dict):
            found += _cbv_event_problems(event, self.prefixes)
        label = _event_label(index, event)
        for location, message in found:
            self._add(label, location, message)
        return self.count == before


def validate_document(doc: Any, use_schema: bool = True) -> tuple[list[Problem], bool]:
    """Validate a parsed EPCIS document; returns (problems, whether the JSON schema was applied)."""
    header = (
        {key: value for key, value in doc.items() if key != "epcisBody"} if isinstance(doc, dict) else doc
    )
    if not isinstance(header, dict):
        return [Problem("document", "(root)", "an EPCIS document must be a JSON object")], False
    checker = DocumentChecker(header, use_schema, isinstance(doc.get("epcisBody"), dict))
    for index, event in enumerate(document_events(doc)):
        checker.check(index, event)
    return checker.problems, checker.schema_applied


def validate_file(path: Path, use_schema: bool = True) -> tuple[list[Problem], bool, int]:
    """Validate an EPCIS file as it streams; returns (problems kept, whether the schema applied, problem count)."""
    outline = read_outline(path)
    checker = DocumentChecker(outline.header, use_schema, outline.body_is_object)
    for index, event in enumerate(iter_events(path, outline)):
        checker.check(index, event)
    return checker.problems, checker.schema_applied, checker.count
