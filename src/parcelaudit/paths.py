"""Where bundled reference data lives and where the optional external data folder is found."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DATA = PACKAGE_DIR / "reference" / "data"
DEFAULT_DB = Path("parcelaudit.duckdb")


def shared_data_dir() -> Path | None:
    """Return the external reference folder (PARCELAUDIT_SHARED_DATA or ../shared/data), if present."""
    env = os.environ.get("PARCELAUDIT_SHARED_DATA")
    if env is not None:
        # An explicit setting wins, even when it names nothing: that is how a run says "no shared data".
        return Path(env) if env and Path(env).is_dir() else None
    repo_root = PACKAGE_DIR.parent.parent
    candidates = [repo_root.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def user_data_dir() -> Path:
    """Return the folder where downloaded reference data is cached (PARCELAUDIT_HOME or ~/.parcelaudit)."""
    home = os.environ.get("PARCELAUDIT_HOME")
    path = Path(home) if home else Path.home() / ".parcelaudit"
    path.mkdir(parents=True, exist_ok=True)
    return path
