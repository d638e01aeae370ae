"""robots.txt for article pages (RFC 9309), parsed with protego, cached in Redis for every worker.

Feeds are not checked: a feed is published to be polled, and RFC 9309 is about
crawling. Article pages are: a publisher that disallows a path is not fetched
there. Per RFC 9309 §2.3.1.3 a robots.txt that is missing (4xx) allows
everything; when it is unreachable (5xx, network) §2.3.1.4 says assume a
complete disallow, so the page fetch fails *transiently* and is retried later.
A fetched robots.txt is cached for a day at most (§2.4).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit, urlunsplit

import structlog
from protego import Protego

from pipeline.errors import FetchRefused, PipelineError, UpstreamError
from workers.http import HttpClient, Response, raise_for_status
from workers.store import StrRedis

log = structlog.get_logger(__name__)

CACHE_S = 24 * 3600  # RFC 9309 §2.4: SHOULD NOT use a cached version for more than 24 hours
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: a parsing limit of at least 500 KiB
AGENT = "newswatch"


class _AllowAll:
    def allowed(self, client: HttpClient, url: str) -> bool:
        return True


ALLOW_ALL = _AllowAll()


class RobotsCache:
    """``allowed(client, url)`` for article pages; robots.txt bodies shared in ``{p}:robots:{origin}``."""

    def __init__(self, redis: StrRedis, prefix: str, *, agent: str = AGENT) -> None:
        self.redis = redis
        self.prefix = prefix
        self.agent = agent
        self._local: dict[str, tuple[float, Protego]] = {}
        self._lock = threading.Lock()

    def allowed(self, client: HttpClient, url: str) -> bool:
        parts = urlsplit(url)
        origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return self._rules(client, origin).can_fetch(url, self.agent)

    def _rules(self, client: HttpClient, origin: str) -> Protego:
        now = time.monotonic()
        with self._lock:
            cached = self._local.get(origin)
        if cached and cached[0] > now:
            return cached[1]
        key = f"{self.prefix}:robots:{origin}"
        body = self.redis.get(key)
        if body is None:
            body = self._fetch(client, origin)
            self.redis.set(key, body, ex=CACHE_S)
        rules = Protego.parse(body)
        with self._lock:
            # parsed rules live a minute per process; the shared body lives a day in Redis
            self._local[origin] = (now + 60, rules)
        return rules

    def _fetch(self, client: HttpClient, origin: str) -> str:
        try:
            resp = client.get(f"{origin}/robots.txt", robots=ALLOW_ALL)
        except FetchRefused:
            return ""  # a refused robots.txt (blocked redirect, too large) is treated as missing
        except PipelineError as exc:
            raise UpstreamError(
                f"robots.txt of {origin} unreachable: {exc}", code="robots_unreachable"
            ) from None
        if resp.status >= 500 or resp.status == 429:
            raise UpstreamError(
                f"robots.txt of {origin} unreachable: HTTP {resp.status}", code="robots_unreachable"
            )
        if resp.status >= 400:
            return ""
        return resp.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")


def fetch_page(client: HttpClient, robots: RobotsCache, url: str) -> Response:
    """GET an article page politely: robots.txt, the client's shared per-host rate limit, the status."""
    resp = client.get(url, robots=robots)
    raise_for_status(resp)
    return resp
