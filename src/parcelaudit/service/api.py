"""The REST API under /api/v1: Bearer keys, queues, decisions, approvals, batch screening, the log, users."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from parcelaudit.service import accounts, ledger, queue, reads
from parcelaudit.service.accounts import User
from parcelaudit.store import utc_now

router = APIRouter(prefix="/api/v1", tags=["api"])

Kind = Literal["hold", "review", "hit", "trace"]
Status = Literal["open", "escalated", "pending_approval", "decided"]
Action = Literal["release", "hold", "escalate", "false_positive", "true_match", "unsure"]
Role = Literal["viewer", "analyst", "supervisor", "admin"]
ERRORS = {
    401: {"description": "no key, or an unknown key"},
    403: {"description": "the key's role may not do this"},
    422: {"description": "the request is malformed"},
}


def api_user(request: Request) -> User:
    """The user behind the request's Bearer key; 401 without a valid one."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(401, "send Authorization: Bearer KEY", headers={"WWW-Authenticate": "Bearer"})
    user = _cached_user(request, key.strip())
    if user is None:
        raise HTTPException(401, "unknown or revoked key", headers={"WWW-Authenticate": "Bearer"})
    return user


# A key's user is looked up again after this long: a key revoked through another process (the command line on a
# PostgreSQL store, a second server) gets 401 within it; one revoked through this server at once.
KEY_CACHE_SECONDS = 5.0


def _cached_user(request: Request, key: str) -> User | None:
    """The user of a key, remembered for KEY_CACHE_SECONDS (by the key's SHA-256, never the key itself)."""
    import hashlib

    def look_up() -> User | None:
        with request.app.state.store() as store:
            return accounts.user_for_key(store, key)

    digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    return request.app.state.cache.get(("key", digest), KEY_CACHE_SECONDS, look_up)


def role(minimum: str):
    """A dependency: the request's user, or 403 when their role is below `minimum`."""

    def check(user: Annotated[User, Depends(api_user)]) -> User:
        if not user.may(minimum):
            raise HTTPException(403, f"role {user.role} may not do this: {minimum} or above")
        return user

    return check


Viewer = Annotated[User, Depends(role("viewer"))]
Analyst = Annotated[User, Depends(role("analyst"))]
Supervisor = Annotated[User, Depends(role("supervisor"))]
Admin = Annotated[User, Depends(role("admin"))]


class DecisionIn(BaseModel):
    """A decision on an item; a reason is required."""

    action: Action
    reason: str | None = Field(None, max_length=4000, description="why (required)")


class ReasonIn(BaseModel):
    """An approval (reason optional) or a reopening (reason required)."""

    reason: str | None = Field(None, max_length=4000)


class AssignIn(BaseModel):
    """Who the item goes to (null: nobody)."""

    assignee: str | None = Field(None, max_length=64)


# An item id as the store keeps it (BIGINT): a larger number is a 422, never a failed query.
ItemId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class BulkIn(BaseModel):
    """A supervisor's bulk assignment or decision."""

    ids: list[ItemId] = Field(..., min_length=1, max_length=1000)
    op: Literal["assign", "decision"]
    action: Action | None = None
    reason: str | None = Field(None, max_length=4000)
    assignee: str | None = Field(None, max_length=64)


class Query_(BaseModel):
    """One name to screen, with its country when known (ISO 3166-1 alpha-2)."""

    name: str = Field(..., max_length=4000)
    country: str | None = Field(None, max_length=2)


class ScreenIn(BaseModel):
    """Names to screen, keyed by the caller's own ids."""

    queries: dict[str, Query_]


class UserIn(BaseModel):
    """A new user: name, role and an optional password for browser login."""

    name: str = Field(..., max_length=64)
    role: Role
    password: str | None = Field(None, max_length=1000)


def _store(request: Request):
    return request.app.state.store()


def _settings(request: Request):
    return request.app.state.settings


@router.get("/me", summary="Who the key belongs to", responses=ERRORS)
def me(user: Viewer) -> dict:
    return {"name": user.name, "role": user.role}


@router.get("/queue", summary="Queue items, open ones first by due time", responses=ERRORS)
def get_queue(
    request: Request,
    user: Viewer,
    kind: Kind | None = None,
    status: Status | None = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=64, description="a rule id, e.g. SCREEN-UFLPA")] = None,
    shipment_id: Annotated[str | None, Query(max_length=200)] = None,
    unassigned: bool = False,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict:
    from parcelaudit.service.app import refresh_if_due

    refresh_if_due(request.app)
    filters = {
        "kind": kind,
        "status": status,
        "assignee": assignee,
        "reason": reason,
        "shipment_id": shipment_id,
        "unassigned": unassigned,
        "overdue": overdue,
    }
    now = utc_now()
    rows, total = reads.queue_items(request.app.state, filters, now, limit, offset)
    body = {"items": [queue.public(r, now) for r in rows], "total": total, "limit": limit, "offset": offset}
    return JSONResponse(body)


