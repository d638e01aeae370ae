"""Workers and the poller inside one process (``run``, ``worker``, ``poll``, ``replay``, ``demo``).

Workers are dramatiq's own ``Worker`` on our broker; for many processes or
machines, run ``newswatch worker`` several times (or dramatiq's CLI on
``workers.dramatiq_app``) against one Redis.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import structlog
from dramatiq import Worker

from workers import actors, guard, notify
from workers.app import App
from workers.poller import enqueue_due, sync_feeds

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def workers(app: App, *, threads: int | None = None, queues: set[str] | None = None) -> Iterator[Worker]:
    """dramatiq worker threads consuming the app's queues for the duration of the block."""
    actors.declare(app.broker)
    threads = threads or app.settings.worker_threads
    guard.configure(app.settings.cleaners, threads=threads)  # the threads' shared cleaning processes
    worker = Worker(app.broker, worker_threads=threads, queues=queues, worker_timeout=100)
    worker.start()
    log.info(
        "workers_started",
        threads=worker.worker_threads,
        cleaners=guard.pool.size,
        queues=sorted(queues or app.queues()),
    )
    try:
        yield worker
    finally:
        worker.stop(timeout=30_000)
        guard.close_all()  # the worker threads' cleaning processes
        log.info("workers_stopped")


# Upstream first: a message is acked only after it has enqueued its downstream work, so one pass in
# this order that finds every queue empty (acks and delays included) means nothing is left anywhere.
QUEUE_ORDER = ("feeds", "articles", "alerts")


def drain(app: App, *, timeout_s: float = 600) -> None:
    """Wait until every queue is empty and nothing is in flight or waiting for a retry."""
    deadline = time.monotonic() + timeout_s
    while any(app.broker.do_qsize(queue) for queue in QUEUE_ORDER):
        if time.monotonic() > deadline:
            raise TimeoutError(f"queues not drained after {timeout_s} s")
        time.sleep(0.05)


SWEEP_S = 60.0  # how often the poller looks for alert deliveries that were never queued


class PollLoop(threading.Thread):
    """Every ``tick_s``, enqueue a poll for each due feed this process wins the lease of; every
    minute, queue again alert deliveries that a dead worker raised but never queued."""

    def __init__(self, app: App, tick_s: float = 5.0) -> None:
        super().__init__(name="newswatch-poller", daemon=True)
        self.app = app
        self.tick_s = tick_s
        self.stopping = threading.Event()

    def run(self) -> None:
        sync_feeds(self.app)
        last_sweep = 0.0
        while not self.stopping.is_set():
            try:
                sent = enqueue_due(self.app)
                if sent:
                    log.info("feeds_due", count=len(sent))
                if time.monotonic() - last_sweep > SWEEP_S:
                    last_sweep = time.monotonic()
                    notify.resend_stalled(self.app)
            except Exception:
                log.exception("poll_loop_failed")
            self.stopping.wait(self.tick_s)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
