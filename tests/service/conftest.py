"""A checked store for the workbench tests: generated once per session on the suite's engine, copied into each
test's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from parcelaudit.store import open_store
from tests.support import clone_store

PASSWORD = "correct horse battery"
# name -> role; two of each deciding role so that four-eyes can be exercised.
USERS = {
    "vic": "viewer",
    "ana": "analyst",
    "ann": "analyst",
    "sue": "supervisor",
    "sam": "supervisor",
    "ada": "admin",
}


def build_checked_store(target: str | Path, folder: Path, parcels: int = 1500) -> None:
    """Generate parcels (1% of each injected problem), ingest them and run the checks once."""
    from parcelaudit.generate import generate_dataset
    from parcelaudit.ingest import ingest_file
    from parcelaudit.pipeline import run_check

    generate_dataset(folder / "data", parcels=parcels, seed=5, rate=0.01)
    with open_store(target) as store:
        for name in ("shipments", "lines", "orders", "payments"):
            ingest_file(store, folder / "data" / f"{name}.csv", rejects_dir=folder / "rejects")
        run_check(store)


@pytest.fixture(scope="session")
def checked_template(tmp_path_factory, session_target) -> str:
    """The checked store every workbench test starts from (tests copy it, never change it)."""
    folder = tmp_path_factory.mktemp("checked")
    target = session_target("checked")
    build_checked_store(target, folder)
    return target


@dataclass
class Bench:
    """A running workbench app (in-process client), its store target, settings and every user's key."""

    client: TestClient
    target: str
    settings: object
    keys: dict[str, str] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def items(self, name: str = "vic", **params) -> list[dict]:
        response = self.client.get("/api/v1/queue", params={"limit": 1000, **params}, headers=self.auth(name))
        assert response.status_code == 200, response.text
        return response.json()["items"]


def prepare_store(target: str, checked_template: str) -> dict[str, str]:
    """Copy the checked store to target and add USERS; returns their keys."""
    from parcelaudit.service.accounts import add_user

    clone_store(checked_template, target)
    keys = {}
    with open_store(target) as store:
        for name, role in USERS.items():
            keys[name] = add_user(store, name, role, PASSWORD)[1]
    return keys


@pytest.fixture
def bench(store_target, checked_template, tmp_path) -> Bench:
    from parcelaudit.service import create_app, load_settings

    keys = prepare_store(store_target, checked_template)
    settings = load_settings(key_file=tmp_path / "log.key", checkpoint_every=5)
    app = create_app(store_target, settings)
    with TestClient(app) as client:
        yield Bench(client, store_target, settings, keys)
