"""`parcelaudit serve` as a real process: demo sign-ins printed and working, users added from the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx

from parcelaudit.store import open_store
from tests.service.live import LiveServer
from tests.support import cli, clone_store


def _stored_text(target: str) -> str:
    """Every value of every table of the store, as text."""
    with open_store(target, read_only=True) as store:
        return "\n".join(str(store.read_table(table).to_pylist()) for table in store.tables())


def test_serve_prints_demo_sign_ins_that_work(checked_template, store_target, tmp_path):
    target = clone_store(checked_template, store_target)
    with LiveServer(target, tmp_path, "--demo-logins") as server:
        printed = server.output()
        logins = dict(
            re.findall(
                r"│ (supervisor2|supervisor|analyst|auditor|viewer|admin)\s+│ \w+\s+│ (\S+)\s+│", printed
            )
        )
        assert set(logins) == {"analyst", "auditor", "supervisor", "supervisor2", "viewer", "admin"}, printed
        with httpx.Client(base_url=server.url) as client:
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            signed = client.post(
                "/login", data={"csrf_token": token, "name": "supervisor", "password": logins["supervisor"]}
            )
            assert signed.status_code == 303 and signed.headers["location"] == "/queue"
            queue = client.get("/queue")
            assert "supervisor (supervisor)" in queue.text and "hold" in queue.text
            assert client.get("/openapi.json").json()["info"]["title"] == "ParcelAudit review workbench"


def test_users_add_prints_a_key_once_and_stores_its_hash(checked_template, store_target, tmp_path):
    target = clone_store(checked_template, store_target)
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "parcelaudit",
            "users",
            "add",
            "carol",
            "--role",
            "supervisor",
            "--password-stdin",
            "--db",
            target,
        ],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**os.environ, "PARCELAUDIT_LOG_KEY_FILE": str(tmp_path / "log.key")},
    )
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"pa_[0-9a-f]{12}_[A-Za-z0-9_-]+", key)
    assert key.split("_", 2)[2] not in _stored_text(target)
    bad = cli("users", "add", "dave", "--role", "boss", "--db", target, cwd=tmp_path)
    assert bad.returncode == 2 and "unknown role" in bad.stderr
    twice = cli("users", "add", "carol", "--role", "viewer", "--db", target, cwd=tmp_path)
    assert twice.returncode == 2 and "exists already" in twice.stderr
    with LiveServer(target, tmp_path) as server:
        me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert me.json() == {"name": "carol", "role": "supervisor"}


def test_users_disable_and_enable_from_the_command_line(
    checked_template, store_target, tmp_path, monkeypatch
):
    from parcelaudit.service.accounts import add_user, user_for_key
    from parcelaudit.store import open_store

    monkeypatch.setenv("PARCELAUDIT_LOG_KEY_FILE", str(tmp_path / "log.key"))
    target = clone_store(checked_template, store_target)
    with open_store(target) as store:
        key = add_user(store, "erin", "analyst")[1]
        add_user(store, "root", "admin")
    off = cli("users", "disable", "erin", "--db", str(target), cwd=tmp_path)
    assert off.returncode == 0 and "erin disabled" in off.stdout, off.stderr
    with open_store(target, read_only=True) as store:
        assert user_for_key(store, key) is None
    twice = cli("users", "disable", "erin", "--db", str(target), cwd=tmp_path)
    assert twice.returncode == 0 and "already disabled" in twice.stdout
    last = cli("users", "disable", "root", "--db", str(target), cwd=tmp_path)
    assert last.returncode == 2 and "last enabled admin" in last.stderr
    on = cli("users", "enable", "erin", "--db", str(target), cwd=tmp_path)
    assert on.returncode == 0 and "erin enabled" in on.stdout, on.stderr
    with open_store(target, read_only=True) as store:
        assert user_for_key(store, key).name == "erin"
        actions = store.fetch("SELECT action FROM wb_log WHERE subject = 'user:erin' ORDER BY seq")
    assert [a for (a,) in actions] == ["disable_user", "enable_user"]


def test_users_revoke_key_and_rotate_key_from_the_command_line(
    checked_template, store_target, tmp_path, monkeypatch
):
    from parcelaudit.service.accounts import add_user, new_key
    from parcelaudit.store import open_store

    monkeypatch.setenv("PARCELAUDIT_LOG_KEY_FILE", str(tmp_path / "log.key"))
    target = clone_store(checked_template, store_target)
    with open_store(target) as store:
        first = add_user(store, "erin", "analyst")[1]
        second = new_key(store, "erin")
    one = cli(
        "users", "revoke-key", "erin", "--key-id", first.split("_")[1], "--db", str(target), cwd=tmp_path
    )
    assert one.returncode == 0, one.stderr
    assert "revoked 1 key(s) of erin" in one.stdout
    rotated = cli("users", "rotate-key", "erin", "--db", str(target), cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"pa_[0-9a-f]{12}_[A-Za-z0-9_-]+", new) and second.split("_")[1] in rotated.stdout
    again = cli(
        "users", "revoke-key", "erin", "--key-id", first.split("_")[1], "--db", str(target), cwd=tmp_path
    )
    assert again.returncode == 2 and "no active key" in again.stderr
    nobody = cli("users", "rotate-key", "zoe", "--db", str(target), cwd=tmp_path)
    assert nobody.returncode == 2 and "no user 'zoe'" in nobody.stderr
    verified = cli("log", "verify", "--db", str(target), cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    with open_store(target, read_only=True) as store:
        actions = store.fetch("SELECT action FROM wb_log WHERE subject = 'user:erin' ORDER BY seq")
    assert [a[0] for a in actions] == ["revoke_key", "rotate_key"]
    with LiveServer(str(target), tmp_path) as server:
        for key, status in ((first, 401), (second, 401), (new, 200)):
            me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {key}"})
            assert me.status_code == status, (key, me.text)


def _failed_sign_ins(server, forwarded_for: list[str]) -> list[int]:
    """A bad password for a new name per attempt, each claiming another client in X-Forwarded-For."""
    statuses = []
    with httpx.Client(base_url=server.url) as client:
        for n, address in enumerate(forwarded_for):
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            answer = client.post(
                "/login",
                data={"csrf_token": token, "name": f"nobody{n}", "password": "guess"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(answer.status_code)
    return statuses


def test_forwarded_for_counts_only_from_a_trusted_proxy(checked_template, store_target, tmp_path):
    target = clone_store(checked_template, store_target)
    policy = tmp_path / "policy.toml"
    policy.write_text("[sign_in]\nmax_failures_per_client = 3\n", encoding="utf-8")
    spoofed = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
    with LiveServer(target, tmp_path, "--policy", str(policy)) as server:
        # a local client cannot choose the address the per-client limit counts
        assert _failed_sign_ins(server, spoofed) == [401, 401, 401, 429]
    with LiveServer(target, tmp_path, "--policy", str(policy), "--trusted-proxy", "127.0.0.1") as server:
        # behind a proxy on 127.0.0.1, each forwarded client is counted on its own
        assert _failed_sign_ins(server, ["198.51.100.9"] * 2 + spoofed[:2]) == [401, 401, 401, 401]
