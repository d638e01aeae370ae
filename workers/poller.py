"""Polling one feed, and knowing which feeds are due.

Feed state lives in ``{p}:feed:{id}`` (a hash: validators, last poll, last
status, consecutive errors, next poll, entries seen, last error) and
``{p}:feeds:due`` (a sorted set by next poll time). A poller takes a lease on
a due feed (``SET NX PX``) before it enqueues it, so two pollers never poll one
feed at once.

New entries: an entry is stored and its message sent *before* it is marked
seen, so a crash in between sends it again (harmless: processing is
idempotent) instead of losing it.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import structlog

from config.schema import FeedConfig
from pipeline.errors import PipelineError
from pipeline.feeds import parse_feed
from workers.app import App
from workers.http import raise_for_status

log = structlog.get_logger(__name__)

LEASE_S = 120
BACKOFF_MAX_S = 24 * 3600


def feed_by_id(app: App, feed_id: str) -> FeedConfig | None:
    return next((f for f in app.config.feeds.feeds if f.id == feed_id), None)


def sync_feeds(app: App) -> int:
    """Put every enabled feed in the due set (now, unless it already has a time); drop removed ones."""
    due_key = app.store.k("feeds", "due")
    enabled = {f.id for f in app.config.feeds.feeds if f.enabled}
    with app.redis.pipeline() as pipe:
        for feed_id in enabled:
            pipe.zadd(due_key, {feed_id: time.time()}, nx=True)
        for member in app.redis.zrange(due_key, 0, -1):
            if member not in enabled:
                pipe.zrem(due_key, member)
        pipe.execute()
    return len(enabled)


def take_lease(app: App, feed_id: str, ttl_s: int = LEASE_S) -> bool:
    return bool(app.redis.set(app.store.k("lease", feed_id), "1", nx=True, ex=ttl_s))


def enqueue_due(app: App, *, now: float | None = None, force: bool = False) -> list[str]:
    """Send a poll message for each due feed whose lease this poller wins; returns their ids."""
    now = now or time.time()
    due_key = app.store.k("feeds", "due")
    ids: list[str] = (
        app.redis.zrange(due_key, 0, -1) if force else app.redis.zrangebyscore(due_key, "-inf", now)
    )
    sent = []
    for feed_id in ids:
        if take_lease(app, feed_id):
            app.send("poll_feed", feed_id=feed_id)
            sent.append(feed_id)
    return sent


def _schedule(app: App, feed: FeedConfig, state: dict[str, str], *, failed: bool) -> float:
    errors = int(state.get("consecutive_errors", 0))
    if failed:
        # exponential backoff with jitter, from the shortest interval up to a day
        delay = min(BACKOFF_MAX_S, feed.min_interval_s * 2 ** min(errors, 12)) * random.uniform(0.8, 1.2)
    else:
        delay = float(feed.min_interval_s)
    return time.time() + max(delay, feed.min_interval_s)


def poll(app: App, feed_id: str) -> None:
    """Fetch one feed (conditionally), enqueue its new entries, record its health."""
    feed = feed_by_id(app, feed_id)
    lease = app.store.k("lease", feed_id)
    if feed is None:
        log.warning("feed_unknown")
        app.redis.delete(lease)
        return
    k = app.store.k("feed", feed_id)
    state = dict(app.redis.hgetall(k))
    headers = {}
    if state.get("etag"):
        headers["if-none-match"] = state["etag"]
    if state.get("last_modified"):
        headers["if-modified-since"] = state["last_modified"]
    now = datetime.now(UTC).isoformat()
    update: dict[str, str | int] = {"last_poll": now, "url": feed.url, "name": feed.name}
    new = 0
    failed = False
    try:
        resp = app.http.get(feed.url, headers=headers)
        raise_for_status(resp)
        if resp.status == 304:
            update["last_status"] = "not_modified"
        else:
            parsed = parse_feed(
                resp.body,
                feed_id=feed.id,
                base_url=resp.final_url,
                language=feed.language,
                content_type=resp.headers.get("content-type"),
            )
            seen_key = app.store.k("seen", feed.id)
            for entry in parsed.entries:
                if app.redis.sismember(seen_key, entry.entry_id):
                    continue
                app.redis.set(
                    app.store.k("entry", entry.entry_id), entry.model_dump_json(), ex=30 * 24 * 3600
                )
                app.send("process_entry", entry_id=entry.entry_id)
                app.redis.sadd(seen_key, entry.entry_id)
                new += 1
            update["last_status"] = "ok"
            update["last_problem"] = parsed.problem or ""
            for header, field in (("etag", "etag"), ("last-modified", "last_modified")):
                if resp.headers.get(header):
                    update[field] = resp.headers[header]
        update["consecutive_errors"] = 0
        update["last_error"] = ""
    except PipelineError as exc:
        failed = True
        update["last_status"] = "error"
        update["last_error"] = f"{exc.code}: {exc}"
        update["consecutive_errors"] = int(state.get("consecutive_errors", 0)) + 1
        log.warning("feed_failed", error=str(exc), code=exc.code)
    next_poll = _schedule(app, feed, {**state, **{a: str(b) for a, b in update.items()}}, failed=failed)
    update["next_poll"] = datetime.fromtimestamp(next_poll, UTC).isoformat()
    with app.redis.pipeline() as pipe:
        pipe.hset(k, mapping=update)
        pipe.hincrby(k, "entries_seen", new)
        pipe.hincrby(k, "polls", 1)
        pipe.zadd(app.store.k("feeds", "due"), {feed_id: next_poll})
        pipe.delete(lease)
        pipe.execute()
    log.info("feed_polled", status=update["last_status"], new_entries=new, url=feed.url)
