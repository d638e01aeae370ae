"""The one HTTP client for feeds, pages and webhooks.

Guards, each where it cannot be bypassed:

- **Address guard at connect time.** A custom httpcore network backend resolves
  the host itself, refuses it when any address is loopback, private,
  link-local, CGNAT, multicast, reserved or unspecified, and connects to the
  address it checked (TLS still gets the original name for SNI and the
  certificate check; the Host header is the URL's). It runs for every new
  connection, so every redirect hop is checked, and a DNS answer that changes
  between a check and the connect (DNS rebinding) cannot slip through: there
  is only one resolution. Miniflux does the same in its dialer's ``Control``
  hook. ``allow_private`` (``NEWSWATCH_ALLOW_PRIVATE_ADDRESSES``) lifts it for
  local testing and the demo. Only ``http`` and ``https`` are fetched.
- **A total deadline per request**, not only per read: every connect, TLS
  handshake, read and write is given at most the time left before the
  request's deadline, so a server sending one byte every few seconds is cut
  off on time (an httpx read timeout alone would let it run forever).
- **A size cap that holds after decoding.** The body is read raw and
  gzip/deflate are decoded here with ``max_length``, so a gzip bomb never
  expands past the cap in memory (httpx's own decoders inflate a whole chunk
  first). Brotli is not advertised (no decoder is installed), and a body in an
  encoding we did not ask for is refused.
- **Redirects** are followed by hand, up to ``MAX_REDIRECTS``, with loops
  detected; each hop goes through the guards again.
- **Politeness** (optional, shared through Redis): a per-host rate limiter
  (``workers.ratelimit``) and robots.txt for article pages (``workers.robots``).

Errors are the pipeline's: ``FetchTimeout`` and ``UpstreamError`` are
transient (retried), ``FetchRefused`` is permanent.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from pipeline.errors import FetchRefused, FetchTimeout, UpstreamError

CGNAT = ipaddress.ip_network("100.64.0.0/10")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
# What we can decode with a cap; "br" would need a brotli decoder, so it is not asked for.
ACCEPT_ENCODING = "gzip, deflate"

# The deadline (time.monotonic()) of the request running in this thread or task, read by the
# network streams below so that every socket operation gets only the time that is left.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("newswatch_deadline", default=None)
_dns = ThreadPoolExecutor(max_workers=8, thread_name_prefix="newswatch-dns")


@dataclass(frozen=True)
class Response:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_s: float
    redirects: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return self.body.decode(self.encoding or "utf-8", errors="replace")

    @property
    def encoding(self) -> str | None:
        ctype = self.headers.get("content-type", "")
        for part in ctype.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT)
    )


def retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header, either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _left(timeout: float | None) -> float | None:
    """The smaller of a socket operation's own timeout and the time left before the deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("request deadline passed")
    return left if timeout is None else min(timeout, left)


def resolve(host: str, port: int) -> list[str]:
    """The addresses of a host (DNS in a worker thread, so it too obeys the deadline)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        pass
    future = _dns.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=_left(None))
    except FutureTimeout:
        raise FetchTimeout(f"DNS lookup of {host} did not finish before the deadline", code="dns") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise UpstreamError(f"cannot resolve {host}: {exc}", code="dns") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation is bounded by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, check every address, connect to a checked one: the SSRF guard at connect time."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)
        if not self.allow_private:
            for address in addresses:
                # all, not any: a name with one public and one internal address is an attack
                if not is_public_address(address):
                    raise FetchRefused(f"{host} resolves to internal address {address}", code="blocked")
        error: Exception | None = None
        for address in addresses[:4]:
            try:
                stream = self._inner.connect_tcp(address, port, _left(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise FetchRefused("unix sockets are not fetched", code="blocked")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class HostLimiter(Protocol):
    """Waits until a request to ``host`` is polite (``workers.ratelimit.RedisRateLimiter``)."""

    def wait(self, host: str, deadline: float) -> None: ...


class RobotsPolicy(Protocol):
    """Says whether robots.txt lets us fetch ``url`` (``workers.robots.RobotsCache``)."""

    def allowed(self, client: HttpClient, url: str) -> bool: ...


class _Decoder:
    """gzip/deflate decoding with an output cap (RFC 9110 §8.4.1 content codings)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        if coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise FetchRefused(f"content coding {coding!r} was not asked for", code="decoding")
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if self.coding == "deflate" and self._first:
                # many servers send raw deflate without the zlib wrapper (as httpx also allows)
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.feed(data, room)
            raise FetchRefused(f"broken {self.coding} body", code="decoding") from None
        self._first = False
        return out

    def flush(self) -> bytes:
        try:
            return self._z.flush()
        except zlib.error:
            raise FetchRefused(f"truncated {self.coding} body", code="decoding") from None


def _decoded(raw: Iterator[bytes], codings: list[str], max_bytes: int, url: str) -> Iterator[bytes]:
    """Decode a raw body chunk by chunk; raises FetchRefused as soon as the output passes max_bytes."""
    decoders = [_Decoder(c) for c in reversed(codings)]  # applied in order, removed in reverse
    size = 0

    def over() -> FetchRefused:
        return FetchRefused(f"body over {max_bytes} bytes after decoding: {url}", code="too_large")

    def run(chunk: bytes, final: bool) -> bytes:
        for dec in decoders:
            chunk = dec.feed(chunk, max_bytes - size)
            if len(chunk) > max_bytes - size:
                raise over()
            if final:
                chunk += dec.flush()
        return chunk

    for piece in raw:
        out = run(piece, False)
        size += len(out)
        if size > max_bytes:
            raise over()
        if out:
            yield out
    tail = run(b"", True) if decoders else b""
    size += len(tail)
    if size > max_bytes:
        raise over()
    if tail:
        yield tail


