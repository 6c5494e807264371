"""Browser sessions: a signed cookie naming a server-side session and holding the CSRF token every form must
send back.

The cookie is signed with itsdangerous under a secret kept in the store's settings (made on first use), is
HttpOnly and SameSite=Strict, and expires after settings.session_hours. It names a session the store keeps
(parcelaudit.service.signin): signing out ends that session, so a copy of the cookie is useless afterwards.
Every page carries the session's CSRF token in its forms; a POST without the same token is refused (403).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from parcelaudit.service import accounts, signin
from parcelaudit.service.accounts import User
from parcelaudit.store import workbench as sql

COOKIE = "pa_session"
USER_CACHE_SECONDS = 30.0  # a signed-in user's role is looked up again after this long
# A session is looked up in the store again after this long: a sign-out through another server (sharing a
# PostgreSQL store) takes effect within it; through this one at once.
SESSION_CACHE_SECONDS = 5.0
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
# The templates are package files: compiled once, not checked on disk for changes on every page.
TEMPLATES.env.auto_reload = False
_SIGNER_LOCK = threading.Lock()


class LoginRequired(Exception):
    """The page needs a signed-in user (the app redirects to /login)."""


class Forbidden(Exception):
    """The signed-in user's role may not see or do this, or a form's CSRF token is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PageNotFound(Exception):
    """What the page names does not exist (the app answers 404 with the message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _serializer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    if getattr(state, "session_signer", None) is None:
        with _SIGNER_LOCK:  # the first requests arrive together: one secret, made once
            if getattr(state, "session_signer", None) is None:
                with state.store() as store:
                    secret = sql.get_setting(store, "session_secret")
                    if secret is None:
                        secret = secrets.token_hex(32)
                        sql.put_setting(store, "session_secret", secret)
                state.session_signer = URLSafeTimedSerializer(secret, salt="parcelaudit-workbench-session")
    return state.session_signer


def session(request: Request) -> dict[str, Any]:
    """The request's session ({"sid": session id or None, "csrf": token}), a new anonymous one when absent."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    raw = request.cookies.get(COOKIE)
    data: dict[str, Any] = {}
    if raw:
        try:
            max_age = int(request.app.state.settings.session_hours * 3600)
            loaded = _serializer(request).loads(raw, max_age=max_age)
            if isinstance(loaded, dict) and isinstance(loaded.get("csrf"), str):
                sid = loaded.get("sid")
                data = {"sid": sid if isinstance(sid, str) else None, "csrf": loaded["csrf"]}
        except BadSignature:
            data = {}
    if not data:
        data = {"sid": None, "csrf": secrets.token_urlsafe(32), "new": True}
    request.state.session = data
    return data


def client_address(request: Request) -> str:
    """The client's address (behind a proxy on this host: the one it forwards, as uvicorn reads it)."""
    return request.client.host if request.client else "unknown"


def sign_in(request: Request, user: User) -> None:
    """Start a signed-in session for user (recorded in the store) with a new CSRF token."""
    settings = request.app.state.settings
    with request.app.state.store() as store:
        sid = signin.start_session(store, settings, user, client_address(request))
    request.state.session = {"sid": sid, "csrf": secrets.token_urlsafe(32), "new": True}


def sign_out(request: Request) -> None:
    """End the request's session in the store (a copy of its cookie is useless from now on) and start an
    anonymous one with a new CSRF token."""
    sid = session(request).get("sid")
    if sid:
        with request.app.state.store() as store:
            signin.end_session(store, sid)
        request.app.state.cache.forget(("session", signin.session_sha256(sid)))
    request.state.session = {"sid": None, "csrf": secrets.token_urlsafe(32), "new": True}


def save(request: Request, response: Response) -> Response:
    """Set the session cookie on the response when the session is new."""
    data = session(request)
    if data.get("new"):
        value = _serializer(request).dumps({"sid": data["sid"], "csrf": data["csrf"]})
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(request.app.state.settings.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=request.app.state.settings.secure_cookies,
            path="/",
        )
    return response


def current_user(request: Request) -> User | None:
    """The signed-in user (of a session the store says is still open), or None."""
    if hasattr(request.state, "user"):
        return request.state.user  # looked up once per request
    sid = session(request).get("sid")
    state = request.app.state
    user = None
    if sid:

        def session_user() -> int | None:
            with state.store() as store:
                return signin.session_user_id(store, sid)

        uid = state.cache.get(("session", signin.session_sha256(sid)), SESSION_CACHE_SECONDS, session_user)
        if uid is not None:

            def look_up() -> User | None:
                with state.store() as store:
                    return accounts.user_by_id(store, uid)

            user = state.cache.get(("user", uid), USER_CACHE_SECONDS, look_up)
    request.state.user = user
    return user


def page_user(request: Request, minimum: str = "viewer") -> User:
    """The signed-in user with at least role `minimum` (LoginRequired / Forbidden otherwise)."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    if not user.may(minimum):
        raise Forbidden(f"role {user.role} may not do this: {minimum} or above")
    return user


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form whose CSRF token is not the session's."""
    expected = session(request).get("csrf", "")
    if session(request).get("new") or not token or not hmac.compare_digest(expected, token):
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page and try again")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the signed-in user and the CSRF token, setting the session cookie when new."""
    data = session(request)
    context.setdefault("user", current_user(request) if data.get("sid") else None)
    response = TEMPLATES.TemplateResponse(
        request, template, {"csrf": data["csrf"], **context}, status_code=status_code
    )
    return save(request, response)
