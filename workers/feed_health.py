"""How each feed is doing, and what one polling round did (``run --once``, the demo), read back from
the state the poller keeps in Redis (``workers.poller``)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from workers.app import App


def feed_health(app: App) -> list[dict[str, Any]]:
    """Each configured feed's state, read from Redis (``feeds list``, the dashboard's feeds page)."""
    feeds = app.config.feeds.feeds
    with app.redis.pipeline(transaction=False) as pipe:
        for feed in feeds:
            pipe.hgetall(app.store.k("feed", feed.id))
        states = pipe.execute()
    rows = []
    for feed, state in zip(feeds, states, strict=True):
        disabled = bool(state.get("disabled_at"))
        rows.append(
            {
                "id": feed.id,
                "name": feed.name,
                "url": feed.url,
                "enabled": feed.enabled and not disabled,
                "disabled": disabled or not feed.enabled,
                "disabled_at": state.get("disabled_at") or None,
                "prefilter": feed.prefilter,
                "last_poll": state.get("last_poll") or None,
                "last_status": state.get("last_status", "never polled"),
                "last_http_status": int(state["last_http_status"]) if state.get("last_http_status") else None,
                "consecutive_errors": int(state.get("consecutive_errors") or 0),
                "next_poll": state.get("next_poll") or None,
                "interval_s": float(state["interval_s"]) if state.get("interval_s") else None,
                "hold_until": float(state.get("hold_until") or 0) or None,
                "entries_seen": int(state.get("entries_seen") or 0),
                "entries_skipped": int(state.get("entries_skipped") or 0),
                "last_new": int(state.get("last_new") or 0),
                "last_skipped": int(state.get("last_skipped") or 0),
                "polls": int(state.get("polls") or 0),
                "last_error": state.get("last_error") or None,
                "last_problem": state.get("last_problem") or None,
            }
        )
    return rows


def _outcomes(app: App, feed_id: str) -> Counter[str]:
    """What became of the entries the feed's last poll enqueued (stored, off_topic, duplicate, error ...)."""
    ids = app.redis.lrange(app.store.k("feedpoll", feed_id), 0, -1)
    with app.redis.pipeline(transaction=False) as pipe:
        for entry_id in ids:
            pipe.hget(app.store.k("entry", entry_id, "status"), "outcome")
        return Counter(o or "pending" for o in pipe.execute())


def feeds_summary(app: App, polled: list[str]) -> dict[str, Any]:
    """One round's summary: totals (feeds, polled, not_modified, failed, entries_new, stored), per feed."""
    health = {h["id"]: h for h in feed_health(app)}
    polled_set = set(polled)
    per_feed = []
    totals: Counter[str] = Counter()
    for feed_id, h in health.items():
        if not h["enabled"]:
            continue
        row: dict[str, Any] = {
            "id": feed_id,
            "name": h["name"],
            "url": h["url"],
            "polled": feed_id in polled_set,
            "status": h["last_status"] if feed_id in polled_set else _why_not(h),
            "entries_new": 0,
            "entries_skipped": 0,
            "outcomes": {},
            "error": h["last_error"],
            "problem": h["last_problem"],
        }
        if feed_id in polled_set:
            row["entries_new"] = h["last_new"]
            row["entries_skipped"] = h["last_skipped"]
            row["outcomes"] = dict(_outcomes(app, feed_id)) if h["last_new"] else {}
            totals["polled"] += 1
            totals["not_modified"] += h["last_status"] in ("not_modified", "unchanged")
            totals["failed"] += h["last_status"] in ("error", "disabled")
            totals["entries_new"] += h["last_new"]
            totals["entries_skipped"] += h["last_skipped"]
            totals["stored"] += row["outcomes"].get("stored", 0)
        per_feed.append(row)
    return {
        "feeds": len(per_feed),
        "polled": totals["polled"],
        "not_modified": totals["not_modified"],
        "failed": totals["failed"],
        "held": len(per_feed) - totals["polled"],
        "entries_new": totals["entries_new"],
        "entries_skipped": totals["entries_skipped"],
        "stored": totals["stored"],
        "records": app.store.stats()["records"],
        "per_feed": per_feed,
    }


def _why_not(h: dict[str, Any]) -> str:
    if h["disabled"]:
        return "disabled"
    if h["hold_until"] and h["hold_until"] > time.time():
        return "held"  # Retry-After or backoff after failures
    return "leased"  # another poller has it right now
