"""Key revocation and rotation, server-side sign-out, and sign-in limits (per name and per client address),
over the real app and store."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

from tests.service.conftest import PASSWORD
from tests.service.test_pages import _csrf, login


def _me(bench, key: str) -> int:
    return bench.client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code


def _log_actions(bench, subject: str) -> list[str]:
    entries = bench.client.get("/api/v1/log", headers=bench.auth("ada")).json()["entries"]
    return [e["action"] for e in entries if e["subject"] == subject]


def test_a_revoked_key_gets_401_and_a_rotated_key_replaces_the_old_one(bench):
    old = bench.keys["ana"]
    assert _me(bench, old) == 200  # remembered by the server now
    url = "/api/v1/users/ana/revoke-key"
    assert bench.client.post(url, headers=bench.auth("sue")).status_code == 403
    assert bench.client.post("/api/v1/users/nobody/revoke-key", headers=bench.auth("ada")).status_code == 404
    done = bench.client.post(url, headers=bench.auth("ada"))
    assert done.status_code == 200 and done.json()["revoked"] == [old.split("_")[1]]
    assert _me(bench, old) == 401  # at once, although the server remembered the key
    assert _me(bench, bench.keys["ann"]) == 200  # other users' keys stand
    assert bench.client.post(url, headers=bench.auth("ada")).status_code == 409  # nothing left to revoke

    rotated = bench.client.post("/api/v1/users/ann/rotate-key", headers=bench.auth("ada"))
    assert rotated.status_code == 200
    new = rotated.json()["api_key"]
    assert _me(bench, bench.keys["ann"]) == 401 and _me(bench, new) == 200
    assert rotated.json()["revoked"] == [bench.keys["ann"].split("_")[1]]
    assert _log_actions(bench, "user:ana") == ["revoke_key"]
    assert _log_actions(bench, "user:ann") == ["rotate_key"]
    verdict = bench.client.get("/api/v1/log/verify", headers=bench.auth("sue")).json()
    assert verdict["ok"], verdict


def test_one_key_can_be_revoked_by_its_id(bench):
    from parcelaudit.service.accounts import new_key

    with bench.client.app.state.store() as store:
        second = new_key(store, "vic")
    body = {"key_id": second.split("_")[1]}
    assert (
        bench.client.post("/api/v1/users/vic/revoke-key", json=body, headers=bench.auth("ada")).status_code
        == 200
    )
    assert _me(bench, second) == 401 and _me(bench, bench.keys["vic"]) == 200
    missing = bench.client.post(
        "/api/v1/users/vic/revoke-key", json={"key_id": "000000000000"}, headers=bench.auth("ada")
    )
    assert missing.status_code == 409 and "no active key" in missing.json()["detail"]


def test_a_signed_out_session_cookie_is_useless(bench):
    token = login(bench.client, "sue")
    copied = bench.client.cookies.get("pa_session")
    assert bench.client.get("/queue", follow_redirects=False).status_code == 200
    out = bench.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    bench.client.cookies.clear()
    bench.client.cookies.set("pa_session", copied)  # an attacker replays the cookie from before sign-out
    page = bench.client.get("/queue", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    form = bench.client.post("/queue/refresh", data={"csrf_token": token}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"].startswith("/login")
    with bench.client.app.state.store() as store:
        ended = store.fetch("SELECT count(*) FROM wb_sessions WHERE ended_at IS NOT NULL")[0][0]
        kept = store.fetch("SELECT session_sha256 FROM wb_sessions")
    assert ended == 1
    assert all(copied not in row[0] for row in kept)  # the store keeps hashes, not session ids


def test_a_new_password_ends_the_users_sessions(bench):
    from parcelaudit.service import web
    from parcelaudit.service.accounts import set_password

    login(bench.client, "ana")
    with bench.client.app.state.store() as store:
        set_password(store, "ana", "another long password")
    time.sleep(web.SESSION_CACHE_SECONDS + 0.2)  # changed outside this server: seen within the interval
    assert bench.client.get("/queue", follow_redirects=False).status_code == 303


def _try(client, name: str, password: str):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": _csrf(page.text), "name": name, "password": password})


def test_the_next_attempt_after_too_many_bad_passwords_gets_429(bench):
    limit = bench.settings.max_failures_per_name
    for _ in range(limit):
        assert _try(bench.client, "ana", "not the password").status_code == 401
    locked = _try(bench.client, "ana", PASSWORD)  # even the right password: not checked while locked
    assert locked.status_code == 429 and "too many failed sign-ins" in locked.text
    window = bench.settings.sign_in_window_minutes * 60
    assert window - 60 < int(locked.headers["Retry-After"]) <= window
    unknown = [_try(bench.client, "nobody", "guess").status_code for _ in range(limit + 1)]
    assert unknown == [401] * limit + [429]  # the same for a name nobody has: existence is not revealed
    assert _try(bench.client, "ann", PASSWORD).status_code == 200  # other names are not locked


def test_one_address_trying_many_names_gets_429(bench):
    app = bench.client.app
    app.state.settings = dataclasses.replace(app.state.settings, max_failures_per_client=3)
    for name in ("x1", "x2", "x3"):
        assert _try(bench.client, name, "guess").status_code == 401
    refused = _try(bench.client, "ann", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_a_lockout_ends_when_the_failures_leave_the_window(bench):
    app = bench.client.app
    app.state.settings = dataclasses.replace(app.state.settings, max_failures_per_name=2)
    assert [_try(bench.client, "sue", "bad").status_code for _ in range(3)] == [401, 401, 429]
    window = app.state.settings.sign_in_window_minutes
    with app.state.store() as store:  # the failures age past the window (no sleeping: load-independent)
        aged = [
            (name, client, at - timedelta(minutes=window + 1))
            for name, client, at in store.fetch("SELECT name, client, failed_at FROM wb_sign_in_failures")
        ]
        store.execute("DELETE FROM wb_sign_in_failures")
        for row in aged:
            store.execute("INSERT INTO wb_sign_in_failures (name, client, failed_at) VALUES (?, ?, ?)", row)
    assert _try(bench.client, "sue", PASSWORD).status_code == 200
    with app.state.store() as store:  # signing in forgot the name's failures
        assert store.fetch("SELECT count(*) FROM wb_sign_in_failures WHERE name = 'sue'")[0][0] == 0


def test_a_disabled_user_is_refused_everywhere_until_enabled(bench):
    login(bench.client, "ana")  # a browser session of ana's, open before she is disabled
    assert bench.client.get("/queue", follow_redirects=False).status_code == 200
    assert _me(bench, bench.keys["ana"]) == 200  # remembered by the server now
    url = "/api/v1/users/ana/disable"
    assert bench.client.post(url, headers=bench.auth("sue")).status_code == 403
    assert bench.client.post("/api/v1/users/nobody/disable", headers=bench.auth("ada")).status_code == 404
    done = bench.client.post(url, headers=bench.auth("ada"))
    assert done.status_code == 200 and done.json()["changed"] is True
    assert _me(bench, bench.keys["ana"]) == 401  # at once, although the server remembered the key
    assert bench.client.get("/queue", follow_redirects=False).status_code == 303  # her session ended
    assert _try(bench.client, "ana", PASSWORD).status_code == 401  # and she cannot sign in again
    assert bench.client.post(url, headers=bench.auth("ada")).json()["changed"] is False  # nothing to do
    assert _me(bench, bench.keys["ann"]) == 200  # other users stand

    again = bench.client.post("/api/v1/users/ana/enable", headers=bench.auth("ada"))
    assert again.status_code == 200 and again.json()["changed"] is True
    assert _me(bench, bench.keys["ana"]) == 200  # her key was never revoked
    assert _log_actions(bench, "user:ana") == ["disable_user", "enable_user"]
    assert bench.client.get("/api/v1/log/verify", headers=bench.auth("sue")).json()["ok"]


def test_the_last_enabled_admin_cannot_be_disabled(bench):
    refused = bench.client.post("/api/v1/users/ada/disable", headers=bench.auth("ada"))
    assert refused.status_code == 409 and "last enabled admin" in refused.json()["detail"]
    assert _me(bench, bench.keys["ada"]) == 200
    assert _log_actions(bench, "user:ada") == []


def test_a_stranger_filling_a_names_count_does_not_lock_its_owner_out_of_a_known_address(bench):
    from starlette.testclient import TestClient

    limit = bench.settings.max_failures_per_name
    assert _try(bench.client, "ann", PASSWORD).status_code == 200  # ann has signed in from this address
    stranger = TestClient(bench.client.app, client=("203.0.113.9", 4000))
    for _ in range(limit):
        assert _try(stranger, "ann", "guess").status_code == 401
    assert _try(stranger, "ann", "guess").status_code == 429  # guesses from elsewhere stay limited by name
    owner = TestClient(bench.client.app)  # the address ann signed in from, with no session yet
    assert _try(owner, "ann", "typo").status_code == 401  # not 429: the stranger's failures do not count here
    assert _try(owner, "ann", PASSWORD).status_code == 200
    for _ in range(limit):  # ... but failures sent from the known address itself still do
        assert _try(owner, "ann", "typo").status_code == 401
    assert _try(owner, "ann", PASSWORD).status_code == 429
