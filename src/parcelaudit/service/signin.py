"""Browser sign-in: the password check, limited per name and per client address, and sessions kept on the
server so that signing out ends them.

Limits: every attempt is recorded as a failure *before* its password is checked (and forgotten when it
succeeds), so that guesses sent together count as they arrive. When a name has `max_failures_per_name`
failures within the window, or a client address `max_failures_per_client`, the next attempt is refused
without checking the password (SignInThrottled: 429 with Retry-After) until the oldest of them leaves the
window. The per-name limit also holds for names nobody has, so the answer does not tell which names exist.

Anyone who knows a name can use up its per-name limit. So that this does not lock its owner out, an address
from which the user signed in within `known_client_days` is not held to the name's count: there only the name's
failures *from that address* count against the same limit (and the address's own limit still holds). Guesses
spread over many addresses stay limited by the name; an address the user works from is locked only by
failures sent from it (OWASP Authentication Cheat Sheet, "Account lockout").

Sessions: the cookie carries a random session id (signed, with the CSRF token); the store keeps only its
SHA-256 (wb_sessions) with the user, expiry and end. Signing out, or a new password, ends the row, and a
cookie naming an ended session is an anonymous one.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from parcelaudit.service import accounts
from parcelaudit.service.accounts import User
from parcelaudit.service.settings import WorkbenchSettings
from parcelaudit.store import Store, utc_now
from parcelaudit.store import workbench as sql


class SignInThrottled(Exception):
    """Too many failed sign-ins for the name or from the address; retry_after is in seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"too many failed sign-ins for this name or from this address: try again in {minutes} minute(s)"
        )
        self.retry_after = retry_after
        self.message = str(self)


def _wait(times: list[datetime], limit: int, window: timedelta, now: datetime) -> float:
    """Seconds until fewer than `limit` of these failure times are within the window (0: not locked)."""
    if len(times) < limit:
        return 0.0
    return max(0.0, (times[-limit] + window - now).total_seconds())


def sign_in(access, settings: WorkbenchSettings, name: str, password: str, client: str) -> User | None:
    """The user when name and password match, None when they do not; SignInThrottled when locked out.
    `access` lends the store (the Argon2id check runs without holding it)."""
    now = utc_now()
    window = timedelta(minutes=settings.sign_in_window_minutes)
    with access() as store, store.transaction():
        by_name, by_client, by_pair = sql.sign_in_failures(store, name, client, now - window)
        if len(by_name) >= settings.max_failures_per_name and sql.signed_in_from(
            store, name, client, now - timedelta(days=settings.known_client_days)
        ):
            by_name = by_pair  # an address the user signed in from counts only its own failures
        wait = max(
            _wait(by_name, settings.max_failures_per_name, window, now),
            _wait(by_client, settings.max_failures_per_client, window, now),
        )
        if not wait:
            sql.insert_sign_in_failure(store, name, client, now)
            sql.forget_sign_in_failures(store, None, before=now - window)
        record = accounts.password_record(store, name)
    if wait:
        raise SignInThrottled(math.ceil(wait))
    user = accounts.check_password(record, password)
    if user is not None:
        with access() as store:
            sql.forget_sign_in_failures(store, name)
    return user


def session_sha256(session_id: str) -> str:
    """What the store keeps of a session id."""
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def start_session(store: Store, settings: WorkbenchSettings, user: User, client: str) -> str:
    """Record a new signed-in session for user; returns its id (for the cookie only)."""
    session_id = secrets.token_urlsafe(32)
    now = utc_now()
    sql.insert_session(
        store,
        session_sha256(session_id),
        user.user_id,
        now,
        now + timedelta(hours=settings.session_hours),
        client,
    )
    return session_id


def session_user_id(store: Store, session_id: str) -> int | None:
    """The user of a session that has not ended or expired, else None."""
    return sql.session_user(store, session_sha256(session_id), utc_now())


def end_session(store: Store, session_id: str) -> None:
    """Sign out: the session's cookie is of no use afterwards."""
    sql.end_session(store, session_sha256(session_id), utc_now())
