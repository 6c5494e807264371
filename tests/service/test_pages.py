"""Browser pages over HTTP: sign-in, CSRF on every form, user text escaped on every page, security headers,
CSV exports, the dashboard and the audit workspace."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.service.conftest import PASSWORD

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>=HYPERLINK("http://evil")'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client, name: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": _csrf(page.text), "name": name, "password": PASSWORD, "next": "/queue"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return _csrf(client.get("/queue").text)


def test_pages_need_a_signed_in_user(bench):
    response = bench.client.get("/queue", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fqueue"
    assert bench.client.get("/items/1", follow_redirects=False).status_code == 303


def test_login_checks_the_password_and_the_csrf_token(bench):
    page = bench.client.get("/login")
    token = _csrf(page.text)
    assert "pa_session" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    assert "SameSite=strict" in page.headers["set-cookie"]
    no_token = bench.client.post("/login", data={"name": "ana", "password": PASSWORD})
    assert no_token.status_code == 403
    wrong = bench.client.post(
        "/login", data={"csrf_token": token, "name": "ana", "password": "wrong password!"}
    )
    assert wrong.status_code == 401 and "wrong name or password" in wrong.text
    unknown = bench.client.post("/login", data={"csrf_token": token, "name": "zed", "password": PASSWORD})
    assert unknown.status_code == 401
    # An off-site "next" is not followed.
    ok = bench.client.post(
        "/login",
        data={"csrf_token": token, "name": "ana", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/queue"
    queue = bench.client.get("/queue")
    assert queue.status_code == 200 and "ana (analyst)" in queue.text
    assert _csrf(queue.text) != token  # a new session after signing in


def _form_routes() -> list[str]:
    from parcelaudit.service import audit_pages, insight_pages, pages

    return [
        route.path
        for module in (pages, insight_pages, audit_pages)
        for route in module.router.routes
        if "POST" in route.methods
    ]


def test_every_form_post_is_refused_without_the_sessions_csrf_token(bench):
    login(bench.client, "sue")
    routes = _form_routes()
    assert len(routes) >= 11
    for path in routes:
        url = (
            path.replace("{item_id}", "1")
            .replace("{audit_id}", "A-1")
            .replace("{step}", "plan")
            .replace("{verb}", "approve")
        )
        for data in ({}, {"csrf_token": "forged"}):
            response = bench.client.post(url, data=data, follow_redirects=False)
            assert response.status_code == 403, (url, data, response.status_code)
            assert "CSRF" in response.text
    # The same form with the token goes through.
    token = _csrf(bench.client.get("/queue").text)
    taken = bench.client.post(
        "/items/1/assign", data={"csrf_token": token, "assignee": "sue"}, follow_redirects=False
    )
    assert taken.status_code == 303


def test_roles_limit_what_pages_allow(bench):
    token = login(bench.client, "vic")
    page = bench.client.get("/items/1")
    assert page.status_code == 200 and 'id="decide-form"' not in page.text
    refused = bench.client.post(
        "/items/1/decision", data={"csrf_token": token, "action": "release", "reason": "x"}
    )
    assert refused.status_code == 403
    assert (
        bench.client.post("/queue/bulk", data={"csrf_token": token, "ids": "1", "op": "assign"}).status_code
        == 403
    )


def test_security_headers_on_every_response(bench):
    login(bench.client, "ana")
    for url in (
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/api/v1/queue",
        "/login",
        "/queue",
        "/items/1",
        "/dashboard",
        "/log",
        "/audits",
        "/static/workbench.css",
        "/no/such/page",
        "/items/999999",
    ):
        response = bench.client.get(url)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], url
        assert "script-src 'self'" in headers["content-security-policy"], url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "no-referrer", url


@pytest.fixture
def hostile(bench):
    """User text with markup and a formula planted in a hit's name, a parcel's seller, a decision's reason and
    an audit's importer."""
    app = bench.client.app
    hit = bench.items(kind="hit")[0]
    with app.state.store() as store:
        store.execute(
            "UPDATE wb_items SET party_name = ?, explanation = ? WHERE item_id = ?",
            [HOSTILE, HOSTILE, hit["id"]],
        )
        shipment = store.scalar(
            "SELECT shipment_id FROM wb_items WHERE kind = 'hold' ORDER BY item_id LIMIT 1"
        )
        store.execute("UPDATE shipments SET seller_name = ? WHERE shipment_id = ?", [HOSTILE, shipment])
        arrival = store.scalar("SELECT arrival_date FROM shipments WHERE shipment_id = ?", [shipment])
    hold = next(i for i in bench.items(kind="hold") if i["shipment_id"] == shipment)
    bench.client.post(
        f"/api/v1/items/{hold['id']}/decision",
        json={"action": "escalate", "reason": HOSTILE},
        headers=bench.auth("ana"),
    )
    token = login(bench.client, "ana")
    created = bench.client.post(
        "/audits/new",
        data={"csrf_token": token, "importer": HOSTILE, "date_from": str(arrival), "date_to": str(arrival)},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"].startswith("/audits/A-"), (
        created.headers
    )
    return {"hit": hit["id"], "hold": hold["id"], "shipment": shipment, "audit": created.headers["location"]}


