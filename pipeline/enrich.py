"""Article -> Enrichment: how much it is about the subject, and which events it reports.

Everything the scorer knows about the subject comes from ``topic.toml``
(actors with their names in every language, actor pairs, weighted terms,
event patterns); nothing about any country is written here.

Relevance = pair strength x (0.6 + 0.4 x term strength), where pair strength
saturates with the smaller mention count of the two actors of a pair (so one
passing mention of a country is weak evidence) and term strength saturates
with the weighted count of subject terms. The title counts twice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from config.schema import TopicConfig
from pipeline.models import Article, Enrichment, Event

PAIR_SCALE = 2.5  # mentions of the rarer actor at which pair strength reaches 1 - 1/e
TERM_SCALE = 3.0  # weighted term count at which term strength reaches 1 - 1/e
TITLE_WEIGHT = 2

_SENTENCE_END = re.compile(r"(?<=[.!?。])[\"'”’»)]*\s+|\n+")


def _term_regex(terms: list[str]) -> re.Pattern[str]:
    """Whole words for Latin-script terms; a prefix for others (Korean particles, Russian endings)."""
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        body = re.escape(term).replace(r"\ ", r"\s+")
        latin = all(ord(ch) < 0x250 for ch in term)
        parts.append(rf"(?<!\w){body}(?!\w)" if latin else rf"(?<!\w){body}")
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class CompiledTopic:
    topic: TopicConfig
    actors: dict[str, re.Pattern[str]]
    terms: list[tuple[str, float, re.Pattern[str]]]
    events: dict[str, tuple[float, list[re.Pattern[str]]]]


_compiled: dict[int, CompiledTopic] = {}


def compile_topic(topic: TopicConfig) -> CompiledTopic:
    """The topic's regular expressions, compiled once per topic object."""
    cached = _compiled.get(id(topic))
    if cached is not None and cached.topic is topic:
        return cached
    compiled = CompiledTopic(
        topic=topic,
        actors={name: _term_regex(actor.terms) for name, actor in topic.actors.items()},
        terms=[(term, weight, _term_regex([term])) for term, weight in topic.terms.items()],
        events={
            etype: (rule.confidence, [re.compile(p, re.IGNORECASE) for p in rule.patterns])
            for etype, rule in topic.events.items()
        },
    )
    if len(_compiled) > 16:
        _compiled.clear()
    _compiled[id(topic)] = compiled
    return compiled


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and len(s.strip()) > 3]


def _saturate(value: float, scale: float) -> float:
    return 1.0 - math.exp(-value / scale)


def enrich(article: Article, topic: TopicConfig) -> Enrichment:
    compiled = compile_topic(topic)
    title = article.title or ""
    counts: dict[str, int] = {}
    for name, regex in compiled.actors.items():
        counts[name] = len(regex.findall(article.text)) + TITLE_WEIGHT * len(regex.findall(title))

    best_pair, best_score = None, 0.0
    for pair in topic.pairs:
        a, b = pair.actors
        score = pair.weight * _saturate(min(counts[a], counts[b]), PAIR_SCALE)
        if score > best_score:
            best_pair, best_score = pair, score

    found: dict[str, int] = {}
    weighted = 0.0
    for term, weight, regex in compiled.terms:
        n = len(regex.findall(article.text)) + TITLE_WEIGHT * len(regex.findall(title))
        if n:
            found[term] = n
            weighted += weight * n
    relevance = round(best_score * (0.6 + 0.4 * _saturate(weighted, TERM_SCALE)), 3)
    on_topic = relevance >= topic.on_topic_threshold

    mentioned = ", ".join(
        f"{topic.actors[name].label or name} ×{n}"
        for name, n in sorted(counts.items(), key=lambda kv: -kv[1])
        if n
    )
    top_terms = ", ".join(sorted(found, key=lambda t: -found[t])[:5])
    pair_label = (
        " and ".join(topic.actors[a].label or a for a in best_pair.actors) if best_pair else "no pair"
    )
    reason = (
        f"{'on' if on_topic else 'off'} topic ({relevance:.2f} vs {topic.on_topic_threshold:.2f}): "
        f"strongest pair {pair_label}; mentions {mentioned or 'none'}; terms {top_terms or 'none'}"
    )

    events: list[Event] = []
    if any(counts.values()):
        for etype, (confidence, patterns) in compiled.events.items():
            for sentence in sentences(article.text):
                if any(p.search(sentence) for p in patterns):
                    events.append(Event(type=etype, evidence=sentence[:500], confidence=confidence))
                    break
    return Enrichment(
        relevance=relevance, on_topic=on_topic, relevance_reason=reason, events=tuple(events), terms=found
    )
