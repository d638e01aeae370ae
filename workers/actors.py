"""dramatiq actors: ``poll_feed -> process_entry``, ``process_items`` (replay), ``deliver_alert``.

Messages carry ids, never payloads; the payloads wait in Redis. Every actor is
idempotent: a redelivered message finds its work done (the store answers
"unchanged", an alert already delivered is not sent again).

Failures: a ``TransientError`` is retried with backoff (the server's
Retry-After when it sent one) until ``max_retries``, then recorded; a
``PermanentError`` or ``Rejected`` is recorded on the item's, entry's or feed's
status at once. Nothing is silently dropped.

Messages are sent by actor name (``App.send``); a process declares the actors on its broker
(``declare``) only when it consumes the queues (``workers.runner``, ``workers.dramatiq_app``).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.middleware import CurrentMessage

from pipeline.clean import RawHtml, article_from_text
from pipeline.errors import BadInput, PipelineError, Rejected, TransientError
from pipeline.models import Article, FeedEntry, Page
from pipeline.record import Prepared
from pipeline.sanitize import check_size
from workers import guard, metrics, notify, poller, robots
from workers.app import App, current
from workers.broker import QUEUES
from workers.process import PageJob, begin_page, page_answer, process_article, process_page, store_page
from workers.replay import page_bytes, restored

log = structlog.get_logger(__name__)


# Redis down, full (maxmemory with noeviction) or failing over to a replica: worth trying again later.
REDIS_TRANSIENT = (redis.ConnectionError, redis.TimeoutError, redis.OutOfMemoryError, redis.ReadOnlyError)


def _retry_delay_ms(transient: TransientError, retries: int, budget_left_s: float | None) -> int | None:
    """The wait before the next attempt: the server's Retry-After when it sent one, else dramatiq's
    exponential backoff (None); within a retry budget, never past its end."""
    if transient.retry_after_s is not None:
        delay_ms: int | None = int(min(transient.retry_after_s, 7 * 86400) * 1000)
    elif budget_left_s is not None:
        delay_ms = 1000 * 2**retries  # the broker's own schedule (workers.broker: 1 s doubling)
    else:
        return None
    if budget_left_s is not None:
        delay_ms = min(delay_ms or 0, int(budget_left_s * 1000))
    return delay_ms


def settle(exc: Exception) -> tuple[str, str]:
    """The outcome to record for a failure, or a raise that makes dramatiq retry the message.

    Transient failures are retried with backoff (the server's Retry-After when it sent one) until
    ``max_retries`` (or, under ``run --once``, until the app's retry budget is spent); then, like
    every other failure, they are recorded and the message is done. A retry is one warning line:
    it is raised as ``dramatiq.Retry``, which dramatiq does not log with a traceback. Only a bug
    (an exception newswatch did not raise on purpose) is logged with its traceback.
    """
    transient = exc if isinstance(exc, TransientError) else None
    if isinstance(exc, REDIS_TRANSIENT):
        transient = TransientError(f"redis: {exc}", code="redis")
    if transient is not None:
        app = current()
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message else 0
        budget_left_s = None
        if app.retry_budget_s is not None and message is not None:
            age_s = time.time() - message.message_timestamp / 1000
            budget_left_s = app.retry_budget_s - age_s
        if retries < app.settings.max_retries and (budget_left_s is None or budget_left_s > 0):
            delay_ms = _retry_delay_ms(transient, retries, budget_left_s)
            log.warning(
                "retry_scheduled",
                error=str(transient),
                code=transient.code,
                retries=retries,
                delay_ms=delay_ms,
            )
            raise dramatiq.Retry(str(transient), delay=delay_ms) from exc
        why = "the retry budget" if retries < app.settings.max_retries else f"{retries} retries"
        log.error("retries_exhausted", error=str(transient), code=transient.code, retries=retries)
        return "error", f"{transient.code}: gave up after {why}: {transient}"
    if isinstance(exc, Rejected):
        log.info("item_rejected", reason=str(exc), code=exc.code)
        return "rejected", f"{exc.code}: {exc}"
    if isinstance(exc, PipelineError):
        log.warning("item_failed", error=str(exc), code=exc.code)
        return "error", f"{exc.code}: {exc}"
    log.exception("item_failed_internal")  # a bug: recorded, not retried (it would fail again)
    return "error", f"internal: {type(exc).__name__}: {exc}"


def poll_feed(feed_id: str) -> None:
    poller.poll(current(), feed_id)


def _entry_outcome(app: App, entry_id: str, *, alerts: bool = True) -> tuple[str, str, int] | None:
    """Fetch one feed entry's page and take it through the stages; its outcome, recorded on the
    entry's status (and, when it failed, for ``newswatch errors``). None: the entry expired."""
    raw = app.redis.get(app.store.k("entry", entry_id))
    if raw is None:
        log.warning("entry_missing")
        return None
    entry = FeedEntry.model_validate_json(raw)
    structlog.contextvars.bind_contextvars(feed_id=entry.feed_id)
    feed = app.config.feeds.feeds
    source = next((f.name for f in feed if f.id == entry.feed_id), None)
    outcome: str
    fired = 0
    try:
        resp = robots.fetch_page(app.http, app.robots, entry.url)  # robots.txt, rate limit
        page = Page(
            url=entry.url,
            final_url=resp.final_url,
            html="",
            source=source,
            feed_id=entry.feed_id,
            entry=entry,
        )
        saved = process_page(app, page, alerts=alerts, raw=RawHtml(resp.body, resp.encoding))
        outcome, detail, fired = saved.outcome, saved.record.id, len(saved.alerts)
    except Exception as exc:
        outcome, detail = settle(exc)
        metrics.count(app, "articles", outcome)  # a success is counted where it is saved (process)
    with app.redis.pipeline(transaction=True) as pipe:
        pipe.hset(
            app.store.k("entry", entry_id, "status"),
            mapping={"outcome": outcome, "detail": detail, "at": datetime.now(UTC).isoformat()},
        )
        app.store.note_outcome(f"entry:{entry_id}", outcome, detail, where=entry.url, pipe=pipe)
        metrics.flush_into(pipe)  # the message's metrics in its last round trip
        pipe.execute()
    return outcome, detail, fired


def process_entry(entry_id: str) -> None:
    """Fetch one feed entry's page and take it through the stages."""
    app = current()
    with metrics.batched(app):  # the message's metrics in one round trip
        _entry_outcome(app, entry_id)


def process_item(item_id: str, run_id: str, alerts: bool = False) -> None:
    """One queued work item through the stages (``process_items`` of one)."""
    process_items([item_id], run_id, alerts)


def process_items(item_ids: list[str], run_id: str, alerts: bool = False) -> None:
    """Take queued work items (replayed pages or texts, or failed feed entries run again) through
    the stages, each outcome recorded on the run as the item is done.

    The pages of a message share one cleaner process and overlap: while a page is cleaned there,
    this thread reads the next item and stores the page before, so the cleaner does not wait for
    Redis between pages. A transient failure retries the message; the items it finished are not
    done again (their outcomes are on the run).
    """
    app = current()
    with metrics.batched(app), _Cleaner() as cleaner:  # the message's metrics in its last round trips
        cleaning: _Item | None = None  # the page in the cleaner process now
        for item_id in item_ids:
            item = _loaded(app, item_id, run_id)
            if item is None:
                continue  # done already: this is a redelivery
            if cleaning is not None:
                _take_answer(app, cleaning)  # frees the cleaner for this item
            if item.page is not None and item.error is None:
                _begin(app, item, cleaner.get())
            else:  # nothing to clean: the cleaner goes back to the other threads (a feed entry run
                cleaner.give()  # again cleans its page through the pool)
            if cleaning is not None:
                _conclude(app, cleaning, run_id, alerts)  # while this item is cleaned
                cleaning = None
            if item.work is not None:
                cleaning = item
            else:
                _conclude(app, item, run_id, alerts)
        if cleaning is not None:
            _take_answer(app, cleaning)
            cleaner.give()
            _conclude(app, cleaning, run_id, alerts)


class _Cleaner:
    """The cleaner process a message's pages share, taken from the pool when first needed."""

    def __init__(self) -> None:
        self.proc: guard.CleanerProcess | None = None

    def get(self) -> guard.CleanerProcess:
        if self.proc is None:
            self.proc = guard.pool.take()
        return self.proc

    def give(self) -> None:
        if self.proc is not None:
            proc, self.proc = self.proc, None
            guard.pool.give(proc)  # one whose answer was never read is stopped there

    def __enter__(self) -> _Cleaner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.give()


@dataclass
class _Item:
    """A work item on its way: read from the store, maybe being cleaned, then concluded. A failure
    at any step is kept on it (``error``) and recorded when it is concluded."""

    id: str
    payload: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    page: Page | None = None
    raw: RawHtml | None = None
    article: Article | None = None
    work: PageJob | None = None  # the page in a cleaner process
    cleaned: tuple[Article, Prepared] | None = None
    error: Exception | None = None


def _bound(item_id: str) -> contextlib.AbstractContextManager[None]:
    """Log lines of this item carry its id (and no other item's article id)."""
    return structlog.contextvars.bound_contextvars(item_id=item_id, article_id=None)


def _loaded(app: App, item_id: str, run_id: str) -> _Item | None:
    """The stored item, ready to clean or process; None when it is done already (a redelivery)."""
    item = _Item(item_id)
    with _bound(item_id):
        try:
            stored = app.store.get_item(run_id, item_id)
            item.payload = restored(*stored) if stored else None
            payload = item.payload
            if payload is None:
                if app.redis.hexists(app.store.k("run", run_id), item_id):
                    return None
                raise BadInput("work item expired before a worker took it")
            if payload.get("kind") == "entry":  # `replay --retry-errors` of a feed entry
                return item
            item.warnings = tuple(payload.get("warnings") or ())
            item.raw = page_bytes(payload)  # the page's file, as it was read, decoded by the cleaner
            if payload.get("kind") == "page":
                fields = {**payload["page"], "warnings": item.warnings}
                if item.raw is not None:
                    fields["html"] = ""
                item.page = Page.model_validate(fields)
            else:
                data: dict[str, Any] = dict(payload["article"])
                check_size(data["text"], app.settings.http_max_bytes, "text")  # a page's HTML cap
                if data.get("published_at"):
                    data["published_at"] = datetime.fromisoformat(data["published_at"])
                article = article_from_text(**data)
                if item.warnings:
                    article = article.model_copy(update={"warnings": (*article.warnings, *item.warnings)})
                item.article = article
        except Exception as exc:  # recorded when the item is concluded (a retry, if transient)
            item.error = exc
    return item


def _begin(app: App, item: _Item, proc: guard.CleanerProcess) -> None:
    assert item.page is not None
    with _bound(item.id):
        try:
            item.work = begin_page(app, item.page, proc, raw=item.raw)
        except Exception as exc:
            item.error = exc


def _take_answer(app: App, item: _Item) -> None:
    assert item.work is not None
    with _bound(item.id):
        try:
            item.cleaned = page_answer(app, item.work)
        except Exception as exc:
            item.error = exc


def _conclude(app: App, item: _Item, run_id: str, alerts: bool) -> None:
    """Store the item's article (or run its feed entry again) and record its outcome on the run."""
    payload, failure_key = item.payload, None
    with _bound(item.id):
        try:
            if item.error is not None:
                raise item.error
            if payload is not None and payload.get("kind") == "entry":
                entry_id = str(payload["entry_id"])
                failure_key = f"entry:{entry_id}"
                done = _entry_outcome(app, entry_id)  # alerts as it would have raised live
                if done is None:
                    raise BadInput("the feed entry expired: it is gone from the feed's state")
                outcome, detail, fired = done
                app.store.finish_item(item.id, run_id, outcome, detail, fired, remember=False)  # noted
                return
            if item.cleaned is not None:
                saved = store_page(app, *item.cleaned, alerts=alerts)
            else:
                assert item.article is not None
                saved = process_article(app, item.article, alerts=alerts)
            outcome, detail, fired = saved.outcome, saved.record.id, len(saved.alerts)
            if item.warnings:
                detail = f"{detail}; warnings: {'; '.join(item.warnings)}"
        except Exception as exc:  # every failure ends as an outcome on the run, or as a retry
            (outcome, detail), fired = settle(exc), 0
            metrics.count(app, "articles", outcome)
            if outcome == "error" and payload is not None:
                payload = _as_text(payload, app.settings.http_max_bytes)  # kept as JSON for --retry-errors
        app.store.finish_item(
            item.id,
            run_id,
            outcome,
            detail,
            fired,
            payload=payload,
            failure_key=failure_key,
            also=metrics.flush_into,  # the item's metrics in its last round trip
        )


def _as_text(payload: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """A work item whose page is a file's bytes (``raw``) with its HTML as text instead, to be kept as
    JSON for ``replay --retry-errors`` (an empty HTML when the bytes do not decode)."""
    raw = page_bytes(payload)
    if raw is None:
        return payload
    try:
        html = raw.text(max_bytes)
    except PipelineError:
        html = ""
    return {k: v for k, v in payload.items() if k != "raw"} | {"page": {**payload["page"], "html": html}}


def deliver_alert(alert_key: str, destination: str | None = None) -> None:
    """Deliver one alert to one destination; retried with backoff, or after the receiver's Retry-After."""
    message = CurrentMessage.get_current_message()
    retries = int(message.options.get("retries", 0)) if message else 0
    try:
        notify.deliver(current(), alert_key, destination, retries=retries)
    except TransientError as exc:
        # RFC 9110 §10.2.3; capped at dramatiq's longest delay (7 days). Without Retry-After, the
        # message's own backoff (workers.alerting.enqueue). Retry, not the error: one warning line
        # (notify logs it), no traceback.
        delay_ms = _retry_delay_ms(exc, retries, None)
        raise dramatiq.Retry(str(exc), delay=delay_ms) from exc


def declare(broker: dramatiq.Broker) -> None:
    """Declare the actors on the broker of a process that consumes their queues (once per broker)."""
    if set(QUEUES) <= broker.get_declared_actors():
        return  # workers started again on the same app
    options: dict[str, Any] = {"broker": broker, "time_limit": 10 * 60 * 1000}
    dramatiq.actor(queue_name=QUEUES["poll_feed"], max_retries=0, **options)(poll_feed)
    dramatiq.actor(queue_name=QUEUES["process_entry"], **options)(process_entry)
    dramatiq.actor(queue_name=QUEUES["process_item"], **options)(process_item)  # queued by older releases
    dramatiq.actor(queue_name=QUEUES["process_items"], **options)(process_items)
    # retry schedule per message, from the settings (workers.alerting.enqueue); PipelineErrors other
    # than transient ones are recorded on the alert's delivery state, never raised
    dramatiq.actor(queue_name=QUEUES["deliver_alert"], **options)(deliver_alert)
