"""Fixtures of the fault suite: a Redis of the test's own (to kill, restart or fill), CLI runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from workers.redis_server import redis_server_binary

NEWSWATCH = [sys.executable, "-m", "workers.cli"]


@dataclass
class OwnRedis:
    """A redis-server on a unix socket in the test's folder, with AOF on, that a test may kill."""

    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, *extra: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--dir",
            str(self.folder),
        ]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", "", *extra]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping():
                    return
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError):
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), decode_responses=True)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "own-redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def cli(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWATCH, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The command's standard error, asserted to be one short message and no traceback."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


@pytest.fixture
def quiet_env(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "NEWSWATCH_LOG_LEVEL": "ERROR",
        "COLUMNS": "300",
        **{k: "" for k in ("TERM",) if k in os.environ},
    }
