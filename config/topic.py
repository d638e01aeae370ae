"""What topic.toml may say: the subject, its actors, named entities, terms, event patterns, cases."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from config.base import Strict


def _compile_all(value: list[str]) -> list[str]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
    return value


class ActorTerms(Strict):
    label: str = ""
    terms: list[str] = Field(min_length=1, description="names of the actor itself: country, capital, leaders")
    nationality: list[str] = Field(
        default=[], description="words for its nationals: 'South Korean', '한국인'"
    )


class EntityDef(Strict):
    """A person, organization or place worth knowing by name, with every spelling of it."""

    name: str = Field(min_length=1)
    type: Literal["person", "organization", "place", "country"]
    actor: str | None = Field(default=None, description="the actor it belongs to or stands for")
    aliases: list[str] = []
    surname: str | None = Field(default=None, description="how a report naming only the surname calls them")
    official: bool = Field(
        default=False, description="speaks or acts for a state (a spokeswoman, an envoy): never a detainee"
    )


class PairRule(Strict):
    actors: tuple[str, str]
    weight: float = Field(default=1.0, gt=0, le=1)
    requires: list[str] = Field(
        default=[], description="actors the article must also name for this pair to count (an angle)"
    )


class EventRule(Strict):
    patterns: list[str] = Field(min_length=1, description="regular expressions, case-insensitive")
    more: list[str] = Field(
        default=[],
        description="patterns in other languages: searched only in articles not in the main ones "
        "(topic's main_languages), so that the main ones pay nothing for them",
    )
    confidence: float = Field(default=0.6, gt=0, le=1)
    parties: Literal["pair", "actor"] = Field(
        default="pair",
        description="pair: the sentence (or the one before) names both actors of a pair; actor: one",
    )
    hedges: bool = Field(default=True, description="drop matches preceded by 'could', 'denied' ...")
    hedge_sets: list[str] = Field(
        default=[], description="names of [hedge_sets.NAME] whose patterns also undo a trigger of this type"
    )
    requires: list[str] = Field(default=[], description="patterns the sentence must also match (any)")
    between: list[str] = Field(
        default=[],
        description="actors it happens between: one does it to another (who acts and on whom, where the "
        "sentence names them, must be two of these)",
    )

    @field_validator("patterns", "requires", "more")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        return _compile_all(value)


class HedgeSet(Strict):
    """Patterns that undo a trigger of the event types that name the set (``hedge_sets``)."""

    before: list[str] = Field(default=[], description="right before the trigger ('violates UN')")
    after: list[str] = Field(
        default=[],
        description="on the rest of the trigger's clause: a judgement on the thing, not news of it "
        "('... is a clear violation of')",
    )

    @field_validator("before", "after")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        return _compile_all(value)


class CaseRules(Strict):
    """How detention reports become case steps."""

    events: list[str] = Field(default=["detention", "release", "consular_access"])
    statuses: dict[str, list[str]] = Field(
        default={}, description="status -> patterns, most specific first (first match wins)"
    )
    charges: dict[str, list[str]] = {}
    roles: list[str] = Field(default=[], description="words before a detainee's name: pastor, citizen ...")
    officials: list[str] = Field(
        default=[], description="words before an official's name (spokeswoman, ambassador): never a detainee"
    )
    clause_breaks: list[str] = Field(
        default=[],
        description="patterns that end a clause (said, according to ...): a detainee and the verb of "
        "their step stand on the same side of one",
    )
    review_after_days: int = Field(
        default=60,
        description="a sentence this soon after the detention, with no charge or trial, is reviewed",
    )

    @field_validator("clause_breaks")
    @classmethod
    def _breaks_compile(cls, value: list[str]) -> list[str]:
        return _compile_all(value)

    @field_validator("statuses", "charges")
    @classmethod
    def _compiles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in value.values():
            _compile_all(patterns)
        return value


class TopicConfig(Strict):
    name: str
    on_topic_threshold: float = Field(default=0.5, gt=0, le=1)
    main_languages: list[str] = Field(
        default=["en", "ko", "ru"], description="languages whose articles events.*.more is not searched in"
    )
    actors: dict[str, ActorTerms]
    entities: list[EntityDef] = []
    joint: dict[str, list[str]] = Field(
        default={}, description="words that name several actors at once: 'North Korea-Russia', '북러'"
    )
    pairs: list[PairRule] = Field(min_length=1)
    terms: dict[str, float] = {}
    events: dict[str, EventRule] = {}
    hedge_sets: dict[str, HedgeSet] = Field(
        default={}, description="patterns that undo triggers, by name, for the event types naming them"
    )
    generic: list[str] = Field(
        default=[], description="names that say what the subject is, not which story (for stories)"
    )
    background: list[str] = Field(default=[], description="patterns of sentences that recall the past")
    hedges: list[str] = Field(default=[], description="patterns just before a trigger that undo it")
    hedges_after: list[str] = Field(
        default=[], description="patterns just after a trigger that undo it (Korean: '... 수 있다')"
    )
    recalled_after: list[str] = Field(
        default=[],
        description="patterns just after a trigger that make it a recollection (Korean '... 바 있다')",
    )
    recalled: list[str] = Field(
        default=[],
        description="patterns just before a trigger, in its clause, that make it a recollection: "
        "'who was', 'after he was', 'since'",
    )
    lead_sentences: int = Field(
        default=3,
        description="an event type the title and the first sentences never report, found only later "
        "and without a sign of recency, is background (types under lead_types)",
    )
    lead_types: list[str] = Field(default=[], description="event types held to the lead rule")
    cases: CaseRules = CaseRules()

    @field_validator("background", "hedges", "hedges_after", "recalled", "recalled_after")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        return _compile_all(value)

    @model_validator(mode="after")
    def _actors_known(self) -> TopicConfig:
        for pair in self.pairs:
            for actor in (*pair.actors, *pair.requires):
                if actor not in self.actors:
                    raise ValueError(f"pair names actor {actor!r}, which is not under [actors]")
        for surface, actors in self.joint.items():
            for actor in actors:
                if actor not in self.actors:
                    raise ValueError(f"joint term {surface!r} names actor {actor!r}, not under [actors]")
        for entity in self.entities:
            if entity.actor is not None and entity.actor not in self.actors:
                raise ValueError(f"entity {entity.name!r} names actor {entity.actor!r}, not under [actors]")
        for etype, rule in self.events.items():
            for actor in rule.between:
                if actor not in self.actors:
                    raise ValueError(f"events.{etype}.between names actor {actor!r}, not under [actors]")
            for name in rule.hedge_sets:
                if name not in self.hedge_sets:
                    raise ValueError(f"events.{etype}.hedge_sets names {name!r}, not under [hedge_sets]")
        for etype in self.cases.events:
            if etype not in self.events:
                raise ValueError(f"cases.events names {etype!r}, which is not under [events]")
        return self