@router.get(
    "/queue/counts", summary="Items per kind and status, with overdue and due-soon counts", responses=ERRORS
)
def queue_counts(request: Request, user: Viewer) -> dict:
    return {"counts": reads.queue_counts(request.app.state, utc_now())}


@router.post("/queue/refresh", summary="Load the latest check run's items now", responses=ERRORS)
def refresh(request: Request, user: Supervisor) -> dict:
    with _store(request) as store:
        return queue.refresh(store, _settings(request), user)


@router.get("/items/{item_id}", summary="One item with its decision history", responses={**ERRORS, 404: {}})
def get_item(request: Request, user: Viewer, item_id: int) -> dict:
    with _store(request) as store:
        item = queue.get(store, item_id)
        return {**queue.public(item, utc_now()), "history": queue.history(store, item_id)}


@router.post(
    "/items/{item_id}/decision",
    summary="Decide an item (reason required); four-eyes releases wait for approval",
    responses={**ERRORS, 404: {}, 409: {"description": "decided or pending: reopen first"}},
)
def decision(request: Request, user: Analyst, item_id: int, body: DecisionIn) -> dict:
    with _store(request) as store:
        return queue.public(
            queue.decide(store, _settings(request), user, item_id, body.action, body.reason), utc_now()
        )


@router.post(
    "/items/{item_id}/approve",
    summary="A second supervisor approves a pending four-eyes action (the requester gets 403)",
    responses={**ERRORS, 404: {}, 409: {"description": "nothing pending"}},
)
def approve(request: Request, user: Supervisor, item_id: int, body: ReasonIn | None = None) -> dict:
    with _store(request) as store:
        item = queue.approve(store, _settings(request), user, item_id, body.reason if body else None)
        return queue.public(item, utc_now())


@router.post(
    "/items/{item_id}/reopen",
    summary="Reopen a decided or pending item (reason required)",
    responses={**ERRORS, 404: {}, 409: {"description": "not decided"}},
)
def reopen(request: Request, user: Supervisor, item_id: int, body: ReasonIn) -> dict:
    with _store(request) as store:
        return queue.public(queue.reopen(store, _settings(request), user, item_id, body.reason), utc_now())


@router.post(
    "/items/{item_id}/assign",
    summary="Take an item (analysts: themselves only) or assign it (supervisors)",
    responses={**ERRORS, 404: {}, 409: {}},
)
def assign(request: Request, user: Analyst, item_id: int, body: AssignIn) -> dict:
    with _store(request) as store:
        return queue.public(queue.assign(store, _settings(request), user, item_id, body.assignee), utc_now())


@router.post("/items/bulk", summary="Bulk assignment or decision (supervisors only)", responses=ERRORS)
def bulk(request: Request, user: Supervisor, body: BulkIn) -> dict:
    with _store(request) as store:
        return queue.bulk(
            store,
            _settings(request),
            user,
            body.ids,
            body.op,
            action=body.action,
            reason=body.reason,
            assignee=body.assignee,
        )


@router.post(
    "/screen",
    summary="Screen many names against the restricted lists",
    responses={**ERRORS, 413: {"description": "more names than the policy's max_batch"}},
)
def screen(request: Request, user: Analyst, body: ScreenIn) -> dict:
    from parcelaudit.service.screening import screen_batch

    limit = _settings(request).max_batch
    if len(body.queries) > limit:
        return JSONResponse(
            {"detail": f"{len(body.queries)} queries: at most {limit} per request; split the batch"},
            status_code=413,
        )
    return JSONResponse({"results": screen_batch({k: (q.name, q.country) for k, q in body.queries.items()})})


