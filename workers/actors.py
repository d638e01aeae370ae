"""dramatiq actors: ``poll_feed -> process_entry``, ``process_item`` (replay), ``deliver_alert``.

Messages carry ids, never payloads; the payloads wait in Redis. Every actor is
idempotent: a redelivered message finds its work done (the store answers
"unchanged", an alert already delivered is not sent again).

Failures: a ``TransientError`` is retried with backoff (the server's
Retry-After when it sent one) until ``max_retries``, then recorded; a
``PermanentError`` or ``Rejected`` is recorded on the item's, entry's or feed's
status at once. Nothing is silently dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.middleware import CurrentMessage

from pipeline.clean import article_from_text, decode_html
from pipeline.errors import BadInput, PipelineError, Rejected, TransientError
from pipeline.models import Article, FeedEntry, Page
from pipeline.sanitize import check_size
from workers import metrics, notify, poller, robots
from workers.app import App, current
from workers.process import process_article, process_page

log = structlog.get_logger(__name__)


def settle(exc: Exception) -> tuple[str, str]:
    """The outcome to record for a failure, or a raise that makes dramatiq retry the message.

    Transient failures are retried with backoff (the server's Retry-After when it sent one) until
    ``max_retries``; then, like every other failure, they are recorded and the message is done.
    """
    transient = exc if isinstance(exc, TransientError) else None
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        transient = TransientError(f"redis: {exc}", code="redis")
    if transient is not None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message else 0
        if retries < current().settings.max_retries:
            log.warning("retry_scheduled", error=str(transient), code=transient.code, retries=retries)
            if transient.retry_after_s is not None:
                raise dramatiq.Retry(str(transient), delay=int(transient.retry_after_s * 1000)) from exc
            raise transient from exc
        log.error("retries_exhausted", error=str(transient), code=transient.code)
        return "error", f"{transient.code}: gave up after {retries} retries: {transient}"
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


def _run(app: App, page: Page | None, article: Article | None, alerts: bool) -> tuple[str, str, int]:
    if page is not None:
        saved = process_page(app, page, alerts=alerts)
    else:
        assert article is not None
        saved = process_article(app, article, alerts=alerts)
    return saved.outcome, saved.record.id, len(saved.alerts)


def process_entry(entry_id: str) -> None:
    """Fetch one feed entry's page and take it through the stages."""
    app = current()
    key = app.store.k("entry", entry_id)
    raw = app.redis.get(key)
    if raw is None:
        log.warning("entry_missing")
        return
    entry = FeedEntry.model_validate_json(raw)
    structlog.contextvars.bind_contextvars(feed_id=entry.feed_id)
    feed = app.config.feeds.feeds
    source = next((f.name for f in feed if f.id == entry.feed_id), None)
    try:
        resp = robots.fetch_page(app.http, app.robots, entry.url)  # robots.txt, rate limit
        page = Page(
            url=entry.url,
            final_url=resp.final_url,
            html=decode_html(resp.body, resp.encoding),
            source=source,
            feed_id=entry.feed_id,
            entry=entry,
        )
        outcome, detail, _ = _run(app, page, None, alerts=True)
    except Exception as exc:
        outcome, detail = settle(exc)
        metrics.count(app, "articles", outcome)  # a success is counted where it is saved (process)
    app.redis.hset(
        app.store.k("entry", entry_id, "status"),
        mapping={"outcome": outcome, "detail": detail, "at": datetime.now(UTC).isoformat()},
    )


def process_item(item_id: str, run_id: str, alerts: bool = False) -> None:
    """Take one queued work item (a replayed page or text) through the stages; record its outcome."""
    app = current()
    try:
        payload = app.store.get_item(run_id, item_id)
        if payload is None:
            if app.redis.hexists(app.store.k("run", run_id), item_id):
                return  # done already: this is a redelivery
            raise BadInput("work item expired before a worker took it")
        warnings: tuple[str, ...] = tuple(payload.get("warnings") or ())  # type: ignore[arg-type]
        if payload.get("kind") == "page":
            page, article = Page.model_validate({**payload["page"], "warnings": warnings}), None  # type: ignore[dict-item]
        else:
            data: dict[str, Any] = dict(payload["article"])  # type: ignore[call-overload]
            check_size(data["text"], app.settings.http_max_bytes, "text")  # the same cap as a page's HTML
            if data.get("published_at"):
                data["published_at"] = datetime.fromisoformat(data["published_at"])
            page, article = None, article_from_text(**data)
            if warnings:
                article = article.model_copy(update={"warnings": (*article.warnings, *warnings)})
        outcome, detail, fired = _run(app, page, article, alerts)
        if warnings:
            detail = f"{detail}; warnings: {'; '.join(warnings)}"
    except Exception as exc:  # every failure ends as an outcome on the run, or as a retry
        (outcome, detail), fired = settle(exc), 0
        metrics.count(app, "articles", outcome)
    app.store.finish_item(item_id, run_id, outcome, detail, fired)


def deliver_alert(alert_key: str, destination: str | None = None) -> None:
    """Deliver one alert to one destination; retried with backoff, or after the receiver's Retry-After."""
    message = CurrentMessage.get_current_message()
    retries = int(message.options.get("retries", 0)) if message else 0
    try:
        notify.deliver(current(), alert_key, destination, retries=retries)
    except TransientError as exc:
        if exc.retry_after_s is not None:  # RFC 9110 §10.2.3; capped at dramatiq's longest delay (7 days)
            delay_ms = int(min(exc.retry_after_s, 7 * 86400) * 1000)
            raise dramatiq.Retry(str(exc), delay=delay_ms) from exc
        raise


def declare(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare the actors on a broker; one newswatch app, one set of actors."""
    options: dict[str, Any] = {"broker": broker, "time_limit": 10 * 60 * 1000}
    return {
        "poll_feed": dramatiq.actor(queue_name="feeds", max_retries=0, **options)(poll_feed),
        "process_entry": dramatiq.actor(queue_name="articles", **options)(process_entry),
        "process_item": dramatiq.actor(queue_name="articles", **options)(process_item),
        # retry schedule per message, from the settings (workers.notify.enqueue); PipelineErrors other
        # than transient ones are recorded on the alert's delivery state, never raised
        "deliver_alert": dramatiq.actor(queue_name="alerts", **options)(deliver_alert),
    }
