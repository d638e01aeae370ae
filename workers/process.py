"""The one path an article takes through the stages, for live polling and replay alike.

``Page -> clean -> Article -> fingerprint/enrich -> store.save (dedup, story, record) -> alerts``
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import redis
import structlog

from pipeline.clean import RawHtml
from pipeline.models import Article, DedupVerdict, Page, Record
from pipeline.record import Prepared, build_record, prepare
from pipeline.stories import story_profile
from pipeline.urls import host_of
from workers import guard, metrics
from workers.alerting import raise_alerts
from workers.app import App
from workers.cases import update_cases
from workers.store import Saved

log = structlog.get_logger(__name__)


def process_article(
    app: App,
    article: Article,
    *,
    alerts: bool,
    prepared: Prepared | None = None,
    also: Callable[[redis.client.Pipeline], object] | None = None,
) -> Saved:
    """Dedup, store, cases and alerts for one article. ``prepared``: its sanitized form,
    fingerprints and enrichment when the cleaner process made them already (``process_page``);
    ``also``: writes that go in the record's transaction (``RedisStore.save``)."""
    article, fps, enrichment = prepared or prepare(article, app.config.topic)
    structlog.contextvars.bind_contextvars(article_id=fps.article_id)

    def build(verdict: DedupVerdict, previous: Record | None) -> Record:
        return build_record(article, fps, verdict, enrichment, previous)

    # what places a record in a story; only on-topic records have one (most pages a feed gives are not)
    profile = (
        story_profile(
            article.text,
            article.title,
            app.config.topic,
            entities=[(e.id, e.type, e.name) for e in enrichment.entities],
            events=[(e.type, e.status) for e in enrichment.events],
            outlet=f"{article.source} {article.site_name or ''}",
        )
        if enrichment.on_topic
        else None
    )
    with metrics.timed(app, "dedup_decision_seconds"):
        saved = app.store.save(article, fps, build, profile, also)
    metrics.count(app, "articles", saved.outcome)
    steps = update_cases(app, saved.record)  # new status steps of detention cases, once each
    if steps:
        log.info("case_steps", steps=[(s.case_id, s.status, s.date) for s in steps])
    if alerts:
        saved = replace(saved, alerts=tuple(raise_alerts(app, saved.record, steps)))
    log.info(
        "article_" + saved.outcome,
        url=article.url,
        source=article.source,
        relevance=enrichment.relevance,
        duplicate_of=saved.record.dedup.duplicate_of,
        events=[e.type for e in saved.record.events],
    )
    return saved


@dataclass
class PageJob:
    """A page in a cleaner process (``begin_page``), its answer read by ``page_answer``."""

    page: Page
    proc: guard.CleanerProcess
    job: guard.Job


def begin_page(app: App, page: Page, proc: guard.CleanerProcess, *, raw: RawHtml | None = None) -> PageJob:
    """Send a page to a cleaner process, with its source's learned template lines, and return at
    once: the thread can store the page before it while this one is cleaned (``workers.actors``).
    ``raw``: the page's bytes as read, decoded in the cleaner process (``page.html`` empty)."""
    source = page.source or host_of(page.final_url or page.url)
    job = proc.begin(
        page,
        app.config.topic,
        timeout_s=app.settings.extract_timeout_s,
        max_html_bytes=app.settings.http_max_bytes,
        templates=app.templates.load(source),
        raw=raw,
    )
    return PageJob(page, proc, job)


def page_answer(app: App, work: PageJob) -> tuple[Article, Prepared]:
    """The cleaned and enriched article of a ``begin_page``; its time counted as ``clean_seconds``."""
    try:
        article, prepared = work.proc.answer(work.job)
    finally:
        metrics.observe(app, "clean_seconds", time.monotonic() - work.job.started)
    assert prepared is not None  # the job has the topic: answer() prepares it
    return article, prepared


def store_page(app: App, article: Article, prepared: Prepared, *, alerts: bool) -> Saved:
    """Process a cleaned page's article, its lines counted for its source in the record's own
    transaction (as cleaning made them: what later pages of the source are cleaned of)."""
    return process_article(
        app, article, alerts=alerts, prepared=prepared, also=partial(app.templates.learn_article, article)
    )


def process_page(app: App, page: Page, *, alerts: bool, raw: RawHtml | None = None) -> Saved:
    """Clean and enrich a page (in a cleaner process, under the time limit) with its source's
    learned template lines stripped, and process the article. ``raw``: as in ``begin_page``."""
    with guard.pool.lease() as proc:
        article, prepared = page_answer(app, begin_page(app, page, proc, raw=raw))
    return store_page(app, article, prepared, alerts=alerts)
