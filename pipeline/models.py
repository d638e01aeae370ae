"""The data that flows through newswatch: one frozen model per hop.

``FeedEntry -> Page -> Article -> DedupVerdict -> Record -> Alert``

Every model is immutable (like dramatiq's ``Message``); a stage returns a new
one. Units are in field names (``size_bytes``, ``timeout_s``); every datetime is
timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def utcnow() -> datetime:
    return datetime.now(UTC)


DatePrecision = Literal["day", "month", "year"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class FeedEntry(Frozen):
    """One item of a feed, as the feed describes it."""

    feed_id: str
    entry_id: str = Field(description="stable identity: GUID, else canonical link, else title+date")
    url: str
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None
    published_precision: DatePrecision = "day"
    authors: tuple[str, ...] = ()
    language: str | None = None
    warnings: tuple[str, ...] = Field(default=(), description="optional fields that could not be read")

    _utc = field_validator("published_at")(_aware)


class Page(Frozen):
    """Raw HTML of one article page, fetched or replayed."""

    url: str
    final_url: str | None = None
    html: str
    source: str | None = Field(default=None, description="outlet name; defaults to the host")
    feed_id: str | None = None
    entry: FeedEntry | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    origin: Literal["feed", "replay", "extract"] = "feed"
    warnings: tuple[str, ...] = Field(default=(), description="optional fields that could not be read")

    _utc = field_validator("fetched_at")(_aware)


class Removal(Frozen):
    """Something the cleaner took out of an article, and why (for `extract --explain`)."""

    text: str
    reason: str


class Article(Frozen):
    """Clean article text and metadata, before dedup."""

    url: str
    canonical_url: str
    source: str
    title: str | None = None
    text: str
    published_at: datetime | None = None
    published_precision: DatePrecision = "day"
    authors: tuple[str, ...] = ()
    language: str | None = None
    site_name: str | None = None
    feed_id: str | None = None
    entry_id: str | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    origin: Literal["feed", "replay", "extract"] = "feed"
    removed: tuple[Removal, ...] = ()
    page_hash: str | None = Field(
        default=None,
        description="hash of the text before a source's learned template lines were stripped: what the page "
        "itself says, so that learning more template lines never makes an unchanged page look revised",
    )
    field_sources: dict[str, str] = Field(
        default_factory=dict,
        description="where title, published_at, authors came from: feed, input, page; for published_at "
        "also url, dateline, or fetched (no date found: the article is filed under its fetch time)",
    )
    warnings: tuple[str, ...] = Field(default=(), description="optional fields that could not be read")

    _utc = field_validator("published_at", "fetched_at")(_aware)


DedupStatus = Literal["unique", "duplicate", "near_duplicate", "revision", "unchanged"]


class Fingerprints(Frozen):
    """What dedup compares: computed once per article, claimed atomically in the store."""

    article_id: str
    url_hash: str
    content_hash: str
    revision_hash: str = Field(default="", description="what tells a revision at one URL: the page's hash")
    bands: tuple[str, ...] = Field(default=(), description="MinHash LSH buckets of the body, one per band")


class DedupVerdict(Frozen):
    """Whether an article is new, and if not, what it duplicates."""

    status: DedupStatus
    duplicate_of: str | None = None
    similarity: float | None = Field(default=None, description="body overlap (Jaccard) with duplicate_of")
    reason: str = ""


EntityType = Literal["person", "organization", "place", "country"]


class Entity(Frozen):
    """A person, organization, place or country an article names, with every spelling it used."""

    id: str = Field(description="stable slug of the canonical name: the same person in every article")
    type: EntityType
    name: str = Field(description="canonical name, from topic.toml when the entity is known there")
    variants: tuple[str, ...] = Field(default=(), description="the spellings found in this article")
    mentions: int = 0
    actor: str | None = Field(default=None, description="the subject actor it belongs to (topic.toml)")


class Event(Frozen):
    """Something the article reports happening, with the sentence that says so.

    Every part (actor, target, place, date) comes from the evidence sentence or the one
    just before it in the same paragraph, never from elsewhere in the article.
    """

    type: str
    evidence: str
    confidence: float = Field(ge=0.0, le=1.0)
    actor: str | None = Field(default=None, description="who did it (entity name)")
    target: str | None = Field(default=None, description="to whom (entity name, or 'a Russian national')")
    place: str | None = None
    date: str | None = Field(default=None, description="ISO date (or YYYY-MM) the sentence gives, if any")
    status: str | None = Field(default=None, description="a detention case's step: detained, charged ...")
    charge: str | None = None
    nationality: str | None = Field(default=None, description="the detainee's country (subject actor)")
    person_key: str | None = Field(default=None, description="the detainee's identity, for the case ledger")
    background: bool = Field(default=False, description="mentioned as background, not reported as new")


class Enrichment(Frozen):
    """What enrichment adds to an article."""

    relevance: float = Field(ge=0.0, le=1.0)
    on_topic: bool
    relevance_reason: str
    events: tuple[Event, ...] = Field(default=(), description="events the article reports as news")
    mentions: tuple[Event, ...] = Field(default=(), description="earlier events it recalls as background")
    entities: tuple[Entity, ...] = ()
    case_ids: tuple[str, ...] = Field(default=(), description="detention cases it reports on")
    terms: dict[str, int] = Field(default_factory=dict, description="topic terms found, with counts")


class CaseStep(Frozen):
    """One new stage of a detention case (detained, charged, custody extended ...), with its sources."""

    case_id: str
    status: str
    date: str | None = None
    evidence: str = ""
    record_ids: tuple[str, ...] = ()
    review: str | None = Field(
        default=None,
        description="why the step contradicts the timeline: kept for a person to check, no alert",
    )
    first_reported: str | None = Field(
        default=None, description="ISO day of the earliest article that reported the step"
    )
    reported_on: dict[str, str] = Field(
        default_factory=dict,
        description="record id -> ISO day of each article that reported it (a later retelling is no source)",
    )


class Case(Frozen):
    """One person's detention, joined across articles and languages, with its status timeline."""

    id: str
    person: str
    variants: tuple[str, ...] = ()
    nationality: str | None = None
    place: str | None = None
    charge: str | None = None
    status: str = "detained"
    steps: tuple[CaseStep, ...] = ()
    record_ids: tuple[str, ...] = ()
    first_seen: datetime | None = None
    updated_at: datetime | None = None


