"""How each feed is doing, read back from the state the poller keeps in Redis (``workers.poller``)."""

from __future__ import annotations

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
