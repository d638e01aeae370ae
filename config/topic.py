"""What topic.toml may say: the subject, its actors, terms and event patterns."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from config.base import Strict


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
