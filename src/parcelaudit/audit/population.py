"""The audit population: an importer's parcels (or lines) in a period with declared value and duty paid,
and the duty owed once the auditor's corrections are applied.

Duty comes from the duty API (`parcelaudit.duty.quote`, through `parcelaudit.rules.duty.compute_duty`):
the MFN rate of the HTS line plus the additional duties by origin in force on the arrival date, net of
the refundable IEEPA duties (held unlawful in Learning Resources v. Trump, they are not a loss of revenue). A parcel entered duty-free (entry type 321 or 86, a de minimis claim) paid no duty; the
auditor decides whether that claim stands.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.arrow_sql import ArrowSQL
from parcelaudit.errors import ParcelAuditError

DUTY_FREE_ENTRY_TYPES = ("321", "86")
IMPORTER_FIELDS = ("seller_name", "marketplace_name")
UNITS = ("parcel", "line")


def check_importer_by(by: str, field: str = "by") -> None:
    """A user error unless `by` names a column that identifies an importer (IMPORTER_FIELDS)."""
    if by not in IMPORTER_FIELDS:
        raise ParcelAuditError(
            f"cannot identify an importer by {by!r}", field=field, hint=" or ".join(IMPORTER_FIELDS)
        )


def line_duty(shipments: pa.Table, lines: pa.Table) -> pa.Table:
    """Per line (shipment_id, line_no, rate, duty net of refundable duties) from the duty API (lazily imported)."""
    from parcelaudit.rules.duty import compute_duty

    duty = compute_duty(shipments, lines)
    net = pc.subtract(duty["duty"], duty["refundable"])
    return duty.set_column(duty.column_names.index("duty"), "duty", net)


def build_population(shipments: pa.Table, lines: pa.Table, unit: str = "parcel") -> pa.Table:
    """Population frame ordered by arrival date and id: item_id, shipment_id, line_no, arrival_date, entry_type,
    book_value (declared), book_duty (duty paid: 0 on a duty-free claim) and frame_no 1..N."""
    if unit not in UNITS:
        raise ParcelAuditError(f"unknown audit unit {unit!r}", field="unit", hint=" or ".join(UNITS))
    if shipments.num_rows == 0:
        raise ParcelAuditError(
            "the importer has no parcels in the period",
            field="importer",
            hint="check the importer name (exact match) and the period",
        )
    duty = line_duty(shipments, lines)
    with ArrowSQL({"shipments": shipments, "lines": lines, "duty": duty}) as session:
        free = ", ".join(f"'{t}'" for t in DUTY_FREE_ENTRY_TYPES)
        if unit == "parcel":
            sql = f"""
                SELECT s.shipment_id AS item_id, s.shipment_id, CAST(NULL AS BIGINT) AS line_no, s.arrival_date,
                       s.entry_type, s.declared_value AS book_value,
                       CASE WHEN s.entry_type IN ({free}) THEN 0.0 ELSE round(coalesce(d.duty, 0.0), 2) END AS book_duty
                FROM shipments s
                LEFT JOIN (SELECT shipment_id, sum(duty) AS duty FROM duty GROUP BY 1) d USING (shipment_id)
                ORDER BY s.arrival_date, s.shipment_id"""
        else:
            sql = f"""
                SELECT l.shipment_id || '#' || l.line_no AS item_id, l.shipment_id, l.line_no, s.arrival_date,
                       s.entry_type, coalesce(l.value, 0.0) AS book_value,
                       CASE WHEN s.entry_type IN ({free}) THEN 0.0 ELSE round(coalesce(d.duty, 0.0), 2) END AS book_duty
                FROM lines l JOIN shipments s USING (shipment_id)
                LEFT JOIN duty d ON d.shipment_id = l.shipment_id AND d.line_no = l.line_no
                ORDER BY s.arrival_date, l.shipment_id, l.line_no"""
        frame = session.query(sql)
    return frame.append_column("frame_no", pa.array(range(1, frame.num_rows + 1), pa.int64()))


def parcel_fees(shipments: pa.Table, items: list[dict]) -> dict[str, float]:
    """Per parcel item: the fees of its entry (`parcelaudit.rules.duty.parcel_entry_fees`: charged once per
    entry, 19 CFR 24.22-24.24), 0 where the duty-free claim stands. items: item_id, shipment_id, duty_free,
    and optionally corrected_value (else the declared value) and duty (the entry's duty: mail pays its fee
    only when dutiable). A denied de minimis claim is priced as the informal or formal entry it becomes."""
    from parcelaudit.rules.duty import parcel_entry_fees

    wanted = ("shipment_id", "arrival_date", "declared_value", "entry_type", "mode", "filer_type")
    present = [c for c in wanted if c in shipments.column_names]
    parcels = {r["shipment_id"]: r for r in shipments.select(present).to_pylist()}
    fees: dict[str, float] = {}
    for item in items:
        parcel = parcels.get(item["shipment_id"])
        if item.get("duty_free") or parcel is None or parcel.get("arrival_date") is None:
            fees[item["item_id"]] = 0.0
            continue
        given = item.get("corrected_value")
        charges = parcel_entry_fees(
            parcel["arrival_date"],
            given if given is not None else parcel.get("declared_value") or 0.0,
            parcel.get("mode"),
            parcel.get("entry_type"),
            parcel.get("filer_type"),
            item.get("duty", 1.0),
        )
        fees[item["item_id"]] = float(sum(f.amount for f in charges))
    return fees


def corrected_duty(
    shipments: pa.Table, lines: pa.Table, corrections: list[dict], unit: str = "parcel"
) -> dict:
    """Duty owed per corrected item: lines re-rated with the corrected HTS / origin and their values scaled
    to the corrected value; 0 where the duty-free claim stands. corrections: item_id, shipment_id,
    line_no, corrected_value, corrected_hts, corrected_origin, duty_free."""
    return {k: net for k, (net, _) in _rate_corrected(shipments, lines, corrections, unit).items()}


def refundable_duty(
    shipments: pa.Table, lines: pa.Table, corrections: list[dict], unit: str = "parcel"
) -> dict:
    """Refundable IEEPA duty per corrected item (the part `corrected_duty` leaves out); 0 where the
    duty-free claim stands. Same corrections as `corrected_duty`."""
    return {
        k: refundable for k, (_, refundable) in _rate_corrected(shipments, lines, corrections, unit).items()
    }


def _corrected_parcels(shipments: pa.Table, lines: pa.Table, corrections: list[dict], unit: str) -> pa.Table:
    """The parcels with their declared value corrected (a parcel audit's corrected value; a line audit's
    declared value moved by each corrected line's difference), so the limits that belong to a parcel (de
    minimis, the $800 postal limit) are judged on the corrected value, as quote() judges them."""
    declared = dict(
        zip(shipments["shipment_id"].to_pylist(), shipments["declared_value"].to_pylist(), strict=True)
    )
    old_line = {(r["shipment_id"], r["line_no"]): r["value"] or 0.0 for r in lines.to_pylist()}
    for fix in corrections:
        if fix.get("corrected_value") is None or fix["shipment_id"] not in declared:
            continue
        if unit == "parcel":
            declared[fix["shipment_id"]] = fix["corrected_value"]
        else:
            before = old_line.get((fix["shipment_id"], fix["line_no"]), 0.0)
            base = declared[fix["shipment_id"]] or 0.0
            declared[fix["shipment_id"]] = base + fix["corrected_value"] - before
    values = pa.array([declared[i] for i in shipments["shipment_id"].to_pylist()], pa.float64())
    return shipments.set_column(shipments.column_names.index("declared_value"), "declared_value", values)


def _rate_corrected(shipments: pa.Table, lines: pa.Table, corrections: list[dict], unit: str) -> dict:
    """Per corrected item: (duty net of refundable duties, refundable duty), each rounded to cents."""
    if not corrections:
        return {}
    ids = pa.array(sorted({c["shipment_id"] for c in corrections}))
    sub_s = shipments.filter(pc.is_in(shipments["shipment_id"], ids))
    sub_l = lines.filter(pc.is_in(lines["shipment_id"], ids))
    by_parcel = {c["shipment_id"]: c for c in corrections} if unit == "parcel" else {}
    by_line = {(c["shipment_id"], c["line_no"]): c for c in corrections} if unit == "line" else {}
    rows = sub_l.to_pylist()
    parcel_lines: dict[str, float] = {}
    line_count: dict[str, int] = {}
    for row in rows:
        parcel_lines[row["shipment_id"]] = parcel_lines.get(row["shipment_id"], 0.0) + (row["value"] or 0.0)
        line_count[row["shipment_id"]] = line_count.get(row["shipment_id"], 0) + 1
    for row in rows:
        fix = by_parcel.get(row["shipment_id"]) or by_line.get((row["shipment_id"], row["line_no"]))
        if fix is None:
            row["value"] = 0.0  # a line audit only re-rates the sampled lines
            continue
        if fix.get("corrected_hts"):
            row["hts_code"] = fix["corrected_hts"]
        if fix.get("corrected_origin"):
            row["country_of_origin"] = fix["corrected_origin"]
        if fix.get("corrected_value") is not None:
            if unit == "line":
                row["value"] = fix["corrected_value"]
            else:
                declared = parcel_lines.get(row["shipment_id"]) or 0.0
                # Spread the corrected parcel value over its lines in proportion to the declared line values.
                share = (row["value"] or 0.0) / declared if declared else 1.0 / line_count[row["shipment_id"]]
                row["value"] = fix["corrected_value"] * share
    fixed_lines = pa.Table.from_pylist(rows, schema=sub_l.schema) if rows else sub_l
    duty = line_duty(_corrected_parcels(sub_s, sub_l, corrections, unit), fixed_lines)
    owed: dict[str, list[float]] = {}
    for row in duty.select(["shipment_id", "line_no", "duty", "refundable"]).to_pylist():
        key = row["shipment_id"] if unit == "parcel" else f"{row['shipment_id']}#{row['line_no']}"
        total = owed.setdefault(key, [0.0, 0.0])
        total[0] += row["duty"] or 0.0
        total[1] += row["refundable"] or 0.0
    return {
        c["item_id"]: (0.0, 0.0)
        if c.get("duty_free")
        else tuple(round(x, 2) for x in owed.get(c["item_id"], (0.0, 0.0)))
        for c in corrections
    }
