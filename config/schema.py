"""What alerts.toml may say, and the whole configuration (feeds.toml, topic.toml, alerts.toml).

Pure models; ``config.loader`` reads the files into them and turns any mistake
into a ``ConfigError`` naming the file, the key and the problem.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from config.base import Strict
from config.feeds import FeedConfig, FeedsFile
from config.topic import TopicConfig
from pipeline.cases import STATUS_ORDER

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

DestinationType = Literal["log", "webhook", "slack", "command", "atom"]
# Case steps a rule may name in `statuses`.
CASE_STATUSES = STATUS_ORDER


class Destination(Strict):
    """Where a rule's alerts go. Which keys apply depends on ``type`` (see alerts.toml's header)."""

    type: DestinationType
    url: str | None = None
    secret_env: str | None = Field(
        default=None, description="environment variable holding the webhook's whsec_ secret"
    )
    allow_private_addresses: bool = Field(
        default=False, description="let this destination's url be a loopback or private address"
    )
    command: list[str] = Field(default=[], description="argv of a command that reads the alert JSON on stdin")
    path: str | None = Field(default=None, description="atom: also write the feed to this file")
    title: str | None = Field(default=None, description="atom: the feed's title")

    @model_validator(mode="after")
    def _complete(self) -> Destination:
        if self.type in ("webhook", "slack") and not (self.url and re.match(r"^https?://", self.url)):
            raise ValueError(f"a {self.type} destination needs an http(s) url")
        if self.type != "command" and self.command:
            raise ValueError(f"'command' is for command destinations, not {self.type}")
        if self.type == "command" and not self.command:
            raise ValueError("a command destination needs 'command', a list of program and arguments")
        if self.secret_env is not None and self.type != "webhook":
            raise ValueError("'secret_env' is for webhook destinations")
        if self.secret_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.secret_env):
            raise ValueError("'secret_env' must be the name of an environment variable")
        return self


class AlertRule(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    events: list[str] = []
    on_topic: bool | None = True
    min_relevance: float = Field(default=0.0, ge=0, le=1)
    min_confidence: float = Field(default=0.0, ge=0, le=1)
    entities: list[str] = Field(default=[], description="entity ids or names; any one must be in the record")
    sources: list[str] = []
    statuses: list[str] = Field(default=[], description="case steps that fire it (empty: every step)")
    destinations: list[str] = Field(min_length=1)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in CASE_STATUSES]
        if unknown:
            raise ValueError(f"unknown case status {unknown[0]!r}; use one of {', '.join(CASE_STATUSES)}")
        return value


class AlertsFile(Strict):
    rules: list[AlertRule] = []
    destinations: dict[str, Destination] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_rule(cls, data: Any, handler: ModelWrapValidatorHandler[AlertsFile]) -> AlertsFile:
        """A mistake inside a rule names the rule too, not only its position (``rules[2]``)."""
        try:
            return handler(data)
        except ValidationError as exc:
            rules = data.get("rules") if isinstance(data, dict) else None
            errors: list[InitErrorDetails] = []
            for err in exc.errors():
                loc = err["loc"]
                msg = err["msg"].removeprefix("Value error, ")
                if len(loc) > 1 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(rules, list):
                    rule = rules[loc[1]] if loc[1] < len(rules) else None
                    name = rule.get("name") if isinstance(rule, dict) else None
                    if isinstance(name, str):
                        msg = f"rule {name!r}: {msg}"
                errors.append(
                    {
                        "type": PydanticCustomError("value_error", "{msg}", {"msg": msg}),
                        "loc": loc,
                        "input": err.get("input"),
                    }
                )
            raise ValidationError.from_exception_data(exc.title, errors) from None

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
