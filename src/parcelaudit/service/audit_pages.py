"""The audit workspace: list audits, run the workflow's steps from the browser, download the report and workpaper.

Each step calls the audit package's own function (parcelaudit.audit.*) with the signed-in user as the actor;
the step it stores is then appended to the workbench log. Files are written into the app's work folder,
one sub-folder per audit, and only the report's own files are served from there.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse

from parcelaudit.errors import ParcelAuditError
from parcelaudit.service import queue
from parcelaudit.service.export import csv_response
from parcelaudit.service.web import PageNotFound, check_csrf, page_user, render

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]
AUDITS_CSV = (
    "audit_id",
    "version",
    "importer",
    "importer_by",
    "period_start",
    "period_end",
    "unit",
    "status",
    "created_by",
    "created_at",
    "discarded_at",
)
MAX_UPLOAD = 20 * 1024 * 1024
DOWNLOADS = {"pdf": ".pdf", "html": ".html", "xlsx": "_workpaper.xlsx"}


def _work(request: Request) -> Path:
    state = request.app.state
    if getattr(state, "work_dir", None) is None:
        state.work_dir = Path(tempfile.mkdtemp(prefix="parcelaudit-workbench-"))
    return state.work_dir


def _audit(store, audit_id: str) -> dict:
    """The audit (its current version, or A-x.vN), or a 404 page naming the known ones."""
    from parcelaudit.audit.lifecycle import get_audit

    try:
        return get_audit(store, audit_id)
    except ParcelAuditError as failure:
        raise PageNotFound(str(failure)) from failure


def _go(audit_id: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    from urllib.parse import quote, urlencode

    query = urlencode({k: v for k, v in (("message", message), ("error", error)) if v})
    return RedirectResponse(f"/audits/{quote(audit_id)}" + (f"?{query}" if query else ""), status_code=303)


@router.get("/audits")
def audits_page(
    request: Request,
    format: Annotated[str | None, Query(max_length=10)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
):
    from parcelaudit.audit.lifecycle import list_audits

    page_user(request)
    with request.app.state.store() as store:
        audits = list_audits(store)
    if format == "csv":
        return csv_response("audits.csv", AUDITS_CSV, ([a.get(c) for c in AUDITS_CSV] for a in audits))
    return render(request, "audits.html", audits=audits, error=error)


@router.post("/audits/new")
def audit_new(
    request: Request,
    csrf_token: Csrf = None,
    importer: Annotated[str, Form(max_length=500)] = "",
    date_from: Annotated[str, Form(max_length=10)] = "",
    date_to: Annotated[str, Form(max_length=10)] = "",
):
    from urllib.parse import urlencode

    from parcelaudit.audit.lifecycle import new_audit

    check_csrf(request, csrf_token)
    user = page_user(request, "analyst")
    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
        with request.app.state.store() as store:
            audit_id = new_audit(store, importer, start, end, actor=user.name)
            queue.log_audit_steps(store, request.app.state.settings)
    except ValueError:
        return RedirectResponse("/audits?" + urlencode({"error": "dates are YYYY-MM-DD"}), status_code=303)
    except ParcelAuditError as failure:
        return RedirectResponse("/audits?" + urlencode({"error": str(failure)}), status_code=303)
    return _go(audit_id, message="audit created")


@router.get("/audits/{audit_id}")
def audit_page(
    request: Request,
    audit_id: str,
    message: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=2000)] = None,
):
    from parcelaudit.audit.evaluate import latest_evaluation
    from parcelaudit.audit.steplog import steps

    page_user(request)
    with request.app.state.store() as store:
        audit = _audit(store, audit_id)
        log = steps(store, audit["audit_id"])
        try:
            evaluation = latest_evaluation(store, audit["audit_id"])
        except ParcelAuditError:
            evaluation = None
    folder = _work(request) / audit["audit_id"]
    files = {
        kind: (folder / f"audit_{audit['audit_id']}{suffix}").exists() for kind, suffix in DOWNLOADS.items()
    }
    return render(
        request,
        "audit.html",
        audit=audit,
        steps=log,
        evaluation=evaluation,
        files=files,
        message=message,
        error=error,
    )


@router.post("/audits/{audit_id}/step/{step}")
def audit_step(
    request: Request,
    audit_id: str,
    step: str,
    csrf_token: Csrf = None,
    seed: Annotated[str | None, Form(max_length=30)] = None,
):
    """Run one step: reconcile, plan, sample, evaluate or report."""
    from parcelaudit.audit.evaluate import evaluate_audit
    from parcelaudit.audit.lifecycle import get_audit
    from parcelaudit.audit.plan import plan_audit
    from parcelaudit.audit.sampling import sample_audit
    from parcelaudit.audit.scope import reconcile_scope
    from parcelaudit.reports.audit_report import write_report

    check_csrf(request, csrf_token)
    user = page_user(request, "analyst")
    settings = request.app.state.settings
    with request.app.state.store() as store:
        try:
            audit = get_audit(store, audit_id)
            real_id = audit["audit_id"]
            if step == "reconcile":
                summary = reconcile_scope(store, audit).summary
                from parcelaudit.service import ledger

                ledger.append(
                    store,
                    settings,
                    actor=user.name,
                    role=user.role,
                    action="audit_reconcile",
                    subject=f"audit:{real_id}#reconcile",
                    detail={"summary": summary},
                )
                text = "; ".join(
                    f"{k.replace('_', ' ')}: {v:,}"
                    if isinstance(v, int)
                    else f"{k.replace('_', ' ')}: {v:,.2f}"
                    for k, v in summary.items()
                )
                return _go(audit_id, message=f"reconciled: {text}")
            if step == "plan":
                plan_audit(store, real_id, actor=user.name)
            elif step == "sample":
                sample_audit(store, real_id, seed=(seed or None), actor=user.name)
            elif step == "evaluate":
                evaluate_audit(store, real_id, actor=user.name)
            elif step == "report":
                write_report(store, real_id, _work(request) / real_id, actor=user.name)
            else:
                return render(request, "error.html", status_code=404, message=f"no audit step {step!r}")
            queue.log_audit_steps(store, settings)
        except ParcelAuditError as failure:
            return _go(audit_id, error=str(failure))
    return _go(audit_id, message=f"{step}: done")


@router.get("/audits/{audit_id}/sheet.csv")
def audit_sheet(request: Request, audit_id: str):
    """The sampled items as a results sheet to fill in (the same columns `audit sample --out` writes)."""
    from parcelaudit.audit.sampling import sample_items

    page_user(request)
    with request.app.state.store() as store:
        audit = _audit(store, audit_id)
        items = sample_items(store, audit["audit_id"], include_spares=True).to_pylist()
    from parcelaudit.audit.results_sheet import write_results_sheet

    path = _work(request) / audit["audit_id"] / "results_sheet.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_results_sheet(path, items)
    return FileResponse(path, media_type="text/csv", filename=f"{audit['audit_id']}_results.csv")


@router.post("/audits/{audit_id}/record")
def audit_record(
    request: Request,
    audit_id: str,
    csrf_token: Csrf = None,
    results: Annotated[UploadFile | None, File()] = None,
):
    """Record the auditor's results from an uploaded CSV or .xlsx sheet."""
    from parcelaudit.audit.results import record_results
    from parcelaudit.audit.results_sheet import read_results_file

    check_csrf(request, csrf_token)
    user = page_user(request, "analyst")
    if results is None or not results.filename:
        return _go(audit_id, error="choose a results file (CSV or .xlsx)")
    suffix = ".xlsx" if results.filename.lower().endswith(".xlsx") else ".csv"
    data = results.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _go(audit_id, error=f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
    folder = _work(request) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as handle:
        handle.write(data)
        path = Path(handle.name)
    try:
        rows = read_results_file(path)
        with request.app.state.store() as store:
            summary = record_results(store, audit_id, rows, actor=user.name, source=results.filename)
            queue.log_audit_steps(store, request.app.state.settings)
    except ParcelAuditError as failure:
        return _go(audit_id, error=str(failure).replace(str(path), results.filename))
    finally:
        path.unlink(missing_ok=True)
    return _go(audit_id, message=f"recorded {summary['recorded']} result(s), {summary['in_error']} in error")


@router.get("/audits/{audit_id}/download/{kind}")
def audit_download(request: Request, audit_id: str, kind: str):
    """The report's PDF or HTML, or the Excel workpaper, once the report step has run."""

    page_user(request)
    if kind not in DOWNLOADS:
        return render(request, "error.html", status_code=404, message=f"no download {kind!r}")
    with request.app.state.store() as store:
        audit = _audit(store, audit_id)
    name = f"audit_{audit['audit_id']}{DOWNLOADS[kind]}"
    path = _work(request) / audit["audit_id"] / name
    if not path.exists():
        return render(request, "error.html", status_code=404, message="run the report step first")
    media = {
        "pdf": "application/pdf",
        "html": "text/html; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    return FileResponse(path, media_type=media, filename=name)
