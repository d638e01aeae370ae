"""Per-host rate limiting shared through Redis, so many workers together stay polite.

A generic cell rate algorithm (GCRA, as in redis-cell and Stripe's limiter):
each host has a "theoretical arrival time" in Redis; a request reserves the
next slot atomically (one Lua script, on Redis's own clock so machines with
skewed clocks agree) and sleeps until it. ``burst`` requests may go at once,
then one per ``interval_s``. A wait longer than the request's deadline is not
reserved: it becomes a transient ``rate_limited`` error with a Retry-After, so
the work is retried later instead of holding a worker.

Hosts on loopback are not limited: politeness is owed to publishers, and a
loopback server (only reachable with ``NEWSWATCH_ALLOW_PRIVATE_ADDRESSES``) is
the operator's own test server.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from pipeline.errors import UpstreamError
from workers.store import StrRedis

# One request a second per host with a burst of 4: below what feed readers are blocked for
# (miniflux users report blocks from publishers at several requests a second from one address).
INTERVAL_S = 1.0
BURST = 4

# KEYS[1] the host's arrival time (ms); ARGV: interval_ms, burst, max_wait_ms. Returns the wait in ms
# (>= 0, slot reserved) or -(wait) when it would exceed max_wait (nothing reserved).
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > tonumber(ARGV[3]) then return -wait end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now + 1000)
return wait
"""


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class RedisRateLimiter:
    """At most ``burst`` requests at once, then one per ``interval_s``, per host, across processes."""

    def __init__(
        self,
        redis: StrRedis,
        prefix: str,
        *,
        interval_s: float = INTERVAL_S,
        burst: int = BURST,
        exempt_loopback: bool = True,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.interval_ms = max(0, int(interval_s * 1000))
        self.burst = max(1, burst)
        self.exempt_loopback = exempt_loopback
        self._script: Any = redis.register_script(_GCRA)

    def reserve_ms(self, host: str, max_wait_s: float) -> int:
        """Reserve this host's next slot; the wait in ms, or minus the wait when over ``max_wait_s``."""
        key = f"{self.prefix}:rate:{host.lower()}"
        return int(self._script(keys=[key], args=[self.interval_ms, self.burst, int(max_wait_s * 1000)]))

    def wait(self, host: str, deadline: float) -> None:
        if not host or self.interval_ms == 0 or (self.exempt_loopback and is_loopback_host(host)):
            return
        # keep a second of the deadline for the request itself
        left = max(0.0, deadline - time.monotonic() - 1.0)
        wait_ms = self.reserve_ms(host, left)
        if wait_ms < 0:
            raise UpstreamError(
                f"rate limit for {host}: next slot in {-wait_ms / 1000:.1f} s",
                code="rate_limited",
                retry_after_s=-wait_ms / 1000,
            )
        if wait_ms:
            time.sleep(wait_ms / 1000)
