"""A real workbench server in a child process on a free loopback port, for browser and load tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`parcelaudit serve` over a store; stopped (by its own pid) when the block ends."""

    def __init__(self, target: str, folder: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"server-{self.port}.log"
        command = [
            sys.executable,
            "-m",
            "parcelaudit",
            "serve",
            "--db",
            target,
            "--port",
            str(self.port),
            "--key-file",
            str(folder / "log.key"),
            *extra,
        ]
        env = {**os.environ, "COLUMNS": "200"}
        self._handle = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(command, stdout=self._handle, stderr=subprocess.STDOUT, env=env)

    def __enter__(self) -> LiveServer:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.log.read_text(encoding='utf-8')}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"the server did not start: {self.log.read_text(encoding='utf-8')}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._handle.close()
