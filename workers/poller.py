"""Polling one feed, and knowing which feeds are due.

State, in Redis (prefix ``nw``):

- ``{p}:feeds:due``      sorted set: feed id -> next poll time (epoch seconds)
- ``{p}:feed:{id}``      hash: validators (etag, last_modified, body_hash), last_poll, last_status,
                         consecutive_errors, failure_score, first_error_at, hold_until, interval_s,
                         next_poll, entries_seen, entries_skipped, polls, last_error, last_problem,
                         disabled_at
- ``{p}:lease:{id}``     the lease of the poller that claimed the feed
- ``{p}:seen:{id}``      sorted set of entry ids (``e:``) and link keys (``l:``) -> last time seen
- ``{p}:feedpoll:{id}``  entry ids the feed's last poll enqueued (for ``run --once``'s summary)

Claiming is one Lua script: a feed is claimed only when it is due (or forced,
and not held back by Retry-After or backoff) and nobody holds its lease; the
claim sets the lease *and* moves the feed's due time past the lease, so a
second poller with a stale list of due feeds finds it no longer due. Two
pollers on one Redis therefore never poll one feed twice in one period.

The interval adapts like Media Cloud's rss-fetcher: halved when a poll finds
new entries (or set from the gap between the feed's recent entries), grown by
half when it finds none, never below what the server asks for
(``Cache-Control: max-age``, RFC 9111 §5.2.2.1; RSS ``<ttl>``), always within
the feed's ``min_interval_s``..``max_interval_s``. Failures back off
exponentially with jitter (AWS Architecture Blog, "Exponential Backoff And
Jitter"), honour Retry-After (RFC 9110 §10.2.3, capped so a server cannot
lock a feed out for ever), and a feed that keeps failing for days is
disabled: shown as such in ``feeds list``, never silently dropped.

New entries: an entry is stored and its message sent *before* it is marked
seen, so a crash in between sends it again (harmless: processing is
idempotent) instead of losing it.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from config.schema import FeedConfig
from pipeline.errors import FetchRefused, ParseError, PipelineError, TransientError
from pipeline.feeds import ParsedFeed, body_hash, link_key
from pipeline.models import FeedEntry
from pipeline.prefilter import is_clearly_off_topic
from workers import guard, metrics
from workers.app import App
from workers.http import raise_for_status

log = structlog.get_logger(__name__)

LEASE_S = 120
BACKOFF_MAX_S = 24 * 3600
RETRY_AFTER_MAX_S = 24 * 3600  # a Retry-After of a month does not lock a feed for a month
SEEN_KEEP_S = 90 * 24 * 3600  # entries gone from a feed for this long are forgotten
ENTRY_TTL_S = 30 * 24 * 3600
# Disabled after failing for this long with this weighted failure score (Media Cloud's rss-fetcher
# disables after repeated failures; weights: a 404/410 or an unreadable feed counts more than a timeout).
DISABLE_AFTER_S = 3 * 24 * 3600
DISABLE_SCORE = 10.0

_CLAIM = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local now = tonumber(ARGV[2])
if tonumber(score) > now then
  if ARGV[4] ~= '1' then return 0 end
  local hold = tonumber(redis.call('HGET', KEYS[3], 'hold_until') or '0')
  if hold > now then return 0 end
end
redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[3])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1
"""


# --- pure scheduling -----------------------------------------------------------------------------------


def cache_max_age_s(cache_control: str | None) -> int | None:
    """Freshness lifetime from Cache-Control (RFC 9111 §5.2.2.1 max-age, §5.2.2.10 s-maxage)."""
    if not cache_control:
        return None
    directives = {}
    for part in cache_control.lower().split(","):
        key, _, value = part.strip().partition("=")
        directives[key] = value.strip('" ')
    if "no-store" in directives or "no-cache" in directives:
        return None
    for key in ("s-maxage", "max-age"):
        if directives.get(key, "").isdigit():
            return int(directives[key])
    return None


def publishing_gap_s(entries: tuple[FeedEntry, ...]) -> float | None:
    """Median time between the feed's newest dated entries: how often it publishes."""
    times = sorted((e.published_at.timestamp() for e in entries if e.published_at), reverse=True)[:20]
    gaps = [a - b for a, b in itertools.pairwise(times) if a > b]
    return statistics.median(gaps) if len(gaps) >= 2 else None


