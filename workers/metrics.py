"""Metrics that every poller and worker process counts in Redis, and ``/metrics`` renders for Prometheus.

Why Redis, and not prometheus_client's multiprocess mode: that mode adds up files that the
processes of one host write into one shared folder, and newswatch's pollers and workers run as
separate processes on as many hosts or containers as needed (``docker compose --scale
worker=4``). The one thing they all share is Redis, so each process adds its counts there (one
HINCRBY per event, a few per histogram observation), and ``/metrics`` on any ``newswatch serve``
reads them: every scrape sees the whole fleet, not the one process that answers, and the counts
survive a restart of any process. Gauges (queue depth, Redis memory, records held) are read at
scrape time.

Keys (prefix ``p``): ``{p}:metrics:{name}`` a hash label value -> count;
``{p}:metrics:{name}:hist`` a hash upper bound -> count of observations in that bucket (not
cumulative), plus ``sum`` and ``count``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import redis
import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from workers.app import App

log = structlog.get_logger(__name__)

# name -> (label, help)
COUNTERS = {
    "articles": ("outcome", "Articles processed, by outcome (stored, duplicate, off_topic, rejected ...)"),
    "polls": ("status", "Feed polls, by status (ok, not_modified, unchanged, error, disabled)"),
    "alert_deliveries": ("state", "Alert delivery state changes, by the state reached"),
}
# name -> (bucket upper bounds in seconds, help)
HISTOGRAMS = {
    "clean_seconds": (
        (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        "Time to clean and enrich one page (in the cleaning process), seconds",
    ),
    "dedup_decision_seconds": (
        (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        "Time of one dedup decision and atomic save (claims, LSH candidates, story, record), seconds",
    ),
}


def key(app: App, name: str) -> str:
    return app.store.k("metrics", name)


# (key, field, amount): the writes of the message being handled, sent at its end (``batched``)
_pending: ContextVar[list[tuple[str, str, float]] | None] = ContextVar("metrics_pending", default=None)


def _add(app: App, name: str, writes: list[tuple[str, str, float]]) -> None:
    pending = _pending.get()
    if pending is not None:
        pending.extend(writes)
        return
    _send(app, writes, name)


def _queue(pipe: redis.client.Pipeline, writes: list[tuple[str, str, float]]) -> None:
    for k, field, amount in writes:
        if isinstance(amount, int):
            pipe.hincrby(k, field, amount)
        else:
            pipe.hincrbyfloat(k, field, amount)


def _send(app: App, writes: list[tuple[str, str, float]], what: str) -> None:
    """One round trip; a failure to count never fails the work counted."""
    try:
        with app.redis.pipeline(transaction=False) as pipe:
            _queue(pipe, writes)
            pipe.execute()
    except redis.RedisError as exc:
        log.debug("metric_not_counted", metric=what, error=str(exc))


def flush_into(pipe: redis.client.Pipeline) -> None:
    """Queue the batch's writes so far on the caller's pipeline: the message's last round trip
    carries them (``RedisStore.finish_item``) instead of one of their own. Outside a batch, nothing."""
    pending = _pending.get()
    if pending:
        _queue(pipe, pending)
        pending.clear()


@contextmanager
def batched(app: App) -> Iterator[None]:
    """Hold the counts and observations made inside the block and write them in one round trip at
    its end (a worker's message: three metric writes cost one round trip, not three)."""
    token = _pending.set([])
    try:
        yield
    finally:
        writes = _pending.get() or []
        _pending.reset(token)
        if writes:
            _send(app, writes, "batch")


def count(app: App, name: str, label: str, n: int = 1) -> None:
    """Add ``n`` to a counter; a failure to count never fails the work counted."""
    _add(app, name, [(key(app, name), label, n)])


def observe(app: App, name: str, seconds: float) -> None:
    bounds, _ = HISTOGRAMS[name]
    bucket = next((str(b) for b in bounds if seconds <= b), "+Inf")
    hist = key(app, name) + ":hist"
    _add(app, name, [(hist, bucket, 1), (hist, "sum", float(seconds)), (hist, "count", 1)])


@contextmanager
def timed(app: App, name: str) -> Iterator[None]:
    """Observe how long the block takes (also when it raises: a timeout is a long clean)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        observe(app, name, time.perf_counter() - start)


class RedisCollector(Collector):
    """Reads every metric from Redis at scrape time."""

    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        app, r = self.app, self.app.redis
        queues = app.queues()
        with r.pipeline(transaction=False) as pipe:
            for name in COUNTERS:
                pipe.hgetall(key(app, name))
            for name in HISTOGRAMS:
                pipe.hgetall(key(app, name) + ":hist")
            pipe.zcard(app.store.k.idx("time"))
            pipe.zcard(app.store.k("alerts", "dead"))
            pipe.zcard(app.store.k("alerts", "pending"))
            answers: list[Any] = pipe.execute()
        for name, (label, doc) in COUNTERS.items():
            family = CounterMetricFamily(f"newswatch_{name}", doc, labels=[label])
            for value, n in sorted(answers.pop(0).items()):
                family.add_metric([value], int(n))
            yield family
        for name, (bounds, doc) in HISTOGRAMS.items():
            data = answers.pop(0)
            buckets, running = [], 0
            for bound in bounds:
                running += int(data.get(str(bound), 0))
                buckets.append((str(bound), running))
            total = int(data.get("count", 0))
            buckets.append(("+Inf", total))
            yield HistogramMetricFamily(
                f"newswatch_{name}", doc, buckets=buckets, sum_value=float(data.get("sum", 0.0))
            )
        records, dead, pending = answers
        yield GaugeMetricFamily("newswatch_records", "Records held (originals, not copies)", records)
        yield GaugeMetricFamily("newswatch_alert_dead_letters", "Alert deliveries that gave up", dead)
        yield GaugeMetricFamily("newswatch_alerts_pending", "Alerts with a delivery not yet done", pending)
        depth = GaugeMetricFamily(
            "newswatch_queue_depth",
            "Messages per dramatiq queue: waiting, delayed for a retry, or in flight",
            labels=["queue"],
        )
        for queue in queues:
            depth.add_metric([queue], app.broker.do_qsize(queue))
        yield depth
        memory = r.info("memory")
        yield GaugeMetricFamily("newswatch_redis_memory_bytes", "Memory Redis uses", memory["used_memory"])


def render(app: App) -> bytes:
    """The Prometheus text exposition of every metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(app))
    return generate_latest(registry)
