"""Users, roles, API keys and passwords.

An API key is `pa_<key id>_<secret>`: the key id finds the record, the secret (32 random bytes) is kept only as
its SHA-256 (a key is never stored, and a random 256-bit secret needs no slow hash). Passwords are hashed
with Argon2id (argon2-cffi, the RFC 9106 algorithm) and never stored in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from parcelaudit.errors import ParcelAuditError
from parcelaudit.service import ledger
from parcelaudit.service.settings import ROLES, WorkbenchSettings
from parcelaudit.store import Store, utc_now
from parcelaudit.store import workbench as sql

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
KEY_FORMAT = re.compile(r"pa_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as one for a known name.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class User:
    """Who is acting, and with which role."""

    user_id: int
    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user's role is at least `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def add_user(store: Store, name: str, role: str, password: str | None = None) -> tuple[User, str]:
    """Create a user with a role (and a password for browser login); returns the user and a new API key,
    which is shown once and stored only as a hash."""
    if not USER_NAME.fullmatch(name or ""):
        raise ParcelAuditError(
            f"user name {name!r} is not allowed",
            field="name",
            hint="use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
        )
    if role not in ROLES:
        raise ParcelAuditError(f"unknown role {role!r}", field="--role", hint=" | ".join(ROLES))
    password_hash = None
    if password is not None:
        if len(password) < MIN_PASSWORD:
            raise ParcelAuditError(
                f"the password is shorter than {MIN_PASSWORD} characters",
                field="password",
                hint="choose a longer one",
            )
        password_hash = _HASHER.hash(password)
    with store.lock("wb_users"), store.transaction():
        if sql.user_by_name(store, name) is not None:
            raise ParcelAuditError(f"user {name!r} exists already", field="name", hint="choose another name")
        user_id = sql.insert_user(store, name, role, password_hash, utc_now())
        key = _new_key(store, user_id)
    return User(user_id, name, role), key


def _new_key(store: Store, user_id: int) -> str:
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    sql.insert_key(store, key_id, user_id, _secret_sha256(secret), utc_now())
    return f"pa_{key_id}_{secret}"


class NoSuchUser(ParcelAuditError):
    """The name is not a user's (the API answers 404)."""


class NoActiveKey(ParcelAuditError):
    """The user has no key that is not revoked (the API answers 409)."""


def _user_row(store: Store, name: str) -> dict:
    row = sql.user_by_name(store, name)
    if row is None:
        raise NoSuchUser(f"no user {name!r}", field="name", hint="add one with `parcelaudit users add`")
    return row


def new_key(store: Store, name: str) -> str:
    """Issue another API key to an existing user (shown once)."""
    user = _user_row(store, name)
    with store.transaction():
        return _new_key(store, user["user_id"])


def revoke_keys(
    store: Store, settings: WorkbenchSettings, actor: User, name: str, key_id: str | None = None
) -> list[str]:
    """Revoke a user's active API keys (or only key_id), recorded in the log; returns the key ids revoked.
    A revoked key gets 401 at once from the server that revoked it, and from any other server within
    KEY_CACHE_SECONDS."""
    with store.lock("wb_users"), store.transaction():
        revoked = _revoke(store, _user_row(store, name), key_id)
        if not revoked:
            which = f"key {key_id!r}" if key_id else "key"
            raise NoActiveKey(
                f"user {name!r} has no active {which}",
                field="--key-id" if key_id else "name",
                hint="`parcelaudit users rotate-key NAME` issues a new one",
            )
        _log_user_change(store, settings, actor, "revoke_key", name, {"keys": revoked})
    return revoked


def rotate_key(store: Store, settings: WorkbenchSettings, actor: User, name: str) -> tuple[str, list[str]]:
    """Issue a user a new API key and revoke every older one, recorded in the log; returns the new key (shown
    once) and the key ids revoked."""
    with store.lock("wb_users"), store.transaction():
        row = _user_row(store, name)
        revoked = _revoke(store, row, None)
        key = _new_key(store, row["user_id"])
        _log_user_change(
            store, settings, actor, "rotate_key", name, {"revoked": revoked, "new_key": key.split("_")[1]}
        )
    return key, revoked