def test_user_text_is_escaped_in_every_page(bench, hostile):
    pages = [
        "/queue",
        "/queue?kind=hit",
        f"/items/{hostile['hit']}",
        f"/items/{hostile['hold']}",
        f"/parcels/{hostile['shipment']}",
        "/log",
        "/dashboard",
        "/audits",
        hostile["audit"],
    ]
    for url in pages:
        page = bench.client.get(url)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, url
    assert ESCAPED in bench.client.get(f"/items/{hostile['hit']}").text
    assert ESCAPED in bench.client.get(f"/items/{hostile['hold']}").text  # reason in the history
    assert ESCAPED in bench.client.get(f"/parcels/{hostile['shipment']}").text
    assert ESCAPED in bench.client.get("/log").text
    assert ESCAPED in bench.client.get("/audits").text
    assert ESCAPED in bench.client.get(hostile["audit"]).text
    # A page that fails on bad input still escapes it.
    missing = bench.client.get("/parcels/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert missing.status_code == 404 and "<script>alert(1)" not in missing.text


def test_csv_exports_are_spreadsheet_safe(bench, hostile):
    review = bench.items(kind="review")[0]
    bench.client.post(
        f"/api/v1/items/{review['id']}/decision",
        json={"action": "hold", "reason": "=1+1"},
        headers=bench.auth("sue"),
    )
    for url in (
        "/queue?format=csv&kind=hit",
        "/log?format=csv",
        "/audits?format=csv",
        "/dashboard?format=csv",
        "/dashboard?format=csv&table=reasons",
        "/dashboard?format=csv&table=times",
    ):
        response = bench.client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), url
        rows = list(csv.reader(io.StringIO(response.text)))
        assert len(rows) >= 2, url
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "@", "+")), (url, cell)
    assert "'=1+1" in bench.client.get("/log?format=csv").text
    queue = bench.client.get("/queue?format=csv&kind=hit").text
    assert HOSTILE in [row["party_name"] for row in csv.DictReader(io.StringIO(queue))]


def test_dashboard_shows_hold_rate_time_to_decision_and_reasons(bench):
    item = bench.items(kind="review")[0]
    bench.client.post(
        f"/api/v1/items/{item['id']}/decision",
        json={"action": "hold", "reason": "x"},
        headers=bench.auth("sue"),
    )
    login(bench.client, "vic")
    page = bench.client.get("/dashboard").text
    assert page.count("<svg") == 3 and "Hold and review rate by arrival day" in page
    assert "<polyline" in page and "FL-SECTOR" in page and "<td>review</td><td>1</td>" in page


