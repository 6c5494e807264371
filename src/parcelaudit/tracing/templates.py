"""The CSV template set with a worked example (a cotton polo shirt, US cotton spun and sewn in Peru):
`parcelaudit trace-templates DIR` writes it, docs/tracing.md explains it, tests trace it."""

from __future__ import annotations

from pathlib import Path

from parcelaudit.csv_safety import write_rows
from parcelaudit.tracing.csv_templates import DOCUMENT_COLUMNS, FACILITY_COLUMNS, FLOW_COLUMNS

EXAMPLE_PRODUCT = "POLO-PIMA"

FACILITIES = [
    (
        "F-FARM",
        "Rolling Plains Cotton Farm",
        "2100 FM 1241, Seymour, TX 76380",
        "US",
        "raw material production or processing",
        "duns=041589312",
    ),
    (
        "F-GIN",
        "Baylor County Co-op Gin",
        "401 N Main St, Seymour, TX 76380",
        "US",
        "raw material production or processing",
        "duns=052667140",
    ),
    (
        "F-SPIN",
        "Hilados Andinos S.A.C.",
        "Av. Argentina 3250, Callao 07001",
        "PE",
        "textile or material production",
        "ruc=20100047218",
    ),
    (
        "F-KNIT",
        "Tejidos del Sur S.A.",
        "Calle Los Telares 150, Ate, Lima 15022",
        "PE",
        "textile or material production",
        "ruc=20501234567",
    ),
    (
        "F-SEW",
        "Confecciones Pacifico S.A.C.",
        "Jr. Gamarra 700, La Victoria, Lima 15018",
        "PE",
        "final product assembly",
        "ruc=20601234568",
    ),
    (
        "F-IMP",
        "Example Apparel Importers LLC",
        "100 Harbor Way, Long Beach, CA 90802",
        "US",
        "warehousing / distribution",
        "",
    ),
]
# flow_id, kind, date, facility_id, from, to, lots_in, lots_out, material, received_date
FLOWS = [
    ("O1", "origin", "2025-09-20", "F-FARM", "", "", "", "SEEDCOTTON#SC25=6000 KGM", "seed_cotton", ""),
    ("M1", "movement", "2025-09-25", "", "F-FARM", "F-GIN", "", "SEEDCOTTON#SC25=6000 KGM", "", "2025-09-26"),
    (
        "T1",
        "transformation",
        "2025-10-01",
        "F-GIN",
        "",
        "",
        "SEEDCOTTON#SC25=6000 KGM",
        "LINT#L25=2100 KGM",
        "lint",
        "",
    ),
    ("M2", "movement", "2025-10-05", "", "F-GIN", "F-SPIN", "", "LINT#L25=2100 KGM", "", "2025-11-10"),
    (
        "T2",
        "transformation",
        "2025-11-15",
        "F-SPIN",
        "",
        "",
        "LINT#L25=2100 KGM",
        "YARN#Y25=1900 KGM",
        "yarn",
        "",
    ),
    ("M3", "movement", "2025-11-20", "", "F-SPIN", "F-KNIT", "", "YARN#Y25=1900 KGM", "", "2025-11-21"),
    (
        "T3",
        "transformation",
        "2025-11-28",
        "F-KNIT",
        "",
        "",
        "YARN#Y25=1900 KGM",
        "FABRIC#K25=1750 KGM",
        "fabric",
        "",
    ),
    ("M4", "movement", "2025-12-01", "", "F-KNIT", "F-SEW", "", "FABRIC#K25=1750 KGM", "", "2025-12-02"),
    (
        "T4",
        "transformation",
        "2025-12-10",
        "F-SEW",
        "",
        "",
        "FABRIC#K25=1750 KGM",
        "POLO-PIMA#P25=1500 KGM",
        "garment",
        "",
    ),
    ("M5", "movement", "2025-12-15", "", "F-SEW", "F-IMP", "", "POLO-PIMA#P25=1500 KGM", "", "2026-01-05"),
]
_MOVEMENT_RECORDS = ("purchase_order", "invoice", "packing_list", "bill_of_lading", "payment_record")
_PREFIX = {
    "purchase_order": "PO",
    "invoice": "INV",
    "packing_list": "PL",
    "bill_of_lading": "BL",
    "payment_record": "PAY",
    "production_record": "PR",
    "affidavit": "AFF",
}


def _documents() -> list[tuple[str, ...]]:
    """One row per record the worked example provides (every record CBP would expect)."""
    rows = []
    for flow_id, kind, date, facility, source, _to, _lots_in, lots_out_text, *_rest in FLOWS:
        lots_out = lots_out_text.split("=")[0]
        issuer = facility or source
        types = (
            _MOVEMENT_RECORDS
            if kind == "movement"
            else ("production_record",)
            if kind == "transformation"
            else ()
        )
        if kind == "movement" and lots_out.split("#")[0] in ("LINT", "YARN"):
            types += ("affidavit",)  # cotton: affidavits from the raw-cotton source and the yarn producer
        for doc_type in types:
            number = f"{_PREFIX[doc_type]}-{flow_id}"
            rows.append((number, doc_type, number, date, issuer, lots_out, flow_id, f"docs/{number}.txt"))
    return rows


def write_templates(out_dir: Path) -> list[Path]:
    """Write facilities.csv, flows.csv, documents.csv and one small file per document into out_dir."""
    out_dir = Path(out_dir)
    (out_dir / "docs").mkdir(parents=True, exist_ok=True)
    documents = _documents()
    written = []
    for name, header, rows in (
        ("facilities.csv", FACILITY_COLUMNS, FACILITIES),
        ("flows.csv", FLOW_COLUMNS, FLOWS),
        ("documents.csv", DOCUMENT_COLUMNS, documents),
    ):
        path = out_dir / name
        write_rows(path, header, rows)
        written.append(path)
    for number, doc_type, _, date, issuer, lots, flow_id, file in documents:
        title = doc_type.replace("_", " ").upper()
        text = f"{title} {number}\ndate {date}\nissuer {issuer}\nlots {lots}\nflow {flow_id}\n"
        (out_dir / file).write_text(text, encoding="utf-8")
    return written
