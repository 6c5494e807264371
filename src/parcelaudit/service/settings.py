"""The workbench's settings: the policy file (SLAs, four-eyes, batch size, checkpoints) and where keys live."""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from parcelaudit.errors import ReferenceDataError

DEFAULT_POLICY = Path(__file__).resolve().parent / "workbench_policy.toml"
# Roles, least to most powerful: each may do everything the ones before it may.
ROLES = ("viewer", "analyst", "supervisor", "admin")
KINDS = ("hold", "review", "hit", "trace")


def default_key_file() -> Path:
    """Where the log's checkpoint signing key lives: $PARCELAUDIT_LOG_KEY_FILE, else
    ~/.parcelaudit/workbench-log.key (outside the store, so whoever can write the store cannot re-sign)."""
    raw = os.environ.get("PARCELAUDIT_LOG_KEY_FILE")
    return Path(raw) if raw else Path.home() / ".parcelaudit" / "workbench-log.key"


@dataclass(frozen=True)
class WorkbenchSettings:
    """What the workbench runs under; `policy_sha256` goes into every log entry."""

    sla_hours: dict[str, float] = field(default_factory=dict)
    sla_reason_hours: dict[str, float] = field(default_factory=dict)
    four_eyes_reasons: frozenset[str] = frozenset()
    four_eyes_actions: frozenset[str] = frozenset()
    max_batch: int = 1000
    checkpoint_every: int = 50
    policy_source: str = str(DEFAULT_POLICY)
    policy_sha256: str = ""
    key_file: Path = field(default_factory=default_key_file)
    secure_cookies: bool = False  # True behind HTTPS: the session cookie is then sent over HTTPS only
    session_hours: float = 8.0
    max_failures_per_name: int = 5  # failed sign-ins per name within the window before 429
    max_failures_per_client: int = 20  # ... and per client address
    sign_in_window_minutes: float = 15.0
    known_client_days: float = 30.0  # sign-ins from an address used this recently escape the name lockout

    def sla_for(self, kind: str, reasons: list[str]) -> float:
        """Hours until an item of this kind carrying these reasons is due."""
        hours = [self.sla_hours.get(kind, 24.0)]
        hours += [self.sla_reason_hours[r] for r in reasons if r in self.sla_reason_hours]
        return min(hours)

    def needs_second_person(self, action: str, reasons: list[str]) -> bool:
        """Whether this action on an item with these reasons waits for a supervisor's approval."""
        return action in self.four_eyes_actions and bool(self.four_eyes_reasons.intersection(reasons))


def _number(value: object, path: Path, key: str, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ReferenceDataError(
            f"{key} must be a number of at least {minimum:g}, not {value!r}", file=str(path), field=key
        )
    return float(value)


def load_settings(
    policy: Path | str | None = None, *, key_file: Path | str | None = None, **overrides
) -> WorkbenchSettings:
    """Read the workbench policy TOML (default: the bundled one) into settings; overrides replace fields."""
    path = Path(policy) if policy else DEFAULT_POLICY
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError as error:
        raise ReferenceDataError(
            "workbench policy not found", file=str(path), hint="pass an existing --policy"
        ) from error
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ReferenceDataError(f"workbench policy is not valid TOML: {error}", file=str(path)) from error
    sla = dict(data.get("sla", {}))
    reasons = sla.pop("reasons", {})
    for kind in sla:
        if kind not in KINDS:
            raise ReferenceDataError(
                f"unknown queue kind {kind!r} in [sla]",
                file=str(path),
                field=f"sla.{kind}",
                hint=", ".join(KINDS),
            )
    four = data.get("four_eyes", {})
    sign_in = data.get("sign_in", {})
    values = {
        "sla_hours": {k: _number(v, path, f"sla.{k}", 0.01) for k, v in sla.items()},
        "sla_reason_hours": {k: _number(v, path, f"sla.reasons.{k}", 0.01) for k, v in reasons.items()},
        "four_eyes_reasons": frozenset(four.get("reasons", [])),
        "four_eyes_actions": frozenset(four.get("actions", ["release"])),
        "max_batch": int(
            _number(data.get("screening", {}).get("max_batch", 1000), path, "screening.max_batch", 1)
        ),
        "checkpoint_every": int(
            _number(data.get("log", {}).get("checkpoint_every", 50), path, "log.checkpoint_every", 1)
        ),
        "max_failures_per_name": int(
            _number(sign_in.get("max_failures_per_name", 5), path, "sign_in.max_failures_per_name", 1)
        ),
        "max_failures_per_client": int(
            _number(sign_in.get("max_failures_per_client", 20), path, "sign_in.max_failures_per_client", 1)
        ),
        "sign_in_window_minutes": _number(
            sign_in.get("window_minutes", 15), path, "sign_in.window_minutes", 0.1
        ),
        "known_client_days": _number(
            sign_in.get("known_client_days", 30), path, "sign_in.known_client_days", 0
        ),
        "policy_source": str(path),
        "policy_sha256": hashlib.sha256(raw).hexdigest(),
        "key_file": Path(key_file) if key_file else default_key_file(),
    }
    values.update(overrides)
    return WorkbenchSettings(**values)
