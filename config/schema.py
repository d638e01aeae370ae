"""What alerts.toml may say, and the whole configuration (feeds.toml, topic.toml, alerts.toml).

Pure models; ``config.loader`` reads the files into them and turns any mistake
into a ``ConfigError`` naming the file, the key and the problem.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from config.base import Strict
from config.feeds import FeedConfig, FeedsFile
from config.topic import TopicConfig

__all__ = [
    "AlertRule",
    "AlertsFile",
    "Config",
    "Destination",
    "FeedConfig",
    "FeedsFile",
    "Strict",
    "TopicConfig",
]


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
