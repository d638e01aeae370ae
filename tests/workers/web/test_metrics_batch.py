"""A worker's message writes its metrics in one round trip at its end, and counts them all."""

from __future__ import annotations

import redis

from workers import metrics
from workers.app import App


def test_a_message_writes_its_counts_at_its_end_and_loses_none(nw: App) -> None:
    hist = metrics.key(nw, "clean_seconds") + ":hist"
    with metrics.batched(nw):
        metrics.count(nw, "articles", "stored")
        metrics.count(nw, "articles", "stored")
        metrics.observe(nw, "clean_seconds", 0.02)
        assert nw.redis.hgetall(metrics.key(nw, "articles")) == {}  # held, not yet sent
    assert nw.redis.hgetall(metrics.key(nw, "articles")) == {"stored": "2"}
    assert nw.redis.hget(hist, "0.025") == "1"
    assert nw.redis.hget(hist, "count") == "1"
    assert float(nw.redis.hget(hist, "sum")) == 0.02
    metrics.count(nw, "articles", "off_topic")  # outside a message: at once
    assert nw.redis.hget(metrics.key(nw, "articles"), "off_topic") == "1"


def test_a_redis_failure_at_the_end_of_a_message_costs_the_counts_not_the_work(nw: App) -> None:
    down = App(**{**nw.__dict__, "redis": redis.Redis(port=1, socket_connect_timeout=0.2)})
    with metrics.batched(down):
        metrics.count(down, "articles", "stored")
    # nothing raised; the counts of that message are lost, and the next message counts again
    with metrics.batched(nw):
        metrics.count(nw, "articles", "stored")
    assert nw.redis.hget(metrics.key(nw, "articles"), "stored") == "1"
