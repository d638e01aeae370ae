"""Shared fixtures: a real Redis (never a mock), a key prefix per test, the repo's paths.

The Redis is NEWSWATCH_TEST_REDIS_URL, else redis://127.0.0.1:6379/0 when it
answers, else an embedded redis-server started for the session.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import structlog

from config.settings import Settings
from workers.app import App
from workers.redis_server import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = Path(__file__).resolve().parent / "testdata"
SHARED = ROOT.parent / "shared"


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


@pytest.fixture(autouse=True)
def nothing_leaves_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A safety net under every test: no connection and no name lookup beyond this machine, even
    if a guard under test failed (a failure then shows as a refused connection, not as traffic)."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock: socket.socket, address: object) -> None:
        if isinstance(address, tuple) and not _loopback(str(address[0])):
            raise ConnectionRefusedError(f"tests never connect off this machine ({address[0]})")
        real_connect(sock, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        literal = True
        try:
            ipaddress.ip_address(name.strip("[]").split("%")[0])
        except ValueError:
            literal = name.isdigit()  # "2130706433" is an address too
        if name and not literal and not _loopback(name):
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no outside names ({name})")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def logging_left_as_found() -> Iterator[None]:
    """Commands and benchmarks configure logging for the whole process (level, stream): undo that
    after each test, so a later test's captured logs are not filtered out or sent to a closed stream."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    dramatiq_level = logging.getLogger("dramatiq").level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("dramatiq").setLevel(dramatiq_level)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("NEWSWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if _answers(url):
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.start()
    finally:
        server.stop()


def wipe(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    value = f"nwtest-{uuid.uuid4().hex[:10]}"
    yield value
    wipe(redis_url, value)


@pytest.fixture
def settings(redis_url: str, prefix: str, tmp_path: Path) -> Settings:
    return Settings(
        redis_url=redis_url,
        key_prefix=prefix,
        data_dir=tmp_path / "data",
        allow_private_addresses=True,
        worker_threads=2,
        max_retries=1,
    )


@pytest.fixture
def nw(settings: Settings) -> Iterator[App]:
    with App.open(settings) as app:
        yield app


@pytest.fixture
def env(redis_url: str, prefix: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the `newswatch` command against this test's Redis and prefix."""
    return {
        **os.environ,
        "NEWSWATCH_REDIS_URL": redis_url,
        "NEWSWATCH_KEY_PREFIX": prefix,
        "NEWSWATCH_DATA_DIR": str(tmp_path / "data"),
        "NEWSWATCH_LOG_LEVEL": "WARNING",
    }


_VOCAB = (
    "court custody ministry embassy consular envoy sanctions vessel treaty border pastor missionary defector "
    "investigator prosecutor hearing appeal verdict sentence charge espionage document archive harbor "
    "shipment cargo tanker export license bank asset freeze list entity individual official spokesman "
    "statement briefing protest summons warning talks summit delegation minister deputy adviser analyst "
    "region province port city capital village factory plant mine railway bridge airport road river "
    "winter spring summer autumn morning evening week month year decade century history future "
    "economy trade market price supply demand energy oil gas coal grain fish timber steel chip engine"
).split()


def synthetic_text(seed: int, sentences: int = 6) -> str:
    """Distinct article-like text for a seed: sentences of words drawn from a fixed vocabulary."""
    import random

    rng = random.Random(seed)
    lines = []
    for n in range(sentences):
        words = rng.choices(_VOCAB, k=rng.randint(14, 22))
        lines.append(f"{words[0].capitalize()} {' '.join(words[1:])} in report {seed}-{n}.")
    return "\n".join(lines)