def next_interval_s(
    feed: FeedConfig, previous_s: float, *, new_entries: int, gap_s: float | None, server_min_s: float | None
) -> float:
    """The next polling interval after a successful poll, within the feed's bounds."""
    if new_entries:
        interval = previous_s / 2
        if gap_s is not None:
            interval = min(interval, gap_s / 2)
    else:
        interval = previous_s * 1.5
    if server_min_s:
        interval = max(interval, server_min_s)  # the server says nothing changes before then
    return float(min(max(interval, feed.min_interval_s), feed.max_interval_s))


def backoff_s(feed: FeedConfig, errors: int, retry_after: float | None, rng: random.Random) -> float:
    """Exponential backoff with jitter from the feed's shortest interval; Retry-After wins when longer."""
    base = min(BACKOFF_MAX_S, feed.min_interval_s * 2 ** min(max(errors - 1, 0), 16))
    delay = base * rng.uniform(0.75, 1.25)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_MAX_S))
    return max(delay, float(feed.min_interval_s) * 0.75)


def failure_weight(exc: PipelineError) -> float:
    if exc.code in ("http_404", "http_410", "blocked") or isinstance(exc, ParseError):
        return 2.0 if exc.code == "http_410" else 1.0  # RFC 9110 §15.5.11: 410 means gone for good
    if isinstance(exc, FetchRefused):
        return 1.0
    return 0.5  # timeouts, 5xx, 429, DNS: often the network's or the server's passing trouble


# --- claiming -------------------------------------------------------------------------------------------


def feed_by_id(app: App, feed_id: str) -> FeedConfig | None:
    return next((f for f in app.config.feeds.feeds if f.id == feed_id), None)


def sync_feeds(app: App) -> int:
    """Put every enabled feed in the due set (now, unless it has a time); drop removed and disabled ones."""
    due_key = app.store.k("feeds", "due")
    feeds = [f for f in app.config.feeds.feeds if f.enabled]
    with app.redis.pipeline() as pipe:
        for feed in feeds:
            pipe.hget(app.store.k("feed", feed.id), "disabled_at")
        disabled = pipe.execute()
    active = {f.id for f, off in zip(feeds, disabled, strict=True) if not off}
    with app.redis.pipeline() as pipe:
        now = time.time()
        for feed_id in active:
            pipe.zadd(due_key, {feed_id: now}, nx=True)
        for member in app.redis.zrange(due_key, 0, -1):
            if member not in active:
                pipe.zrem(due_key, member)
        pipe.execute()
    return len(active)


def claim(app: App, feed_ids: list[str], *, now: float, force: bool = False) -> list[str]:
    """Claim the feeds that are due (or, forced, not held back); returns those this poller won."""
    script: Any = app.redis.register_script(_CLAIM)
    due_key = app.store.k("feeds", "due")
    token = uuid.uuid4().hex
    with app.redis.pipeline(transaction=False) as pipe:
        for feed_id in feed_ids:
            script(
                keys=[due_key, app.store.k("lease", feed_id), app.store.k("feed", feed_id)],
                args=[feed_id, now, LEASE_S, "1" if force else "0", token],
                client=pipe,
            )
        won = pipe.execute()
    return [feed_id for feed_id, ok in zip(feed_ids, won, strict=True) if ok]


def enqueue_due(app: App, *, now: float | None = None, force: bool = False) -> list[str]:
    """Send a poll message for each due feed whose lease this poller wins; returns their ids.

    ``force`` (``run --once``) polls feeds before their time too, but not one held back by a
    server's Retry-After or by backoff after failures.
    """
    now = now or time.time()
    due_key = app.store.k("feeds", "due")
    ids: list[str] = (
        app.redis.zrange(due_key, 0, -1) if force else app.redis.zrangebyscore(due_key, "-inf", now)
    )
    sent = claim(app, ids, now=now, force=force) if ids else []
    for feed_id in sent:
        app.send("poll_feed", feed_id=feed_id)
    return sent