@router.get("/log", summary="The newest log entries", responses=ERRORS)
def log(request: Request, user: Viewer, limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> dict:
    import json

    from parcelaudit.store import workbench as sql

    with _store(request) as store:
        rows = sql.log_entries(store, limit=limit)
    return {
        "entries": [
            {**r, "recorded_at": r["recorded_at"].isoformat(), "payload": json.loads(r["payload"])}
            for r in rows
        ]
    }


@router.get("/log/verify", summary="Verify the hash chain and the signed checkpoints", responses=ERRORS)
def verify(request: Request, user: Supervisor) -> dict:
    settings = _settings(request)
    with _store(request) as store:
        verdict = ledger.verify_store(store, ledger.load_key(settings.key_file))
    return {
        "ok": verdict.ok,
        "entries": verdict.entries,
        "checkpoints": verdict.checkpoints,
        "signed_checked": verdict.signed,
        "problem": verdict.problem or None,
        "first_bad_entry": verdict.bad_seq,
        "notes": list(verdict.notes),
    }


@router.post("/log/checkpoint", summary="Sign the newest log entry now (admins)", responses=ERRORS)
def checkpoint(request: Request, user: Admin) -> dict:
    with _store(request) as store:
        row = ledger.checkpoint(store, _settings(request))
    return {"checkpoint": {**row, "signed_at": row["signed_at"].isoformat()} if row else None}


@router.get("/users", summary="Every user (admins)", responses=ERRORS)
def users(request: Request, user: Admin) -> dict:
    from parcelaudit.store import workbench as sql

    with _store(request) as store:
        return {"users": [{**u, "created_at": u["created_at"].isoformat()} for u in sql.list_users(store)]}


@router.post(
    "/users",
    summary="Add a user; the API key is in the answer, once (admins)",
    status_code=201,
    responses={**ERRORS, 409: {}},
)
def add_user(request: Request, user: Admin, body: UserIn) -> dict[str, Any]:
    from parcelaudit.store import workbench as sql

    with _store(request) as store:
        if sql.user_by_name(store, body.name) is not None:
            raise HTTPException(409, f"user {body.name!r} exists already")
        created, key = accounts.add_user(store, body.name, body.role, body.password)
        ledger.append(
            store,
            _settings(request),
            actor=user.name,
            role=user.role,
            action="add_user",
            subject=f"user:{created.name}",
            detail={"role": created.role, "password": body.password is not None},
        )
    return {"name": created.name, "role": created.role, "api_key": key}


class RevokeIn(BaseModel):
    """Which key to revoke (by its id, the part after `pa_`); none: every active key of the user."""

    key_id: str | None = Field(None, max_length=64)


def _key_change(request: Request, change):
    """Run a key revocation, rotation or a user's disabling: 404 for no such user, 409 for no active key or the
    last admin; the server forgets every key and session it remembered, so a revoked key or a disabled user
    gets 401 from the next request on."""
    try:
        with _store(request) as store:
            return change(store)
    except accounts.NoSuchUser as error:
        raise HTTPException(404, str(error)) from error
    except (accounts.NoActiveKey, accounts.LastAdmin) as error:
        raise HTTPException(409, str(error)) from error
    finally:
        request.app.state.cache.forget()


@router.post(
    "/users/{name}/revoke-key",
    summary="Revoke a user's API keys, or one of them (admins); logged",
    responses={**ERRORS, 404: {"description": "no such user"}, 409: {"description": "no active key"}},
)
def revoke_key(request: Request, user: Admin, name: str, body: RevokeIn | None = None) -> dict:
    key_id = body.key_id if body else None
    revoked = _key_change(
        request, lambda store: accounts.revoke_keys(store, _settings(request), user, name, key_id)
    )
    return {"name": name, "revoked": revoked}


@router.post(
    "/users/{name}/rotate-key",
    summary="Give a user a new API key and revoke the older ones (admins); the key is in the answer, once",
    responses={**ERRORS, 404: {"description": "no such user"}},
)
def rotate_key(request: Request, user: Admin, name: str) -> dict:
    key, revoked = _key_change(
        request, lambda store: accounts.rotate_key(store, _settings(request), user, name)
    )
    return {"name": name, "api_key": key, "revoked": revoked}


@router.post(
    "/users/{name}/disable",
    summary="Disable a user (admins): their keys get 401 and their sessions end; logged",
    responses={
        **ERRORS,
        404: {"description": "no such user"},
        409: {"description": "the last enabled admin"},
    },
)
def disable_user(request: Request, user: Admin, name: str) -> dict:
    changed = _key_change(
        request, lambda store: accounts.set_disabled(store, _settings(request), user, name, True)
    )
    return {"name": name, "disabled": True, "changed": changed}


@router.post(
    "/users/{name}/enable",
    summary="Enable a disabled user again (admins); logged",
    responses={**ERRORS, 404: {"description": "no such user"}},
)
def enable_user(request: Request, user: Admin, name: str) -> dict:
    changed = _key_change(
        request, lambda store: accounts.set_disabled(store, _settings(request), user, name, False)
    )
    return {"name": name, "disabled": False, "changed": changed}
