"""What feeds.toml may say: the feeds to poll."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from config.base import Strict
from pipeline.urls import digest


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
