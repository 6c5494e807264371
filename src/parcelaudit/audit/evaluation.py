"""Evaluation: the projection of the loss of revenue (duty owed minus duty paid) and of the compliance rate
with limits, the demand stated explicitly, and the 19 U.S.C. 1592(c) penalty exposure.

The demand is by default the lower limit of the two-sided 90% interval of the projected underpayment (an
amount the auditor is 95% confident is owed at least); "point" and "upper" are the other bases.
"""

from __future__ import annotations

from parcelaudit.audit.attributes import DEFAULT_LEVELS, appraise_attribute
from parcelaudit.audit.penalties import (
    DE_MINIMIS_PENALTY_FROM,
    de_minimis_penalty,
    penalty_bases,
    penalty_exposure,
)
from parcelaudit.audit.population import DUTY_FREE_ENTRY_TYPES, parcel_fees, refundable_duty
from parcelaudit.audit.projection import METHODS, StratumSample, project_stratified, stratum_part
from parcelaudit.audit.variables import appraise_stratified
from parcelaudit.errors import ParcelAuditError

DEMAND_BASES = ("lower", "point", "upper")
# How items the auditor could not test enter the projection. AICPA (Audit Sampling guide, "unexamined
# sample items"): treat them as deviations/misstatements unless the auditor justifies leaving them out.
UNTESTED_TREATMENTS = ("error", "exclude")


def treat_untested(items: list[dict], treatment: str) -> tuple[list[dict], dict]:
    """The items that enter the projection and a statement of how untested items were treated: as errors
    (the duty owed with any duty-free claim denied, counted as deviations) or excluded (only when every
    untested item has a reason; the sample of its stratum shrinks)."""
    if treatment not in UNTESTED_TREATMENTS:
        raise ParcelAuditError(
            f"unknown treatment of untested items {treatment!r}",
            field="--untested",
            hint=" or ".join(UNTESTED_TREATMENTS),
        )
    untested = [i for i in items if i.get("test") == "not_tested"]
    if treatment == "exclude":
        unjustified = [i["item_id"] for i in untested if not i.get("reason")]
        if unjustified:
            raise ParcelAuditError(
                f"{len(unjustified)} untested item(s) have no reason, e.g. {unjustified[0]!r}",
                field="reason",
                hint="record why each was not tested, or evaluate with --untested error (AICPA default)",
            )
        kept = [i for i in items if i.get("test") != "not_tested"]
        statement = (
            f"{len(untested)} untested item(s) excluded with the reasons recorded; "
            "the sample of their strata is smaller by that many"
        )
    else:
        kept = [{**i, "in_error": True} if i.get("test") == "not_tested" else i for i in items]
        statement = (
            f"{len(untested)} untested item(s) treated as errors (AICPA): counted as deviations, duty owed "
            "taken as the duty on the declared goods with any duty-free claim denied"
        )
    if not untested:
        statement = "every sampled item was tested"
    return kept, {"treatment": treatment, "count": len(untested), "statement": statement}


def _interval(projection) -> dict:
    point, lower, upper = projection.loss
    return {
        "point": point,
        "lower": lower,
        "upper": upper,
        "se": projection.se,
        "critical_value": projection.critical_value,
    }


def check_evaluation(method: str, demand: str) -> None:
    """A user error unless method is an estimator (METHODS) and demand a demand basis (DEMAND_BASES)."""
    if method not in METHODS or demand not in DEMAND_BASES:
        raise ParcelAuditError(
            f"unknown method {method!r} or demand basis {demand!r}",
            field="method",
            hint=f"methods: {', '.join(METHODS)}; demand: {', '.join(DEMAND_BASES)}",
        )


