"""Output files are whole or absent: written under a temporary name in the same folder, then renamed.

A rename within one folder is atomic (POSIX rename, Windows MoveFileEx via os.replace), so a reader or a
`kill -9` never finds half a file under its final name. A run that writes several files marks the folder
complete last, with MANIFEST (manifest.json: each file's name, size and SHA-256); `begin_outputs`
removes the previous manifest first, so a folder whose manifest is absent or does not match its files
holds an interrupted run.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parcelaudit.hashing import file_sha256

MANIFEST = "manifest.json"
TEMP_MARK = ".partial-"  # temporary names: .NAME.partial-XXXXXXXX (hidden, never a final name)


def temporary_name(path: Path) -> Path:
    """A fresh temporary path beside path (same folder, so the final rename is atomic)."""
    return path.with_name(f".{path.name}{TEMP_MARK}{secrets.token_hex(4)}")


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write; on success flush it to disk and rename it to path, else delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(path)
    try:
        yield temporary
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write data to path whole or not at all."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write UTF-8 text to path whole or not at all."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def begin_outputs(out_dir: Path | str) -> Path:
    """Before a run writes into out_dir: drop the previous manifest (the folder is incomplete until the new
    one is written) and temporary files an interrupted run left behind."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)
    for leftover in out_dir.glob(f".*{TEMP_MARK}*"):
        leftover.unlink(missing_ok=True)
    _sync_folder(out_dir)
    return out_dir


def write_manifest(out_dir: Path | str, paths: list[Path], **about: Any) -> Path:
    """Mark out_dir complete: manifest.json with each file's name, bytes and SHA-256, plus `about` fields."""
    out_dir = Path(out_dir)
    files = [
        {"name": Path(p).name, "bytes": Path(p).stat().st_size, "sha256": file_sha256(Path(p))}
        for p in sorted(paths, key=lambda p: Path(p).name)
    ]
    document = {"complete": True, **about, "files": files}
    return write_text_atomic(out_dir / MANIFEST, json.dumps(document, indent=2, default=str) + "\n")


def verify_manifest(out_dir: Path | str) -> list[str]:
    """Problems with out_dir's outputs: no manifest, or a listed file missing or changed ([] when whole)."""
    out_dir = Path(out_dir)
    manifest = out_dir / MANIFEST
    if not manifest.exists():
        return [f"{manifest}: absent (the run that wrote this folder did not finish)"]
    problems = []
    for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]:
        path = out_dir / entry["name"]
        if not path.exists():
            problems.append(f"{path}: listed in {MANIFEST} but absent")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{path}: SHA-256 differs from {MANIFEST}")
    return problems


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