class Record(Frozen):
    """What the store keeps for one article (or a pointer, for a duplicate)."""

    id: str
    url: str
    canonical_url: str
    source: str
    title: str | None = None
    text: str = ""
    published_at: datetime | None = None
    published_precision: DatePrecision = Field(
        default="day", description="how much of published_at the source gave: day, month or year"
    )
    fetched_at: datetime
    stored_at: datetime = Field(default_factory=utcnow)
    language: str | None = None
    authors: tuple[str, ...] = ()
    site_name: str | None = None
    feed_id: str | None = None
    origin: Literal["feed", "replay", "extract"] = "feed"
    content_hash: str
    dedup: DedupVerdict
    revision: int = 0
    story_id: str | None = Field(default=None, description="the story this article reports: all its outlets")
    relevance: float = 0.0
    on_topic: bool = False
    relevance_reason: str = ""
    events: tuple[Event, ...] = Field(default=(), description="events the article reports as news")
    mentions: tuple[Event, ...] = Field(default=(), description="earlier events it recalls as background")
    entities: tuple[Entity, ...] = ()
    case_ids: tuple[str, ...] = ()
    field_sources: dict[str, str] = Field(default_factory=dict)
    warnings: tuple[str, ...] = Field(default=(), description="optional fields that could not be read")

    _utc = field_validator("published_at", "fetched_at", "stored_at")(_aware)

    @property
    def sort_time(self) -> datetime:
        """When the article appeared: its publication time, else when we got it."""
        return self.published_at or self.fetched_at


class Alert(Frozen):
    """One thing a rule says a person should be told about."""

    key: str = Field(description="idempotency key: one alert per (rule, story, event, status)")
    rule: str
    record_id: str
    event_type: str
    title: str | None
    evidence: str
    url: str
    source: str
    created_at: datetime = Field(default_factory=utcnow)
    base_key: str = Field(default="", description="the key without a repeatable step's date")
    subject: str = Field(default="", description="what it is about: case:{id} or story:{id}")
    story_id: str | None = None
    case_id: str | None = None
    status: str | None = Field(default=None, description="the case's status step, for case alerts")


Outcome = Literal[
    "stored", "revision", "unchanged", "duplicate", "near_duplicate", "off_topic", "rejected", "error"
]