def _revoke(store: Store, row: dict, key_id: str | None) -> list[str]:
    """Revoke the user's active keys (only key_id when given); returns their ids (maybe none)."""
    active = [k["key_id"] for k in sql.user_keys(store, row["user_id"]) if k["revoked_at"] is None]
    chosen = [k for k in active if key_id is None or k == key_id]
    for revoked in chosen:
        sql.revoke_key(store, revoked, utc_now())
    return chosen


def _log_user_change(
    store: Store, settings: WorkbenchSettings, actor: User, action: str, name: str, detail: dict
) -> None:
    ledger.append(
        store,
        settings,
        actor=actor.name,
        role=actor.role,
        action=action,
        subject=f"user:{name}",
        detail=detail,
    )


class LastAdmin(ParcelAuditError):
    """Disabling this user would leave no enabled admin."""


def set_disabled(store: Store, settings: WorkbenchSettings, actor: User, name: str, disabled: bool) -> bool:
    """Disable a user (their keys get 401 and their sessions end; nothing of theirs is deleted, so the log's
    references stay meaningful) or enable them again, recorded in the log. Returns False when the user was
    already in that state (nothing logged). The last enabled admin cannot be disabled."""
    action = "disable_user" if disabled else "enable_user"
    with store.lock("wb_users"), store.transaction():
        row = _user_row(store, name)
        if bool(row["disabled"]) == disabled:
            return False
        if disabled and row["role"] == "admin":
            admins = [u for u in sql.list_users(store) if u["role"] == "admin" and not u["disabled"]]
            if len(admins) <= 1:
                raise LastAdmin(
                    f"{name!r} is the last enabled admin",
                    field="name",
                    hint="add or enable another admin first",
                )
        sql.set_user_disabled(store, row["user_id"], disabled)
        if disabled:
            sql.end_user_sessions(store, row["user_id"], utc_now())
        _log_user_change(store, settings, actor, action, name, {"disabled": disabled})
    return True


def set_password(store: Store, name: str, password: str) -> None:
    """Give an existing user a new browser-login password; every session of theirs ends."""
    if len(password) < MIN_PASSWORD:
        raise ParcelAuditError(
            f"the password is shorter than {MIN_PASSWORD} characters",
            field="password",
            hint="choose a longer one",
        )
    row = _user_row(store, name)
    with store.transaction():
        sql.set_password_hash(store, name, _HASHER.hash(password))
        sql.end_user_sessions(store, row["user_id"], utc_now())


def _active(row: dict | None) -> User | None:
    if row is None or row["disabled"]:
        return None
    return User(row["user_id"], row["name"], row["role"])


def user_for_key(store: Store, key: str) -> User | None:
    """The user an API key belongs to, or None for a malformed, unknown or revoked key."""
    match = KEY_FORMAT.fullmatch(key or "")
    if not match:
        return None
    record = sql.key_record(store, match.group(1))
    if record is None:
        return None
    if not hmac.compare_digest(record[0], _secret_sha256(match.group(2))):
        return None
    return _active(sql.user_by_id(store, record[1]))


def password_record(store: Store, name: str) -> dict | None:
    """What check_password needs about a name (None when there is no such user)."""
    return sql.user_by_name(store, name or "")


def check_password(record: dict | None, password: str) -> User | None:
    """The user when the password matches the record, else None; as slow for an unknown name (record None)
    as for a wrong password. Runs Argon2id: call it without holding the store."""
    stored = record["password_hash"] if record and record["password_hash"] else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return _active(record) if record and record["password_hash"] else None


def user_by_id(store: Store, user_id: int) -> User | None:
    """The active user with this id (a session names its user by id), or None."""
    return _active(sql.user_by_id(store, user_id))
