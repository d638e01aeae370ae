"""The one path an article takes through the stages, for live polling and replay alike.

``Page -> clean -> Article -> fingerprint/enrich -> store.save (dedup, story, record) -> alerts``
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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


def process_page(app: App, page: Page, *, alerts: bool, raw: RawHtml | None = None) -> Saved:
    """Clean and enrich a page (in the thread's cleaner process, under the time limit) with its
    source's learned template lines stripped, count its lines for that source, and process the
    article. ``raw``: the page's bytes as read, decoded in the cleaner process (``page.html`` empty)."""
    source = page.source or host_of(page.final_url or page.url)
    templates = app.templates.load(source)
    with metrics.timed(app, "clean_seconds"):
        article, prepared = guard.prepare_guarded(
            page,
            app.config.topic,
            timeout_s=app.settings.extract_timeout_s,
            max_html_bytes=app.settings.http_max_bytes,
            templates=templates,
            raw=raw,
        )
    # the page's lines counted for its source (as cleaning made them: what later pages are cleaned
    # of), in the record's own transaction
    return process_article(
        app, article, alerts=alerts, prepared=prepared, also=partial(app.templates.learn_article, article)
    )
