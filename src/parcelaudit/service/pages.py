"""Server-rendered pages: sign-in, the queue, an item (parcel or hit), a parcel, decisions by form.

Every form POST carries the session's CSRF token; every page is rendered with autoescaping, so user text
(names, reasons, addresses) is shown as text.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from parcelaudit.service import queue, reads, signin
from parcelaudit.service.export import csv_response
from parcelaudit.service.queue import QueueError
from parcelaudit.service.web import check_csrf, client_address, page_user, render, save, sign_in, sign_out
from parcelaudit.store import utc_now
from parcelaudit.store import workbench as sql

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50  # items per queue page
CSV_ROWS = 100_000  # at most this many items in the queue's CSV
Csrf = Annotated[str | None, Form(alias="csrf_token")]
QUEUE_CSV = (
    "id",
    "kind",
    "status",
    "sla",
    "shipment_id",
    "reasons",
    "due",
    "assignee",
    "outcome",
    "decided_by",
    "approved_by",
    "party_name",
    "list_code",
    "entry_id",
    "matched_name",
    "score",
)


def _safe_next(target: str | None) -> str:
    """Only a local path is followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/queue"


def _back(url: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    query = {k: v for k, v in (("message", message), ("error", error)) if v}
    return RedirectResponse(url + (("?" + urlencode(query)) if query else ""), status_code=303)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login")
def login_page(request: Request, next: Annotated[str | None, Query(alias="next", max_length=500)] = None):
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    csrf_token: Csrf = None,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=500)] = "/queue",
):
    check_csrf(request, csrf_token)
    state = request.app.state
    try:
        user = signin.sign_in(state.store, state.settings, name, password, client_address(request))
    except signin.SignInThrottled as throttled:
        response = render(
            request, "login.html", status_code=429, next=_safe_next(next), error=throttled.message
        )
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    if user is None:
        return render(
            request, "login.html", status_code=401, next=_safe_next(next), error="wrong name or password"
        )
    sign_in(request, user)
    return save(request, RedirectResponse(_safe_next(next), status_code=303))


@router.post("/logout")
def logout(request: Request, csrf_token: Csrf = None):
    check_csrf(request, csrf_token)
    sign_out(request)
    return save(request, RedirectResponse("/login", status_code=303))


def _queue_filters(kind, status, assignee, reason, overdue) -> dict:
    return {
        "kind": kind or None,
        "status": status or None,
        "assignee": assignee or None,
        "reason": reason or None,
        "overdue": overdue,
    }


@router.get("/queue")
def queue_page(
    request: Request,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    message: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
    format: Annotated[str | None, Query(max_length=10)] = None,
):
    from parcelaudit.service.app import refresh_if_due

    user = page_user(request)
    refresh_if_due(request.app)
    filters = _queue_filters(kind, status, assignee, reason, overdue)
    now = utc_now()
    if format == "csv":
        with request.app.state.store() as store:
            rows, _ = sql.list_items(store, filters, now, CSV_ROWS, 0)
        items = (queue.public(r, now) for r in rows)
        return csv_response(
            "queue.csv",
            QUEUE_CSV,
            ([i.get(c) if c != "reasons" else ";".join(i["reasons"]) for c in QUEUE_CSV] for i in items),
        )
    size = PAGE_ROWS
    rows, total = reads.queue_items(request.app.state, filters, now, size, (page - 1) * size)
    counts = reads.queue_counts(request.app.state, now)
    if user.may("supervisor"):
        with request.app.state.store() as store:
            names = [u["name"] for u in sql.list_users(store)]
    else:
        names = []
    items = [queue.public(r, now) for r in rows]
    by_kind: dict[str, dict] = {}
    for row in counts:
        entry = by_kind.setdefault(row["kind"], {"open": 0, "overdue": 0, "due_soon": 0, "decided": 0})
        entry["decided" if row["status"] == "decided" else "open"] += row["items"]
        entry["overdue"] += row["overdue"] or 0
        entry["due_soon"] += row["due_soon"] or 0
    query = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "queue.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        by_kind=by_kind,
        filters=filters,
        query=urlencode(query),
        users=names,
        message=message,
        error=error,
    )


@router.post("/queue/bulk")
def queue_bulk(
    request: Request,
    csrf_token: Csrf = None,
    ids: Annotated[list[int] | None, Form()] = None,
    op: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str | None, Form(max_length=20)] = None,
    reason: Annotated[str | None, Form(max_length=4000)] = None,
    assignee: Annotated[str | None, Form(max_length=64)] = None,
):
    check_csrf(request, csrf_token)
    user = page_user(request, "supervisor")
    if not ids:
        return _back("/queue", error="select at least one item")
    with request.app.state.store() as store:
        try:
            done = queue.bulk(
                store,
                request.app.state.settings,
                user,
                ids,
                op,
                action=action or None,
                reason=reason,
                assignee=assignee or None,
            )
        except QueueError as failure:
            return _back("/queue", error=failure.message)
    failed = "; ".join(f"{f['id']}: {f['error']}" for f in done["failed"])
    return _back("/queue", message=f"{len(done['done'])} item(s) done", error=failed or None)


