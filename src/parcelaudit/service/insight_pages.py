"""The dashboard (hold rate by day, time to decision, top reasons) and the log page, each with a CSV export."""

from __future__ import annotations

import json
import statistics
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from markupsafe import Markup

from parcelaudit.service import ledger
from parcelaudit.service.charts import bar_chart_horizontal, rate_chart
from parcelaudit.service.export import csv_response
from parcelaudit.service.web import check_csrf, page_user, render
from parcelaudit.store import workbench as sql

router = APIRouter(include_in_schema=False)


def dashboard_data(store) -> dict:
    """Hold and review rates per arrival day of the latest run, time to decision per kind, top reasons."""
    run_id = sql.latest_run_id(store)
    days = sql.hold_rate_by_day(store, run_id) if run_id is not None else []
    reasons = sql.reason_counts(store, run_id) if run_id is not None else []
    by_kind: dict[str, list[float]] = {}
    for item in sql.decided_items(store):
        hours = (item["decided_at"] - item["created_at"]).total_seconds() / 3600
        by_kind.setdefault(item["kind"], []).append(hours)
    times = [
        {
            "kind": kind,
            "decided": len(hours),
            "median_hours": round(statistics.median(hours), 2),
            "p90_hours": round(sorted(hours)[max(0, int(0.9 * len(hours)) - 1)], 2) if hours else None,
        }
        for kind, hours in sorted(by_kind.items())
    ]
    return {"run_id": run_id, "days": days, "reasons": reasons, "times": times}


@router.get("/dashboard")
def dashboard(
    request: Request,
    format: Annotated[str | None, Query(max_length=10)] = None,
    table: Annotated[str | None, Query(max_length=20)] = None,
):
    page_user(request)
    with request.app.state.store() as store:
        data = dashboard_data(store)
    if format == "csv":
        if table == "reasons":
            return csv_response(
                "reasons.csv", ("rule_id", "parcels"), ((r["rule_id"], r["parcels"]) for r in data["reasons"])
            )
        if table == "times":
            columns = ("kind", "decided", "median_hours", "p90_hours")
            return csv_response(
                "time_to_decision.csv", columns, ([t[c] for c in columns] for t in data["times"])
            )
        columns = ("day", "parcels", "held", "reviewed")
        return csv_response("hold_rate_by_day.csv", columns, ([d[c] for c in columns] for d in data["days"]))
    rates = [
        (str(d["day"]), (d["held"] or 0) / d["parcels"], (d["reviewed"] or 0) / d["parcels"])
        for d in data["days"]
        if d["parcels"]
    ]
    held = sum(d["held"] or 0 for d in data["days"])
    parcels = sum(d["parcels"] for d in data["days"])
    return render(
        request,
        "dashboard.html",
        data=data,
        hold_rate=(held / parcels) if parcels else None,
        rate_svg=Markup(rate_chart(rates, "Hold and review rate by arrival day")),
        reasons_svg=Markup(
            bar_chart_horizontal(
                [(r["rule_id"], r["parcels"]) for r in data["reasons"][:12]], "Top reasons (parcels)"
            )
        ),
        times_svg=Markup(
            bar_chart_horizontal(
                [(t["kind"], t["median_hours"]) for t in data["times"]], "Median hours to decision", unit=" h"
            )
        ),
    )


LOG_CSV = ("seq", "recorded_at", "actor", "role", "action", "subject", "reason", "entry_hash", "prev_hash")


@router.get("/log")
def log_page(
    request: Request,
    format: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
):
    page_user(request)
    with request.app.state.store() as store:
        rows = sql.log_entries(store) if format == "csv" else sql.log_entries(store, limit=limit)
        marks = sql.checkpoints(store)
    entries = [{**r, "payload": json.loads(r["payload"])} for r in rows]
    if format == "csv":
        return csv_response(
            "log.csv",
            LOG_CSV,
            ([e["payload"].get("reason") if c == "reason" else e[c] for c in LOG_CSV] for e in entries),
        )
    return render(request, "log.html", entries=entries[::-1], checkpoints=marks[-10:][::-1], verdict=None)


@router.post("/log/verify")
def log_verify(request: Request, csrf_token: Annotated[str | None, Form(alias="csrf_token")] = None):
    check_csrf(request, csrf_token)
    page_user(request, "supervisor")
    settings = request.app.state.settings
    with request.app.state.store() as store:
        verdict = ledger.verify_store(store, ledger.load_key(settings.key_file))
        rows = sql.log_entries(store, limit=200)
        marks = sql.checkpoints(store)
    entries = [{**r, "payload": json.loads(r["payload"])} for r in rows]
    return render(request, "log.html", entries=entries[::-1], checkpoints=marks[-10:][::-1], verdict=verdict)