class HttpClient:
    """One shared httpx client with newswatch's guards; safe to use from many threads."""

    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        max_bytes: int = 15 * 1024 * 1024,
        user_agent: str = "newswatch",
        allow_private: bool = False,
        limiter: HostLimiter | None = None,
        robots: RobotsPolicy | None = None,
        max_connections: int = 50,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.limiter = limiter
        self.robots = robots
        transport = httpx.HTTPTransport()
        # httpx has no public way to give its pool a network backend; the pool is the documented
        # httpcore one, built with the same defaults, plus our guarded backend.
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=min(20, max_connections),
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private=allow_private),
        )
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would connect for us, past the guard
            timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
            headers={"user-agent": user_agent, "accept-encoding": ACCEPT_ENCODING},
        )

    def close(self) -> None:
        self._client.close()

    def check_url(self, url: str) -> None:
        """Refuse schemes other than http(s) and URLs without a host (addresses are checked at connect)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed: {url}", code="blocked")
        try:
            host = parts.hostname
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            raise FetchRefused(f"malformed URL: {url}", code="blocked") from None
        if not host:
            raise FetchRefused(f"no host in {url}", code="blocked")

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        limiter: HostLimiter | None = None,
        robots: RobotsPolicy | None = None,
    ) -> Response:
        """GET with guards; follows up to MAX_REDIRECTS redirects, each hop checked.

        ``limiter`` and ``robots`` override the client's own for this request (robots.txt is
        for article pages: feeds are meant to be polled, RFC 9309 covers crawling).
        """
        limiter = limiter or self.limiter
        robots = robots or self.robots
        started = time.monotonic()
        deadline = started + self.timeout_s
        token = _deadline.set(deadline)
        try:
            current = url
            hops: list[str] = []
            while True:
                self.check_url(current)
                if robots is not None and not robots.allowed(self, current):
                    raise FetchRefused(f"robots.txt disallows {current}", code="robots")
                if limiter is not None:
                    limiter.wait(urlsplit(current).hostname or "", deadline)
                status, resp_headers, body = self._one(current, headers or {}, deadline)
                if status in REDIRECTS and "location" in resp_headers:
                    if len(hops) >= MAX_REDIRECTS:
                        raise FetchRefused(
                            f"more than {MAX_REDIRECTS} redirects from {url}", code="redirects"
                        )
                    hops.append(current)
                    current = urljoin(current, resp_headers["location"].strip())
                    if current in hops:
                        raise FetchRefused(f"redirect loop at {current}", code="redirects")
                    continue
                return Response(
                    url=url,
                    final_url=current,
                    status=status,
                    headers=resp_headers,
                    body=body,
                    elapsed_s=time.monotonic() - started,
                    redirects=tuple(hops),
                )
        finally:
            _deadline.reset(token)

    def post(self, url: str, *, body: bytes, headers: dict[str, str] | None = None) -> Response:
        """POST with the same guards; redirects are not followed (a 3xx is the answer)."""
        started = time.monotonic()
        deadline = started + self.timeout_s
        token = _deadline.set(deadline)
        try:
            self.check_url(url)
            status, resp_headers, resp_body = self._one(url, headers or {}, deadline, "POST", body)
        finally:
            _deadline.reset(token)
        return Response(
            url=url,
            final_url=url,
            status=status,
            headers=resp_headers,
            body=resp_body,
            elapsed_s=time.monotonic() - started,
        )

    def _one(
        self,
        url: str,
        headers: dict[str, str],
        deadline: float,
        method: str = "GET",
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            with self._client.stream(method, url, headers=headers, content=body) as resp:
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
                declared = hdrs.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes and not hdrs.get("content-encoding"):
                    raise FetchRefused(
                        f"body of {declared} bytes is over {self.max_bytes}: {url}", code="too_large"
                    )
                codings = [
                    c.strip().lower()
                    for c in hdrs.get("content-encoding", "").split(",")
                    if c.strip() and c.strip().lower() != "identity"
                ]
                chunks: list[bytes] = []
                for chunk in _decoded(resp.iter_raw(), codings, self.max_bytes, url):
                    if time.monotonic() > deadline:
                        raise FetchTimeout(f"deadline of {self.timeout_s} s passed reading {url}")
                    chunks.append(chunk)
                return resp.status_code, hdrs, b"".join(chunks)
        except httpx.TimeoutException:
            raise FetchTimeout(f"deadline of {self.timeout_s} s passed fetching {url}") from None
        except httpx.TooManyRedirects as exc:  # pragma: no cover - redirects are ours, not httpx's
            raise FetchRefused(str(exc), code="redirects") from None
        except httpx.TransportError as exc:
            raise UpstreamError(f"{type(exc).__name__} from {url}: {exc}", code="network") from None


def raise_for_status(resp: Response) -> None:
    """Map an HTTP status onto the error tree: 429 and 5xx transient, other 4xx permanent."""
    if resp.status < 400:
        return
    if resp.status == 429 or resp.status >= 500:
        raise UpstreamError(
            f"HTTP {resp.status} from {resp.final_url}",
            code=f"http_{resp.status}",
            retry_after_s=retry_after_s(resp.headers.get("retry-after")),
        )
    raise FetchRefused(f"HTTP {resp.status} from {resp.final_url}", code=f"http_{resp.status}")