# --- polling --------------------------------------------------------------------------------------------


@dataclass
class PollResult:
    status: str = "ok"
    new: int = 0
    skipped: int = 0
    parsed: ParsedFeed | None = None


def _enqueue_new(app: App, feed: FeedConfig, parsed: ParsedFeed, now: float) -> PollResult:
    """Send the entries never seen before (by entry id or by link); mark every entry as seen now."""
    seen_key = app.store.k("seen", feed.id)
    entries = parsed.entries
    keys = [(f"e:{e.entry_id}", f"l:{link_key(e.url)}") for e in entries]
    flat = [k for pair in keys for k in pair]
    scores = app.redis.zmscore(seen_key, flat) if flat else []
    result = PollResult(parsed=parsed)
    fresh: list[FeedEntry] = []
    batch_links: set[str] = set()
    for n, entry in enumerate(entries):
        if scores[2 * n] is not None or scores[2 * n + 1] is not None or keys[n][1] in batch_links:
            continue  # seen: same GUID, or the same link under a rewritten GUID
        batch_links.add(keys[n][1])
        fresh.append(entry)
    send: list[FeedEntry] = []
    for entry in fresh:
        if feed.prefilter and is_clearly_off_topic(entry, app.config.topic):
            result.skipped += 1
        else:
            send.append(entry)
    poll_key = app.store.k("feedpoll", feed.id)
    with app.redis.pipeline(transaction=False) as pipe:
        pipe.delete(poll_key)
        for entry in send:
            pipe.set(app.store.k("entry", entry.entry_id), entry.model_dump_json(), ex=ENTRY_TTL_S)
        if send:
            pipe.rpush(poll_key, *(e.entry_id for e in send))
            pipe.expire(poll_key, 7 * 24 * 3600)
        pipe.execute()
    for entry in send:
        app.send("process_entry", entry_id=entry.entry_id)
    result.new = len(send)
    if flat:
        with app.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(seen_key, dict.fromkeys(flat, now))
            pipe.zremrangebyscore(seen_key, "-inf", now - SEEN_KEEP_S)
            pipe.execute()
    return result


