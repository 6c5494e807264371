"""Outputs are whole or absent: temporary name + rename, a manifest with SHA-256 last, even under kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parcelaudit.outputs import (
    MANIFEST,
    TEMP_MARK,
    atomic_path,
    begin_outputs,
    verify_manifest,
    write_manifest,
)
from parcelaudit.store import Store
from tests.support import cli, generated_store


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "findings.csv"
    target.write_text("previous, whole\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half a fi", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "previous, whole\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.csv"]


def test_the_manifest_lists_hashes_and_a_new_run_removes_it_first(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x\n", encoding="utf-8")
    write_manifest(tmp_path, [a], command="test")
    entry = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))["files"][0]
    assert entry["name"] == "a.csv" and entry["bytes"] == 2 and len(entry["sha256"]) == 64
    assert verify_manifest(tmp_path) == []
    a.write_text("changed\n", encoding="utf-8")
    assert "SHA-256 differs" in verify_manifest(tmp_path)[0]
    (tmp_path / f".b.csv{TEMP_MARK}0000").write_text("left by a killed run", encoding="utf-8")
    begin_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert "absent" in verify_manifest(tmp_path)[0]


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    found = {}
    for entry in os.scandir(folder):
        try:
            stat = entry.stat()
        except FileNotFoundError:  # renamed away between listing and stat: the next look sees the change
            continue
        found[entry.name] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return found


def _kill_at_change(db: str, out: Path, changes: int) -> None:
    """Run `check` in a real subprocess and SIGKILL it once the folder has changed `changes` times."""
    process = subprocess.Popen(
        [sys.executable, "-m", "parcelaudit", "check", "--db", db, "--out", str(out), "--no-screening"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen, last = 0, _snapshot(out)
        deadline = time.monotonic() + 600
        while process.poll() is None and time.monotonic() < deadline:
            now = _snapshot(out)
            if now != last:
                seen, last = seen + 1, now
                if seen >= changes:
                    process.send_signal(signal.SIGKILL)
                    break
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()


def test_kill_9_while_writing_leaves_no_partial_file_under_a_final_name(store_target, tmp_path):
    db = generated_store(tmp_path, store_target, parcels=1500)
    out = tmp_path / "out"
    first = cli("check", "--db", db, "--out", str(out), "--no-screening", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert verify_manifest(out) == []
    previous = {p.name: p.read_bytes() for p in out.iterdir() if p.name != MANIFEST}
    # Kill at the first change in the folder, then at later ones: whatever moment the kill lands on, every
    # file under a final name is whole (the same store gives the same bytes), and the manifest is either
    # absent (run incomplete) or true.
    for changes in (1, 2, 4):
        _kill_at_change(db, out, changes)
        for path in out.iterdir():
            if path.name in previous:
                assert path.read_bytes() == previous[path.name], (
                    f"{path.name} partial after kill at change {changes}"
                )
            else:
                assert path.name == MANIFEST or TEMP_MARK in path.name, path.name
        assert (out / MANIFEST).exists() is False or verify_manifest(out) == []
    again = cli("check", "--db", db, "--out", str(out), "--no-screening", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert verify_manifest(out) == [] and not [p for p in out.iterdir() if TEMP_MARK in p.name]
    with Store.open(db, read_only=True) as store:
        recorded = store.fetch(
            "SELECT name, sha256 FROM check_outputs WHERE run_id = (SELECT max(run_id) FROM check_runs) ORDER BY name"
        )
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert recorded == [(f["name"], f["sha256"]) for f in listed]
