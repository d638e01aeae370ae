"""The dramatiq broker on newswatch's Redis, and the middleware that binds log context.

Each newswatch instance (a process, or a test) makes its own broker with its
own namespace (``{prefix}:dq``), so several instances can share one Redis.
"""

from __future__ import annotations

from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage, Middleware, Retries

# Each actor's queue. Messages are sent by actor name (``App.send``), so a process that only sends
# them (a poller, a replay, ``alerts retry``, the dashboard) declares no actor; a process that
# consumes the queues declares the actors of ``workers.actors`` on its broker first
# (``workers.runner``, ``workers.dramatiq_app``).
QUEUES = {
    "poll_feed": "feeds",
    "process_entry": "articles",
    "process_item": "articles",
    "process_items": "articles",
    "deliver_alert": "alerts",
}

# Message arguments that name what a message is about, bound into every log line of its processing.
ID_ARGS = {"feed_id", "entry_id", "item_id", "article_id", "alert_key", "run_id"}


class LogContext(Middleware):
    """Binds message_id, actor and the ids a message carries into structlog's contextvars."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        structlog.contextvars.clear_contextvars()
        ids = {k: v for k, v in message.kwargs.items() if k in ID_ARGS}
        try:
            actor = broker.get_actor(message.actor_name)
            names = list(actor.fn.__code__.co_varnames[: actor.fn.__code__.co_argcount])
            ids.update({n: v for n, v in zip(names, message.args, strict=False) if n in ID_ARGS})
        except dramatiq.errors.ActorNotFound:
            pass
        structlog.contextvars.bind_contextvars(
            message_id=message.message_id,
            actor=message.actor_name,
            retries=message.options.get("retries", 0),
            **ids,
        )

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        structlog.contextvars.clear_contextvars()

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        structlog.contextvars.clear_contextvars()


# Redelivery after a crash. A worker process's broker stamps a heartbeat in Redis on every command
# it sends; its consumers send one at least every worker_timeout while idle (100 ms in
# workers.runner, 1 s under dramatiq's CLI), and delay-queue consumers, which are almost never full,
# keep doing so while the process is busy. A process silent for HEARTBEAT_TIMEOUT_MS is dead: the
# next "maintenance" pass on a queue puts the messages it had taken (in flight and prefetched) back
# on that queue. dramatiq's defaults (60 s, and maintenance on 1 command in 1,000) took 60-100 s;
# these take a dead worker's messages back within about 8 s (tests/faults/test_crash.py measures
# it). The price: a process stalled for 6 s (SIGSTOP, a frozen VM, clocks more than 6 s apart
# between machines) has its messages run again elsewhere, which idempotent actors make harmless;
# and maintenance runs on 1 command in 10, which costs two small sorted-set reads when no worker
# is dead (dramatiq's Lua KEYS scan runs only while a dead worker's acks remain).
HEARTBEAT_TIMEOUT_MS = 6_000
MAINTENANCE_CHANCE = 100_000  # out of dramatiq's MAINTENANCE_SCALE (1,000,000)


def make_broker(client: redis.Redis, prefix: str, *, max_retries: int = 5) -> RedisBroker:
    broker = RedisBroker(
        client=client,
        namespace=f"{prefix}:dq",
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    for middleware in broker.middleware:
        if isinstance(middleware, Retries):
            # Only transient failures come back; actors record everything else on the item's status.
            middleware.max_retries = max_retries
            middleware.min_backoff = 1_000
            middleware.max_backoff = 3_600_000
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(LogContext())
    return broker