def poll(app: App, feed_id: str, *, rng: random.Random | None = None) -> str:
    """Fetch one feed (conditionally), enqueue its new entries, record its health; returns its status."""
    rng = rng or random.Random()
    feed = feed_by_id(app, feed_id)
    lease = app.store.k("lease", feed_id)
    if feed is None:
        log.warning("feed_unknown", feed_id=feed_id)
        app.redis.delete(lease)
        app.redis.zrem(app.store.k("feeds", "due"), feed_id)
        return "unknown"
    k = app.store.k("feed", feed_id)
    state = dict(app.redis.hgetall(k))
    headers = {"accept": "application/rss+xml, application/atom+xml, application/feed+json, */*;q=0.5"}
    # RFC 9110 §13.1: conditional GET from the validators the server gave last time
    if state.get("etag"):
        headers["if-none-match"] = state["etag"]
    if state.get("last_modified"):
        headers["if-modified-since"] = state["last_modified"]
    started = time.time()
    update: dict[str, str | float | int] = {
        "last_poll": datetime.fromtimestamp(started, UTC).isoformat(),
        "url": feed.url,
        "name": feed.name,
    }
    previous_s = float(state.get("interval_s") or feed.min_interval_s)
    result = PollResult()
    disabled = False
    try:
        resp = app.http.get(feed.url, headers=headers)  # the client's shared per-host limiter applies
        update["last_http_status"] = resp.status
        raise_for_status(resp)
        for header, name in (("etag", "etag"), ("last-modified", "last_modified")):
            if resp.headers.get(header):
                update[name] = resp.headers[header]  # a 304 may carry fresher ones (RFC 9110 §15.4.5)
        server_min = cache_max_age_s(resp.headers.get("cache-control"))
        if resp.status == 304:
            result.status = "not_modified"
        elif not 200 <= resp.status < 300:
            raise FetchRefused(f"HTTP {resp.status} from {resp.final_url}", code=f"http_{resp.status}")
        else:
            digest = body_hash(resp.body)
            if digest == state.get("body_hash"):
                result.status = "unchanged"  # same bytes as last time: no parsing (no validators sent)
            else:
                # in the thread's child process, killed past the time limit (feedparser: quadratic spots)
                parsed = guard.parse_feed_guarded(
                    resp.body,
                    timeout_s=app.settings.extract_timeout_s,
                    feed_id=feed.id,
                    base_url=resp.final_url,
                    language=feed.language,
                    content_type=resp.headers.get("content-type"),
                )
                result = _enqueue_new(app, feed, parsed, started)
                update["body_hash"] = digest
                update["last_problem"] = parsed.problem or ""
                update["ttl_s"] = parsed.ttl_s or ""
        ttl = int(update.get("ttl_s") or state.get("ttl_s") or 0) or None
        hints = [h for h in (server_min, ttl) if h]
        gap = publishing_gap_s(result.parsed.entries) if result.parsed else None
        interval = next_interval_s(
            feed, previous_s, new_entries=result.new, gap_s=gap, server_min_s=max(hints) if hints else None
        )
        delay = interval * rng.uniform(0.9, 1.1)  # spread feeds out instead of polling in lockstep
        update.update(
            last_status=result.status,
            consecutive_errors=0,
            failure_score=0,
            first_error_at="",
            hold_until=0,
            last_error="",
            interval_s=round(interval, 1),
            last_new=result.new,
            last_skipped=result.skipped,
        )
    except PipelineError as exc:
        errors = int(state.get("consecutive_errors", 0)) + 1
        score = float(state.get("failure_score") or 0) + failure_weight(exc)
        first = float(state.get("first_error_at") or started)
        retry_after = exc.retry_after_s if isinstance(exc, TransientError) else None
        delay = backoff_s(feed, errors, retry_after, rng)
        result.status = "error"
        update.update(
            last_status="error",
            last_error=f"{exc.code}: {exc}",
            consecutive_errors=errors,
            failure_score=score,
            first_error_at=first,
            hold_until=started + delay,
            last_new=0,
            last_skipped=0,
        )
        if retry_after is not None:
            update["retry_after_s"] = retry_after
        app.redis.delete(app.store.k("feedpoll", feed.id))
        disabled = score >= DISABLE_SCORE and started - first >= DISABLE_AFTER_S
        log.warning("feed_failed", feed_id=feed_id, error=str(exc), code=exc.code, errors=errors)
    next_poll = started + delay
    update["next_poll"] = datetime.fromtimestamp(next_poll, UTC).isoformat()
    if disabled:
        update["disabled_at"] = datetime.fromtimestamp(started, UTC).isoformat()
        update["last_status"] = "disabled"
        update["next_poll"] = ""
        result.status = "disabled"
    with app.redis.pipeline() as pipe:
        pipe.hset(k, mapping={a: str(b) for a, b in update.items()})
        pipe.hincrby(k, "entries_seen", result.new)
        pipe.hincrby(k, "entries_skipped", result.skipped)
        pipe.hincrby(k, "polls", 1)
        if disabled:
            pipe.zrem(app.store.k("feeds", "due"), feed_id)
        else:
            pipe.zadd(app.store.k("feeds", "due"), {feed_id: next_poll})
        pipe.delete(lease)
        pipe.execute()
    metrics.count(app, "polls", result.status)
    if disabled:
        log.error("feed_disabled", feed_id=feed_id, url=feed.url, error=update["last_error"])
    log.info(
        "feed_polled",
        feed_id=feed_id,
        status=result.status,
        new_entries=result.new,
        skipped_entries=result.skipped,
        url=feed.url,
    )
    return result.status


def enable(app: App, feed_id: str) -> bool:
    """Enable a disabled feed again (``newswatch feeds enable ID``): due now, errors forgotten."""
    if feed_by_id(app, feed_id) is None:
        return False
    k = app.store.k("feed", feed_id)
    with app.redis.pipeline() as pipe:
        pipe.hdel(k, "disabled_at", "hold_until", "first_error_at", "failure_score", "consecutive_errors")
        pipe.hset(k, "last_status", "enabled")
        pipe.zadd(app.store.k("feeds", "due"), {feed_id: time.time()})
        pipe.execute()
    return True
