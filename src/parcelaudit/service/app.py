"""The workbench application: store access, security headers, errors, health; the API and pages plug in.

One store connection serves the process, used by one request at a time (a DuckDB file has one writer, and
neither engine's connection may be shared between threads mid-statement); requests wait their turn for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from parcelaudit.errors import ParcelAuditError
from parcelaudit.service.queue import QueueError
from parcelaudit.service.reads import ChangeTracker, StoreVersion, TimedCache
from parcelaudit.service.settings import WorkbenchSettings, load_settings
from parcelaudit.service.web import Forbidden, LoginRequired, PageNotFound, render
from parcelaudit.store import Store, open_store

STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
NO_STORE = ("/api/", "/login", "/queue", "/items", "/parcels", "/audits", "/log", "/dashboard")
REFRESH_SECONDS = 30.0  # how often a queue read checks for a newer check run


class StoreAccess:
    """The process's store: opened on first use, lent to one request at a time."""

    def __init__(self, target: str | Path) -> None:
        self.target = str(target)
        self._lock = threading.RLock()
        self._store: Store | None = None
        self.checked_at = 0.0

    @contextmanager
    def __call__(self) -> Iterator[Store]:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.target)
            yield self._store

    def close(self) -> None:
        """Close the connection (on shutdown)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


class SecurityHeaders:
    """ASGI middleware: the security headers on every response (and no-store on pages and API answers)."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if scope.get("path", "").startswith(NO_STORE):
            extra.append((b"cache-control", b"no-store"))

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def refresh_if_due(app: FastAPI, force: bool = False) -> None:
    """Materialise a newer check run's items, at most every REFRESH_SECONDS (or now when forced)."""
    from parcelaudit.service import queue

    access: StoreAccess = app.state.store
    if not force and time.monotonic() - access.checked_at < REFRESH_SECONDS:
        return
    with access() as store:
        queue.refresh(store, app.state.settings)
        access.checked_at = time.monotonic()
    app.state.version.changed()


def create_app(store_target: str | Path, settings: WorkbenchSettings | None = None) -> FastAPI:
    """The workbench over the store at store_target (a DuckDB file or a postgresql:// URL)."""
    from parcelaudit import __version__
    from parcelaudit.service import api, audit_pages, insight_pages, pages

    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        refresh_if_due(app, force=True)
        yield
        app.state.store.close()

    app = FastAPI(
        title="ParcelAudit review workbench",
        version=__version__,
        description="Queues of held parcels, screening hits and trace reviews; decisions with four-eyes; "
        "batch screening; a hash-chained log. Authenticate with `Authorization: Bearer KEY` "
        "(`parcelaudit users add`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.store = StoreAccess(store_target)
    app.state.settings = settings
    app.state.cache = TimedCache()  # users of keys and sessions
    app.state.reads = TimedCache(limit=256)  # queue pages and counts (parcelaudit.service.reads)
    app.state.version = StoreVersion()

    app.add_middleware(ChangeTracker, version=app.state.version)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(QueueError)
    async def queue_error(request: Request, error: QueueError):
        return JSONResponse({"detail": error.message}, status_code=error.status)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden):
        return render(request, "error.html", status_code=403, message=error.message)

    @app.exception_handler(PageNotFound)
    async def not_found(request: Request, error: PageNotFound):
        return render(request, "error.html", status_code=404, message=error.message)

    @app.exception_handler(ParcelAuditError)
    async def user_error(request: Request, error: ParcelAuditError):
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        problems = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="The store answers and its schema is current")
    def readyz() -> JSONResponse:
        try:
            with app.state.store() as store:
                version = store.schema_version()
        except Exception as error:  # any failure to reach the store means not ready
            return JSONResponse(
                {"status": "unavailable", "detail": str(error).splitlines()[0]}, status_code=503
            )
        return JSONResponse({"status": "ready", "schema": version})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(insight_pages.router)
    app.include_router(audit_pages.router)
    return app
