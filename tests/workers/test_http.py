"""The hardened HTTP client against hostile local servers: bombs, endless and dripping bodies, redirects."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.errors import FetchRefused, FetchTimeout, UpstreamError
from workers import http as http_mod
from workers.http import HttpClient, raise_for_status
from workers.ratelimit import RedisRateLimiter
from workers.robots import RobotsCache

BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB of zeros in ~64 KiB


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        path = self.path
        if path == "/ok":
            self._send(200, b"hello", {"Content-Type": "text/plain"})
        elif path == "/gzip":
            self._send(200, gzip.compress(b"small body " * 10), {"Content-Encoding": "gzip"})
        elif path == "/bomb":
            self._send(200, BOMB, {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no length: the body ends when the connection does, i.e. never
            try:
                while True:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                return
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.4)
            except OSError:
                return
        elif path == "/loop-a":
            self._send(302, headers={"Location": "/loop-b"})
        elif path == "/loop-b":
            self._send(302, headers={"Location": f"http://127.0.0.2:{port}/loop-a"})
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            self._send(302, headers={"Location": f"/chain/{n + 1}"})
        elif path == "/to-loopback":
            self._send(302, headers={"Location": f"http://127.0.0.1:{port}/ok"})
        elif path == "/to-metadata":
            self._send(301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-file":
            self._send(302, headers={"Location": "file:///etc/passwd"})
        elif path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n")
        elif path == "/private/page":
            self._send(200, b"secret")
        elif path == "/busy":
            self._send(429, b"slow down", {"Retry-After": "120"})
        else:
            self._send(404, b"no")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    # 127.0.0.2 stands in for a public site: the tests below treat it (only it) as public
    srv = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def public_test_host(monkeypatch: pytest.MonkeyPatch) -> None:
    real = http_mod.is_public_address
    monkeypatch.setattr(http_mod, "is_public_address", lambda a: a == "127.0.0.2" or real(a))


def client(**kw: object) -> HttpClient:
    options: dict[str, object] = {"timeout_s": 2.0, "max_bytes": 1024 * 1024, "allow_private": False}
    options.update(kw)
    return HttpClient(**options)  # type: ignore[arg-type]


def test_plain_and_gzip_bodies_arrive_decoded(server: str, public_test_host: None) -> None:
    with_client = client()
    assert with_client.get(f"{server}/ok").body == b"hello"
    assert with_client.get(f"{server}/gzip").body == b"small body " * 10


@pytest.mark.parametrize(
    ("path", "fragment"),
    [("/to-loopback", "127.0.0.1"), ("/to-metadata", "169.254.169.254"), ("/to-file", "scheme 'file'")],
)
def test_a_redirect_to_an_internal_address_is_refused(
    server: str, public_test_host: None, path: str, fragment: str
) -> None:
    with pytest.raises(FetchRefused, match=fragment) as info:
        client().get(f"{server}{path}")
    assert info.value.code == "blocked"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://[::1]:9/",
        "http://2130706433:9/",
        "http://10.1.2.3/",
    ],
)
def test_internal_addresses_are_refused_at_connect(url: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="internal address"):
        client().get(url)
    assert time.monotonic() - started < 1.0  # refused before any connection is tried


def test_allow_private_lets_loopback_through(server: str) -> None:
    resp = client(allow_private=True).get(f"{server}/ok")  # 127.0.0.2 is loopback too
    assert resp.status == 200 and resp.body == b"hello"


def test_gzip_bomb_is_cut_at_the_cap_after_decoding(server: str, public_test_host: None) -> None:
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="after decoding") as info:
        client().get(f"{server}/bomb")
    assert info.value.code == "too_large" and time.monotonic() - started < 2.0


def test_endless_body_is_cut_at_the_cap(server: str, public_test_host: None) -> None:
    with pytest.raises(FetchRefused) as info:
        client().get(f"{server}/endless")
    assert info.value.code == "too_large"


def test_a_byte_every_few_tenths_is_cut_at_the_total_deadline(server: str, public_test_host: None) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="deadline"):
        client(timeout_s=1.5).get(f"{server}/drip")
    assert 1.4 < time.monotonic() - started < 2.5


def test_redirect_loops_and_long_chains_stop(server: str, public_test_host: None) -> None:
    with pytest.raises(FetchRefused, match="redirect loop"):
        client().get(f"{server}/loop-a")
    with pytest.raises(FetchRefused, match="more than 5 redirects"):
        client().get(f"{server}/chain/0")


def test_429_is_transient_with_its_retry_after(server: str, public_test_host: None) -> None:
    resp = client().get(f"{server}/busy")
    with pytest.raises(UpstreamError) as info:
        raise_for_status(resp)
    assert info.value.code == "http_429" and info.value.retry_after_s == 120


def test_robots_txt_is_respected_for_pages(
    server: str, public_test_host: None, nw: object, prefix: str
) -> None:
    from workers.app import App

    assert isinstance(nw, App)
    robots = RobotsCache(nw.redis, prefix)
    c = client()
    with pytest.raises(FetchRefused, match=r"robots\.txt disallows") as info:
        c.get(f"{server}/private/page", robots=robots)
    assert info.value.code == "robots"
    assert c.get(f"{server}/ok", robots=robots).status == 200
    assert nw.redis.get(f"{prefix}:robots:{server}") is not None  # shared with every worker


def test_rate_limit_is_shared_per_host_through_redis(nw: object, prefix: str) -> None:
    from workers.app import App

    assert isinstance(nw, App)
    # two limiters stand for two worker processes; a burst of 2, then one every 0.3 s, per host
    a = RedisRateLimiter(nw.redis, prefix, interval_s=0.3, burst=2, exempt_loopback=False)
    b = RedisRateLimiter(nw.redis, prefix, interval_s=0.3, burst=2, exempt_loopback=False)
    started = time.monotonic()
    for limiter in (a, b, a, b):
        limiter.wait("news.example", time.monotonic() + 10)
    assert 0.5 < time.monotonic() - started < 1.2  # 2 at once, then 0.3 s apart
    other = time.monotonic()
    a.wait("other.example", time.monotonic() + 10)
    assert time.monotonic() - other < 0.1  # another host is not held up
    with pytest.raises(UpstreamError) as info:
        for _ in range(5):
            b.wait("news.example", time.monotonic() + 1.2)  # no slot inside this deadline
    assert info.value.code == "rate_limited" and info.value.retry_after_s