@router.post("/queue/refresh")
def queue_refresh(request: Request, csrf_token: Csrf = None):
    check_csrf(request, csrf_token)
    user = page_user(request, "supervisor")
    with request.app.state.store() as store:
        result = queue.refresh(store, request.app.state.settings, user)
    return _back("/queue", message=f"check run {result['run_id']}: {result['items']} new item(s)")


def _entry_of(item: dict) -> dict | None:
    """The listed entry a hit points to, as the lists hold it now (names, aliases, countries, program)."""
    from parcelaudit.screening.lists import default_screener

    for entry in default_screener().entries:
        if (
            entry.list_code.upper() == (item["list_code"] or "").upper()
            and entry.entry_id == item["entry_id"]
        ):
            return {
                "name": entry.name,
                "aliases": list(entry.aliases),
                "addresses": list(entry.addresses),
                "countries": list(entry.countries),
                "program": entry.program,
                "listed_on": entry.listed_on,
                "changed": bool(item["entry_sha256"]) and entry.content_hash() != item["entry_sha256"],
            }
    return None


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: int,
    message: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
):
    user = page_user(request)
    with request.app.state.store() as store:
        try:
            item = queue.get(store, item_id)
        except QueueError:
            return render(request, "error.html", status_code=404, message=f"no item {item_id}")
        history = queue.history(store, item_id)
        parcel = _parcel(store, item["shipment_id"]) if item["kind"] != "hit" else None
    shown = queue.public(item, utc_now())
    actions = queue.HIT_ACTIONS if item["kind"] == "hit" else queue.PARCEL_ACTIONS
    return render(
        request,
        "item.html",
        item=shown,
        history=history,
        parcel=parcel,
        entry=_entry_of(item) if item["kind"] == "hit" else None,
        actions=actions,
        can_decide=user.may("analyst")
        and item["status"] in queue.OPEN_STATUSES
        and (item["status"] != "escalated" or user.may("supervisor")),
        can_approve=user.may("supervisor")
        and item["status"] == "pending_approval"
        and item["pending_by"] != user.name,
        can_reopen=user.may("supervisor") and item["status"] in ("decided", "pending_approval"),
        message=message,
        error=error,
    )


def _item_action(request: Request, item_id: int, csrf_token: str | None, do) -> Response:
    check_csrf(request, csrf_token)
    user = page_user(request, "analyst")
    with request.app.state.store() as store:
        try:
            item = do(store, request.app.state.settings, user)
        except QueueError as failure:
            if failure.status == 404:
                return render(request, "error.html", status_code=404, message=failure.message)
            return _back(f"/items/{item_id}", error=failure.message)
    return _back(f"/items/{item_id}", message=f"item {item_id}: {item['status'].replace('_', ' ')}")


@router.post("/items/{item_id}/decision")
def item_decision(
    request: Request,
    item_id: int,
    csrf_token: Csrf = None,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str | None, Form(max_length=4000)] = None,
):
    return _item_action(
        request, item_id, csrf_token, lambda s, st, u: queue.decide(s, st, u, item_id, action, reason)
    )


@router.post("/items/{item_id}/assign")
def item_assign(
    request: Request,
    item_id: int,
    csrf_token: Csrf = None,
    assignee: Annotated[str | None, Form(max_length=64)] = None,
):
    return _item_action(
        request, item_id, csrf_token, lambda s, st, u: queue.assign(s, st, u, item_id, assignee or None)
    )


@router.post("/items/{item_id}/{verb}")
def item_review(
    request: Request,
    item_id: int,
    verb: Literal["approve", "reopen"],
    csrf_token: Csrf = None,
    reason: Annotated[str | None, Form(max_length=4000)] = None,
):
    """A supervisor's approval of a pending request, or a reopening."""
    act = queue.approve if verb == "approve" else queue.reopen
    return _item_action(request, item_id, csrf_token, lambda s, st, u: act(s, st, u, item_id, reason))


def _parcel(store, shipment_id: str) -> dict | None:
    """Everything the parcel page shows: data, findings with evidence and citations, duty, trace verdict, the
    decision, and every item about it with its history. None when the store has no such parcel."""
    from parcelaudit.errors import ParcelAuditError
    from parcelaudit.pipeline import explain_shipment

    try:
        explained = explain_shipment(store, shipment_id)
    except ParcelAuditError:
        return None
    findings = []
    for finding in explained["findings"]:
        try:
            evidence = json.loads(finding.get("evidence") or "{}")
        except ValueError:
            evidence = {"text": finding.get("evidence")}
        findings.append({**finding, "evidence": evidence})
    trace = [f["evidence"] for f in findings if f["rule_id"] == "FL-TRACE"]
    items = sql.items_of_shipment(store, shipment_id)
    return {
        "shipment": explained["shipment"],
        "lines": explained["lines"],
        "findings": findings,
        "decision": explained["decision"],
        "duty": explained["duty"],
        "run_id": explained["run_id"],
        "trace": trace,
        "items": [{**i, "history": queue.history(store, i["item_id"])} for i in items],
    }


@router.get("/parcels/{shipment_id}")
def parcel_page(request: Request, shipment_id: str):
    page_user(request)
    with request.app.state.store() as store:
        parcel = _parcel(store, shipment_id)
    if parcel is None:
        return render(
            request, "error.html", status_code=404, message=f"no parcel {shipment_id!r} in the store"
        )
    return render(request, "parcel.html", parcel=parcel)