def evaluate(
    items: list[dict],
    strata: list[dict],
    untested_treatment: dict,
    *,
    scope: tuple | None = None,
    unit: str = "parcel",
    method: str = "difference",
    confidence: float = 0.90,
    demand: str = "lower",
    interest_rate: float | None = None,
) -> dict:
    """Project the loss of revenue and the compliance rate with limits, state the demand and the penalty
    exposure. items: the tested items as `treat_untested` leaves them; strata: the plan's strata; scope:
    (shipments, lines) of the audit, needed to re-rate the items in error (None when none is)."""
    check_evaluation(method, demand)
    by_stratum = {s["stratum"]: [i for i in items if i["stratum"] == s["stratum"]] for s in strata}

    def samples(book_key: str, audited_key: str, total_key: str) -> list[StratumSample]:
        return [
            StratumSample(
                [i[book_key] for i in by_stratum[s["stratum"]]],
                [
                    i[audited_key] if i[audited_key] is not None else i[book_key]
                    for i in by_stratum[s["stratum"]]
                ],
                s["population"],
                s[total_key],
            )
            for s in strata
            if by_stratum[s["stratum"]]
        ]

    duty_samples = samples("book_duty", "audited_duty", "duty_total")
    levels = sorted({*DEFAULT_LEVELS, confidence})
    loss = {f"{c:.2f}": _interval(project_stratified(duty_samples, method, c)) for c in levels}
    by_method = {m: _interval(project_stratified(duty_samples, m, confidence)) for m in METHODS}
    parts = [stratum_part(sample, method, confidence) for sample in duty_samples]
    value = _interval(
        project_stratified(samples("book_value", "corrected_value", "book_total"), method, confidence)
    )
    chosen = loss[f"{confidence:.2f}"]
    amount = max(chosen[demand], 0.0)
    compliance = _compliance(strata, by_stratum, confidence)
    bases = _penalty_bases(scope, unit, strata, by_stratum, amount)
    penalties = penalty_exposure(
        amount + bases["projected"]["lost_fees"] + bases["projected"]["refundable_excluded"],
        bases["projected"]["dutiable_value"],
        bases["projected"]["domestic_value"],
        **({"interest_rate": interest_rate} if interest_rate is not None else {}),
        refundable=bases["projected"]["refundable_excluded"],
    )
    detail = {
        "method": method,
        "confidence": confidence,
        "demand_basis": demand,
        "demand_statement": (
            f"Demand = {demand} {'limit' if demand != 'point' else 'estimate'} of the two-sided "
            f"{confidence:.0%} interval of the projected underpayment ({method} estimator)"
        ),
        "loss": loss,
        "loss_by_method": by_method,
        "undervaluation": value,
        "demand": amount,
        "compliance": compliance,
        "untested": untested_treatment,
        "penalties": [p.__dict__ for p in penalties],
        "penalty_bases": bases,
        "de_minimis": de_minimis_exposure(strata, by_stratum),
        "population": {
            "items": sum(s["population"] for s in strata),
            "declared_value": sum(s["book_total"] for s in strata),
            "duty_paid": sum(s["duty_total"] for s in strata),
        },
        "sample": {
            "items": len(items),
            "in_error": sum(1 for i in items if i["in_error"]),
            "book_duty": sum(i["book_duty"] for i in items),
            "audited_duty": sum(i["audited_duty"] for i in items),
        },
        "stratum_projections": parts,
        "strata": [
            {
                **s,
                "tested": len(by_stratum[s["stratum"]]),
                "errors": sum(1 for i in by_stratum[s["stratum"]] if i["in_error"]),
                "sample_underpayment": sum(
                    i["audited_duty"] - i["book_duty"] for i in by_stratum[s["stratum"]]
                ),
            }
            for s in strata
        ],
    }
    return detail


def _expansion(stratum: dict, tested: list[dict]) -> float:
    """N_h / n_h: how many population items one tested item of the stratum stands for (1 in a 100% stratum)."""
    return stratum["population"] / len(tested)


