"""Article + fingerprints + verdict + enrichment -> Record (pure)."""

from __future__ import annotations

from typing import NamedTuple

from config.topic import TopicConfig
from pipeline.dedup import fingerprint
from pipeline.enrich import enrich
from pipeline.models import Article, DedupVerdict, Enrichment, Fingerprints, Record
from pipeline.sanitize import sanitize_article


class Prepared(NamedTuple):
    """What a record is built from besides the dedup verdict: the sanitized article, what dedup
    compares, what enrichment adds. Pure and per article, so it can be made where the page was
    cleaned (in the cleaner process, under its time limit) and sent back with the article."""

    article: Article
    fingerprints: Fingerprints
    enrichment: Enrichment


def prepare(article: Article, topic: TopicConfig) -> Prepared:
    # the one door into a record: whatever the source (feed, page metadata, replayed text), every
    # text field is sanitized before anything (events, evidence, alerts) is derived from it
    article = sanitize_article(article)
    return Prepared(article, fingerprint(article), enrich(article, topic))


def build_record(
    article: Article,
    fps: Fingerprints,
    verdict: DedupVerdict,
    enrichment: Enrichment,
    previous: Record | None,
) -> Record:
    """The record to store. A copy of another article is kept small: metadata and a pointer, no text."""
    copy = verdict.status in ("duplicate", "near_duplicate")
    if verdict.status == "unchanged" and previous is not None:
        return previous
    return Record(
        id=fps.article_id,
        url=article.url,
        canonical_url=article.canonical_url,
        source=article.source,
        title=article.title,
        text="" if copy else article.text,
        published_at=article.published_at,
        published_precision=article.published_precision,
        fetched_at=article.fetched_at,
        language=article.language,
        authors=article.authors,
        site_name=article.site_name,
        feed_id=article.feed_id,
        origin=article.origin,
        content_hash=fps.content_hash,
        dedup=verdict,
        revision=(previous.revision + 1) if (verdict.status == "revision" and previous) else 0,
        relevance=enrichment.relevance,
        on_topic=enrichment.on_topic,
        relevance_reason=enrichment.relevance_reason,
        events=() if copy else enrichment.events,
        mentions=() if copy else enrichment.mentions,
        entities=() if copy else enrichment.entities,
        case_ids=() if copy else enrichment.case_ids,
        field_sources=article.field_sources,
        warnings=article.warnings,
    )