def test_a_decision_through_the_pages(bench):
    item = next(
        i for i in bench.items(kind="review") if not bench.settings.four_eyes_reasons & set(i["reasons"])
    )
    token = login(bench.client, "ana")
    empty = bench.client.post(
        f"/items/{item['id']}/decision", data={"csrf_token": token, "action": "release", "reason": ""}
    )
    assert empty.status_code == 200 and "a reason is required" in empty.text
    done = bench.client.post(
        f"/items/{item['id']}/decision", data={"csrf_token": token, "action": "release", "reason": "fine"}
    )
    assert 'id="status">decided' in done.text and "release by ana" in done.text


def test_the_audit_workspace_runs_every_step_and_serves_the_workpaper(bench, tmp_path):
    from parcelaudit.audit.demo import simulate_results
    from parcelaudit.audit.results_sheet import RESULT_COLUMNS
    from parcelaudit.csv_safety import write_rows

    with bench.client.app.state.store() as store:
        seller, low, high = store.fetch_one(
            "SELECT seller_name, min(arrival_date), max(arrival_date) FROM shipments GROUP BY seller_name "
            "ORDER BY count(*) DESC LIMIT 1"
        )
    token = login(bench.client, "ana")
    created = bench.client.post(
        "/audits/new",
        data={"csrf_token": token, "importer": seller, "date_from": str(low), "date_to": str(high)},
        follow_redirects=False,
    )
    url = created.headers["location"].split("?")[0]
    audit_id = url.rsplit("/", 1)[1]
    for step in ("reconcile", "plan"):
        page = bench.client.post(f"{url}/step/{step}", data={"csrf_token": token})
        assert page.status_code == 200 and 'class="error"' not in page.text, page.text
    assert "reconciled:" in bench.client.post(f"{url}/step/reconcile", data={"csrf_token": token}).text
    sampled = bench.client.post(f"{url}/step/sample", data={"csrf_token": token, "seed": "12345"})
    assert 'id="audit-status">sampled' in sampled.text
    sheet = bench.client.get(f"{url}/sheet.csv")
    assert sheet.status_code == 200 and "item_id" in sheet.text.splitlines()[0]
    with bench.client.app.state.store() as store:
        results = simulate_results(store, audit_id, {})
    path = tmp_path / "results.csv"
    write_rows(
        path,
        list(RESULT_COLUMNS),
        [[r.get(c) if r.get(c) is not None else "" for c in RESULT_COLUMNS] for r in results],
    )
    recorded = bench.client.post(
        f"{url}/record",
        data={"csrf_token": token},
        files={"results": ("results.csv", path.read_bytes(), "text/csv")},
    )
    assert "recorded" in recorded.text and 'id="audit-status">recorded' in recorded.text, recorded.text
    evaluated = bench.client.post(f"{url}/step/evaluate", data={"csrf_token": token})
    assert 'id="demand"' in evaluated.text
    reported = bench.client.post(f"{url}/step/report", data={"csrf_token": token})
    assert 'id="download-xlsx"' in reported.text and 'id="download-pdf"' in reported.text
    xlsx = bench.client.get(f"{url}/download/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = bench.client.get(f"{url}/download/pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert bench.client.get(f"{url}/download/exe").status_code == 404
    missing = bench.client.get("/audits/A-nope<b>/download/pdf")
    assert missing.status_code == 404 and "no audit" in missing.text and "A-nope<b>" not in missing.text
    with bench.client.app.state.store() as store:
        actions = [
            r[0] for r in store.fetch("SELECT action FROM wb_log WHERE subject LIKE 'audit:%' ORDER BY seq")
        ]
    assert actions[:2] == ["audit_new", "audit_reconcile"] and actions[-1] == "audit_report"
    assert {"audit_plan", "audit_sample", "audit_record", "audit_evaluate"} <= set(actions)
