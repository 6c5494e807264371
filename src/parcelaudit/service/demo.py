"""Demo sign-ins: one user per role (two supervisors, for four-eyes), each with a fresh random password."""

from __future__ import annotations

import secrets

from parcelaudit.service.accounts import add_user, set_password
from parcelaudit.store import Store
from parcelaudit.store import workbench as sql

DEMO_USERS = (
    ("analyst", "analyst"),
    ("auditor", "analyst"),
    ("supervisor", "supervisor"),
    ("supervisor2", "supervisor"),
    ("viewer", "viewer"),
    ("admin", "admin"),
)


def demo_logins(store: Store) -> list[tuple[str, str, str]]:
    """Create the demo users (or give existing ones a new password); returns (name, role, password) to print.
    The passwords are new on every call, so an old printout stops working."""
    logins = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        if sql.user_by_name(store, name) is None:
            add_user(store, name, role, password)
        else:
            set_password(store, name, password)
        logins.append((name, role, password))
    return logins
