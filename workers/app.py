"""One running newswatch: settings, configuration, Redis (embedded or not), broker, store, HTTP client.

``App.open(settings)`` is a context manager; every command and every test goes
through it, so the same code runs on the embedded Redis and on a server.
Actors find the open app through ``current()``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.brokers.redis import RedisBroker

from config.loader import load_config
from config.schema import Config
from config.settings import Settings
from workers.broker import QUEUES, make_broker
from workers.http import HttpClient
from workers.ratelimit import RedisRateLimiter
from workers.redis_server import EmbeddedRedis
from workers.robots import RobotsCache
from workers.store import RedisStore, StrRedis
from workers.templates import TemplateStore

log = structlog.get_logger(__name__)

_current: App | None = None
_lock = threading.Lock()


@dataclass
class App:
    settings: Settings
    config: Config
    redis: StrRedis
    broker: RedisBroker
    store: RedisStore
    http: HttpClient
    robots: RobotsCache
    templates: TemplateStore
    embedded: EmbeddedRedis | None = None
    # seconds a transient failure is retried for, from the time its message was sent; None: only
    # NEWSWATCH_MAX_RETRIES bounds it (``run --once`` sets workers.cli.feeds.ONCE_RETRY_BUDGET_S)
    retry_budget_s: float | None = None

    @property
    def prefix(self) -> str:
        return self.settings.key_prefix

    def send(self, actor: str, **kwargs: Any) -> None:
        """Queue a message for an actor of ``workers.actors``, by its name."""
        self.send_with_options(actor, kwargs)

    def send_with_options(
        self, actor: str, kwargs: dict[str, Any], *, delay_ms: int | None = None, **options: Any
    ) -> None:
        """Queue a message with dramatiq's options (``max_retries``, ``min_backoff`` ...), after
        ``delay_ms``. The sender needs no actor declared: only the processes that consume do."""
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=QUEUES[actor], actor_name=actor, args=(), kwargs=kwargs, options=options
        )
        self.broker.enqueue(message, delay=delay_ms)

    def queues(self) -> list[str]:
        return sorted(set(QUEUES.values()))

    @classmethod
    @contextlib.contextmanager
    def open(cls, settings: Settings, *, config: Config | None = None) -> Iterator[App]:
        """Start (or connect to) Redis and make the broker; undo it all on exit."""
        global _current
        config = config or load_config(settings.config_dir)
        embedded = None
        url = settings.redis_url
        if url is None:
            embedded = EmbeddedRedis(settings.data_dir)
            url = embedded.start()
        # two clients: ours speaks str, dramatiq's speaks bytes
        client = redis.Redis.from_url(url, health_check_interval=30, decode_responses=True)
        broker_client = redis.Redis.from_url(url, health_check_interval=30)
        try:
            client.ping()  # fail here, in one line (exit code 3), not later in every worker thread
        except BaseException:
            client.close()
            broker_client.close()
            if embedded is not None:
                embedded.stop()
            raise
        http = HttpClient(
            timeout_s=settings.http_timeout_s,
            max_bytes=settings.http_max_bytes,
            user_agent=settings.user_agent,
            allow_private=settings.allow_private_addresses,
            limiter=RedisRateLimiter(client, settings.key_prefix),  # polite per host, across every worker
        )
        broker = make_broker(broker_client, settings.key_prefix, max_retries=settings.max_retries)
        app = cls(
            settings=settings,
            config=config,
            redis=client,
            broker=broker,
            store=RedisStore(client, settings.key_prefix, binary=broker_client),
            http=http,
            robots=RobotsCache(client, settings.key_prefix),
            templates=TemplateStore(client, settings.key_prefix),
            embedded=embedded,
        )
        with _lock:
            previous, _current = _current, app
        try:
            yield app
        finally:
            with _lock:
                _current = previous
            broker.close()
            http.close()
            client.close()
            broker_client.close()
            if embedded is not None:
                embedded.stop()


def current() -> App:
    if _current is None:
        raise RuntimeError("no newswatch app is open in this process")
    return _current
