"""The JSON API's answers: pydantic models, which are also its OpenAPI schema (``/api/v1/openapi.json``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from pipeline.models import Alert, Case, Record


class Out(BaseModel):
    model_config = {"frozen": True}


class RecordSummary(Out):
    """A record as a list shows it; ``GET /api/v1/records/{id}`` has all of it."""

    id: str
    url: str
    source: str
    title: str | None
    published_at: datetime | None
    language: str | None
    status: str = Field(description="dedup status: unique, duplicate, near_duplicate, revision ...")
    duplicate_of: str | None
    on_topic: bool
    relevance: float
    events: list[str] = Field(description="event types the article reports, each once")
    story_id: str | None
    case_ids: list[str]
    lead: str = Field(description="the first 280 characters of the text")

    @classmethod
    def of(cls, r: Record) -> RecordSummary:
        return cls(
            id=r.id,
            url=r.url,
            source=r.source,
            title=r.title,
            published_at=r.published_at,
            language=r.language,
            status=r.dedup.status,
            duplicate_of=r.dedup.duplicate_of,
            on_topic=r.on_topic,
            relevance=r.relevance,
            events=list(dict.fromkeys(e.type for e in r.events)),
            story_id=r.story_id,
            case_ids=list(r.case_ids),
            lead=r.text[:280],
        )


class RecordPage(Out):
    items: list[RecordSummary]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: no more")


class Copy(Out):
    id: str
    source: str
    url: str


class RecordDetail(Out):
    record: Record
    also_published_by: list[Copy]
    revisions: int = Field(description="earlier versions kept")


class StoryArticle(Out):
    id: str
    source: str
    url: str
    title: str | None
    published_at: datetime | None
    status: str
    duplicate_of: str | None


class Story(Out):
    id: str
    title: str | None
    first_seen: datetime
    last_seen: datetime
    sources: list[str]
    events: list[str]
    articles: list[StoryArticle] = Field(description="every outlet's report, copies included")

    @classmethod
    def of(cls, data: dict[str, Any]) -> Story:
        articles = [
            StoryArticle(
                id=r.id,
                source=r.source,
                url=r.url,
                title=r.title,
                published_at=r.published_at,
                status=r.dedup.status,
                duplicate_of=r.dedup.duplicate_of,
            )
            for r in data["articles"]
        ]
        return cls(**{**data, "articles": articles})


class StoryPage(Out):
    items: list[Story]
    next_cursor: str | None


class CaseSummary(Out):
    id: str
    person: str
    nationality: str | None
    place: str | None
    charge: str | None
    status: str
    steps: int
    first_seen: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, c: Case) -> CaseSummary:
        return cls(**c.model_dump(exclude={"steps", "variants", "record_ids"}), steps=len(c.steps))


class SourceRef(Out):
    id: str
    source: str
    url: str
    title: str | None
    published_at: datetime | None


class CaseStepOut(Out):
    status: str
    date: str | None
    evidence: str
    sources: list[SourceRef]


class CaseDetail(Out):
    id: str
    person: str
    variants: list[str]
    nationality: str | None
    place: str | None
    charge: str | None
    status: str
    first_seen: datetime | None
    updated_at: datetime | None
    steps: list[CaseStepOut] = Field(description="the status timeline, oldest step first")
    records: list[SourceRef] = Field(description="every record that reports the case")


class Delivery(Out):
    state: str
    attempts: int = 0
    error: str = ""
    at: str | None = None


class AlertOut(Out):
    alert: Alert
    delivery: dict[str, Delivery] = Field(description="per destination")
    sources: list[SourceRef]


class DeadLetter(Out):
    key: str
    destination: str


class AlertList(Out):
    items: list[AlertOut]
    dead_letters: list[DeadLetter]


class RetryRequest(BaseModel):
    key: str | None = Field(default=None, description="only this alert (its key, or the start of it)")
    pending: bool = Field(default=False, description="also resend deliveries still pending or retrying")


class RetryResult(Out):
    queued: int


class FeedHealth(Out):
    id: str
    name: str
    url: str
    enabled: bool
    status: str
    last_poll: datetime | None
    last_http_status: int | None
    consecutive_errors: int
    last_error: str | None
    next_poll: datetime | None
    polls: int
    entries_seen: int


class Stats(Out):
    records: int
    on_topic: int
    duplicates: int
    revisions: int
    stories: int
    cases: int
    alerts: int
    dead_letters: int
    feeds: int
    events: dict[str, int] = Field(description="records per event type")


class Day(Out):
    date: date
    articles: int
    events: dict[str, int]


class Timeline(Out):
    days: list[Day]


class Problem(Out):
    detail: str


def source_ref(r: Record) -> SourceRef:
    return SourceRef(id=r.id, source=r.source, url=r.url, title=r.title, published_at=r.published_at)
