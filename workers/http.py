"""The one HTTP client for feeds, pages and webhooks.

Every request has a total deadline (not only a per-read timeout), a cap on the
body size that holds after decompression, a redirect limit, and an address
guard that refuses loopback, private, link-local, CGNAT, multicast and
reserved addresses (and any scheme but http/https) on every hop, unless
``allow_private_addresses`` is set (local testing, the demo).

Errors are the pipeline's: ``FetchTimeout`` and ``UpstreamError`` are
transient (retried), ``FetchRefused`` is permanent.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from pipeline.errors import FetchRefused, FetchTimeout, UpstreamError

CGNAT = ipaddress.ip_network("100.64.0.0/10")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


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
    ip = ipaddress.ip_address(address)
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
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """One shared httpx client with newswatch's guards."""

    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        max_bytes: int = 15 * 1024 * 1024,
        user_agent: str = "newswatch",
        allow_private: bool = False,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
            headers={"user-agent": user_agent, "accept-encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    def close(self) -> None:
        self._client.close()

    def check_url(self, url: str) -> None:
        """Refuse schemes other than http(s) and, unless allowed, hosts that resolve to internal addresses."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed: {url}", code="blocked")
        host = parts.hostname
        if not host:
            raise FetchRefused(f"no host in {url}", code="blocked")
        if self.allow_private:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except socket.gaierror as exc:
            raise UpstreamError(f"cannot resolve {host}: {exc.strerror}", code="dns") from None
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise FetchRefused(f"{host} resolves to internal address {address}", code="blocked")

    def get(self, url: str, *, headers: dict[str, str] | None = None) -> Response:
        """GET with guards; follows up to MAX_REDIRECTS redirects, each hop checked."""
        started = time.monotonic()
        deadline = started + self.timeout_s
        current = url
        hops: list[str] = []
        while True:
            self.check_url(current)
            status, resp_headers, body = self._one(current, headers or {}, deadline)
            if status in REDIRECTS and "location" in resp_headers:
                if len(hops) >= MAX_REDIRECTS:
                    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects from {url}", code="redirects")
                hops.append(current)
                current = urljoin(current, resp_headers["location"])
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

    def post(self, url: str, *, body: bytes, headers: dict[str, str] | None = None) -> Response:
        """POST with the same guards; redirects are not followed (a 3xx is the answer)."""
        started = time.monotonic()
        self.check_url(url)
        status, resp_headers, resp_body = self._one(
            url, headers or {}, started + self.timeout_s, "POST", body
        )
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
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():  # decoded: the cap holds after gzip/deflate
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchRefused(f"body over {self.max_bytes} bytes: {url}", code="too_large")
                    if time.monotonic() > deadline:
                        raise FetchTimeout(f"deadline of {self.timeout_s} s passed reading {url}")
                    chunks.append(chunk)
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
                return resp.status_code, hdrs, b"".join(chunks)
        except httpx.TimeoutException:
            raise FetchTimeout(f"timed out after {self.timeout_s} s: {url}") from None
        except httpx.DecodingError as exc:
            raise FetchRefused(f"undecodable body from {url}: {exc}", code="decoding") from None
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
