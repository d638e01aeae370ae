"""What the three configuration files may say: feeds.toml, topic.toml, alerts.toml.

Pure models; ``config.loader`` reads the files into them and turns any mistake
into a ``ConfigError`` naming the file, the key and the problem.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.urls import digest


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- feeds.toml -------------------------------------------------------------------------------------------


class FeedConfig(Strict):
    url: str
    name: str
    id: str = ""
    language: str | None = None
    prefilter: bool = Field(default=False, description="off-topic entries may be skipped before fetching")
    min_interval_s: int = Field(default=300, ge=30)
    max_interval_s: int = Field(default=6 * 3600, ge=60)
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _derive(self) -> FeedConfig:
        if not self.id:
            object.__setattr__(self, "id", feed_id_for(self.url))
        if self.min_interval_s > self.max_interval_s:
            raise ValueError("min_interval_s is larger than max_interval_s")
        return self


def feed_id_for(url: str) -> str:
    return digest(url.strip(), 12)


class FeedsFile(Strict):
    feeds: list[FeedConfig] = []

    @model_validator(mode="after")
    def _unique(self) -> FeedsFile:
        seen: set[str] = set()
        for feed in self.feeds:
            if feed.id in seen:
                raise ValueError(f"feed id {feed.id!r} ({feed.url}) appears twice")
            seen.add(feed.id)
        return self


# --- topic.toml -------------------------------------------------------------------------------------------


class ActorTerms(Strict):
    label: str = ""
    terms: list[str] = Field(min_length=1)


class PairRule(Strict):
    actors: tuple[str, str]
    weight: float = Field(default=1.0, gt=0, le=1)


class EventRule(Strict):
    patterns: list[str] = Field(min_length=1, description="regular expressions, case-insensitive")
    confidence: float = Field(default=0.6, gt=0, le=1)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        return value


class TopicConfig(Strict):
    name: str
    on_topic_threshold: float = Field(default=0.5, gt=0, le=1)
    actors: dict[str, ActorTerms]
    pairs: list[PairRule] = Field(min_length=1)
    terms: dict[str, float] = {}
    events: dict[str, EventRule] = {}

    @model_validator(mode="after")
    def _pairs_known(self) -> TopicConfig:
        for pair in self.pairs:
            for actor in pair.actors:
                if actor not in self.actors:
                    raise ValueError(f"pair names actor {actor!r}, which is not under [actors]")
        return self


# --- alerts.toml ------------------------------------------------------------------------------------------


class Destination(Strict):
    type: Literal["log", "webhook"]
    url: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Destination:
        if self.type == "webhook" and not (self.url and re.match(r"^https?://", self.url)):
            raise ValueError("a webhook destination needs an http(s) url")
        return self


class AlertRule(Strict):
    name: str = Field(min_length=1)
    events: list[str] = []
    on_topic: bool | None = True
    min_relevance: float = Field(default=0.0, ge=0, le=1)
    min_confidence: float = Field(default=0.0, ge=0, le=1)
    sources: list[str] = []
    destinations: list[str] = Field(min_length=1)


class AlertsFile(Strict):
    rules: list[AlertRule] = []
    destinations: dict[str, Destination] = {}

    @model_validator(mode="after")
    def _refs(self) -> AlertsFile:
        names: set[str] = set()
        for rule in self.rules:
            if rule.name in names:
                raise ValueError(f"rule {rule.name!r} is defined twice")
            names.add(rule.name)
            for dest in rule.destinations:
                if dest not in self.destinations:
                    raise ValueError(
                        f"rule {rule.name!r} sends to {dest!r}, which is not under [destinations]"
                    )
        return self


class Config(Strict):
    feeds: FeedsFile
    topic: TopicConfig
    alerts: AlertsFile
