"""Everything behind one parcel's decision, for `parcelaudit explain`: its data, money, rules in force,
findings and duty, from the latest stored run that judged it (or checked now)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.decide import load_severity_policy
from parcelaudit.duty.coverage import measures_in_force
from parcelaudit.errors import ParcelAuditError
from parcelaudit.pipeline.run import run_check
from parcelaudit.reference.currency import load_rates_file
from parcelaudit.reference.hts import normalise_hts
from parcelaudit.rules.context import conform
from parcelaudit.rules.duty import duty_entry_type, duty_mode, parcel_entry_fees, quote_parts
from parcelaudit.rules.policy import load_policy
from parcelaudit.rules.registry import all_rules
from parcelaudit.rules.values import money_in_usd
from parcelaudit.schema import DE_MINIMIS_ENTRY_TYPES, LINES, SHIPMENTS
from parcelaudit.store import Store
from parcelaudit.store.checks import latest_run_judging, read_judgement, read_shipment, run_screening_sources


def explain_shipment(
    store: Store, shipment_id: str, policy: Path | str | None = None, rates: Path | str | None = None
) -> dict:
    """Everything behind one parcel's decision: its data, the rules in force on its date, findings, duty.

    Uses the latest stored check run that judged the parcel; without one, checks the parcel's arrival
    day (and the other parcels of its order) now, without storing the result.
    """
    shipment, lines = read_shipment(store, shipment_id)
    if shipment is None:
        raise ParcelAuditError(
            f"no shipment {shipment_id!r} in the store",
            file=store.location,
            field="shipment_id",
            hint="check the id, or ingest the data first",
        )
    run = latest_run_judging(store, shipment_id)
    if run is not None:
        findings, decision, duty = read_judgement(store, run, shipment_id)
        for line in duty:
            line["measures"] = line.pop("components")
    else:
        day = shipment["arrival_date"]
        result = run_check(store, day, day, policy, persist=False, rates=rates)
        keep = pc.equal(result.findings["shipment_id"], shipment_id)
        findings = result.findings.filter(keep).to_pylist()
        decision = result.decisions.filter(
            pc.equal(result.decisions["shipment_id"], shipment_id)
        ).to_pylist()[0]
        duty = result.line_duty.filter(pc.equal(result.line_duty["shipment_id"], shipment_id)).to_pylist()
    severity = load_severity_policy(policy)
    [money], money_lines = money_in_usd(
        conform(pa.Table.from_pylist([shipment]), SHIPMENTS.arrow_schema),
        conform(pa.Table.from_pylist(lines), LINES.arrow_schema),
        load_rates_file(rates) if rates else None,
        int(severity.settings.max_rate_age_days),
    )
    usd_of_line = {line["line_no"]: line for line in money_lines}
    for line in lines:
        line["value_usd"] = usd_of_line[line["line_no"]]["value"]
        line["value_basis"] = usd_of_line[line["line_no"]]["value_basis"]
    data = load_policy()
    on = shipment["arrival_date"]
    # The quote behind each line's duty, for its US-dollar value, the parcel's mode and entry type and its
    # value (the figures the check stored come from the same quote).
    mode = duty_mode(shipment["mode"], shipment["entry_type"], shipment["filer_type"])
    entry_type = duty_entry_type(shipment["entry_type"], money["declared_value"])
    for line in duty:
        usd = usd_of_line[line["line_no"]]
        line["parts"] = quote_parts(
            line["hts"],
            line["origin"],
            on,
            usd["value"] or 0.0,
            mode=mode,
            entry_type=entry_type,
            shipment_value=money["declared_value"],
            metal_value=usd.get("metal_value"),
        )
    # The entry's fees, once per entry; none where a de minimis claim stands (no DM-* finding).
    claim_stands = shipment["entry_type"] in DE_MINIMIS_ENTRY_TYPES and not any(
        f["rule_id"].startswith("DM-") for f in findings
    )
    fees = (
        []
        if claim_stands or money["declared_value"] is None
        else [
            f.__dict__
            for f in parcel_entry_fees(
                on,
                money["declared_value"],
                shipment["mode"],
                shipment["entry_type"],
                shipment["filer_type"],
                decision["duty_owed"] if decision else 0.0,
            )
        ]
    )
    origins = sorted({line["country_of_origin"] or shipment["country_of_shipment"] for line in lines})
    codes = [normalise_hts(line["hts_code"] or "") for line in lines]

    def applies(row: dict) -> bool:
        prefix = row.get("hts_prefix", "*")
        return prefix == "*" or any(code.startswith(prefix) for code in codes)

    in_force = {
        "de_minimis_thresholds": [
            r
            for r in data.in_force("de_minimis_thresholds", on)
            if r["country"] in ("*", shipment["country_of_shipment"])
        ],
        "de_minimis_suspensions": [
            r for r in data.in_force("de_minimis_suspensions", on) if r["country"] in ("*", *origins)
        ],
        "additional_duties": measures_in_force(on, origins, codes),
        "excluded_goods": [r for r in data.in_force("excluded_goods", on) if applies(r)],
        "uflpa_sectors": [r for r in data.in_force("uflpa_sectors", on) if applies(r)],
    }
    rules = [(r.rule_id, r.scope, r.title, r.citation) for r in all_rules().values()]
    return {
        "shipment": shipment,
        "money": money,
        "lines": lines,
        "run_id": run,
        "findings": findings,
        "decision": decision,
        "duty": duty,
        "fees": fees,
        "in_force": in_force,
        "rules": rules,
        **run_screening_sources(store, run),
    }