def _penalty_bases(
    scope: tuple | None, unit: str, strata: list[dict], by_stratum: dict, demand: float
) -> dict:
    """The 1592(c) bases of the merchandise involved in the violations: from the sampled items in error
    (dutiable value = corrected value, else declared; lost duties and their refundable IEEPA part from the
    duty owed re-rated on the corrections against the duty paid), projected per stratum by N_h / n_h."""
    errors = [i for s in strata for i in by_stratum[s["stratum"]] if i["in_error"]]
    refundable_owed = refundable_paid = lost_fees = {}
    if errors:
        shipments, lines = scope
        keys = ("item_id", "shipment_id", "line_no")
        owed = [
            {
                **{k: i[k] for k in (*keys, "corrected_value", "corrected_hts", "corrected_origin")},
                "duty_free": bool(i["duty_free"]),  # untested: the claim denied, as their duty owed
            }
            for i in errors
        ]
        paid = [
            {**{k: i[k] for k in keys}, "duty_free": i["entry_type"] in DUTY_FREE_ENTRY_TYPES} for i in errors
        ]
        refundable_owed = refundable_duty(shipments, lines, owed, unit)
        refundable_paid = refundable_duty(shipments, lines, paid, unit)
        if unit == "parcel":  # fees belong to an entry: a line audit cannot attribute them
            by_id = {i["item_id"]: i for i in errors}
            fees_owed = parcel_fees(
                shipments,
                [
                    {
                        **o,
                        "corrected_value": by_id[o["item_id"]]["corrected_value"],
                        "duty": by_id[o["item_id"]]["audited_duty"],
                    }
                    for o in owed
                ],
            )
            fees_paid = parcel_fees(
                shipments, [{**p, "duty": by_id[p["item_id"]]["book_duty"]} for p in paid]
            )
            lost_fees = {k: max(round(fees_owed[k] - fees_paid[k], 2), 0.0) for k in fees_owed}
    sample = {
        "lost_duties": 0.0,
        "lost_fees": 0.0,
        "refundable_excluded": 0.0,
        "dutiable_value": 0.0,
        "domestic_value": 0.0,
    }
    projected = dict(sample)
    for s in strata:
        tested = by_stratum[s["stratum"]]
        involved = []
        for i in tested:
            if not i["in_error"]:
                continue
            refundable = max(refundable_owed[i["item_id"]] - refundable_paid[i["item_id"]], 0.0)
            involved.append(
                {
                    "in_error": True,
                    "dutiable_value": i["book_value"]
                    if i["corrected_value"] is None
                    else i["corrected_value"],
                    "lost": i["audited_duty"] - i["book_duty"] + refundable,
                    "refundable": refundable,
                }
            )
        if not involved:
            continue
        part = penalty_bases(involved)
        factor = _expansion(s, tested)
        fees = sum(lost_fees.get(i["item_id"], 0.0) for i in tested if i["in_error"])
        for key in sample:
            amount = fees if key == "lost_fees" else getattr(part, key)
            sample[key] += amount
            projected[key] += amount * factor
    projected["lost_duties"] = demand
    return {
        "sample": {**sample, "items": len(errors)},
        "projected": projected,
        "domestic_value_estimated": bool(errors),
        "statement": (
            "Bases of the merchandise involved in the violations, not the whole population: the sampled items "
            "in error (untested items counted as errors are included), each stratum's sums scaled by N_h / n_h "
            "(a 100% stratum counts exactly). Dutiable value = corrected value, else declared; domestic value "
            "estimated as dutiable value + duty owed (no US selling price recorded; a floor, flagged); lost "
            "duties = the demand, net of refundable IEEPA duties (the refundable part is shown and excluded); "
            "lost fees = the merchandise processing, mail and harbor maintenance fees the corrected entries owe "
            "beyond those paid, charged once per entry (19 CFR 24.22-24.24; parcel audits only, a line cannot "
            "carry an entry's fee), scaled by N_h / n_h and added to the loss the penalties rest on."
        ),
    }


def de_minimis_exposure(strata: list[dict], by_stratum: dict) -> dict:
    """De minimis violations found (tested items whose duty-free claim was denied) and the statutory
    penalty for those on or after its effective date, in the sample and projected by N_h / n_h."""
    found = before = 0
    projected = 0.0
    first = None
    for s in strata:
        tested = by_stratum[s["stratum"]]
        denied = [
            i
            for i in tested
            if i.get("test") == "error"
            and i["entry_type"] in DUTY_FREE_ENTRY_TYPES
            and i["duty_free"] is False
        ]
        liable = [i for i in denied if i["arrival_date"] >= DE_MINIMIS_PENALTY_FROM]
        found += len(liable)
        before += len(denied) - len(liable)
        if liable:
            projected += len(liable) * _expansion(s, tested)
            first = min([first or liable[0]["arrival_date"], *(i["arrival_date"] for i in liable)])
    on = first or DE_MINIMIS_PENALTY_FROM
    found_penalty, citation, status = de_minimis_penalty(found, on)
    projected_count = round(projected)
    return {
        "violations_found": found,
        "violations_before_effective_date": before,
        "penalty_found": found_penalty,
        "violations_projected": projected_count,
        "penalty_projected": de_minimis_penalty(projected_count, on)[0],
        "effective_from": DE_MINIMIS_PENALTY_FROM.isoformat(),
        "citation": citation,
        "status": status,
    }


def _compliance(strata: list[dict], by_stratum: dict, confidence: float) -> dict:
    """Share of items without error, with limits: exact hypergeometric for one stratum, else stratified (z)."""
    total = sum(s["population"] for s in strata)
    errors = {s["stratum"]: [1.0 if i["in_error"] else 0.0 for i in by_stratum[s["stratum"]]] for s in strata}
    tested = [s for s in strata if errors[s["stratum"]]]
    if len(tested) == 1 and not tested[0]["certainty"]:
        s = tested[0]
        result = appraise_attribute(
            s["population"], len(errors[s["stratum"]]), int(sum(errors[s["stratum"]])), confidence=confidence
        )
        limits = result.limits[confidence]
        projected, low, high, basis = result.projected, limits.lower, limits.upper, "exact hypergeometric"
    else:
        result = appraise_stratified(
            [(errors[s["stratum"]], s["population"]) for s in tested], levels=(confidence,)
        )
        limits = result.limits[confidence]
        projected, low, high = result.point, max(limits.lower, 0.0), min(limits.upper, total)
        basis = "stratified normal approximation" if len(tested) > 1 else "Student t"
    return {
        "rate": 1 - projected / total,
        "lower": 1 - high / total,
        "upper": 1 - low / total,
        "errors_projected": projected,
        "errors_lower": low,
        "errors_upper": high,
        "basis": basis,
        "confidence": confidence,
    }
