"""Article -> Enrichment: is it about the subject, whom it names, what it reports, which cases.

Everything the stage knows about the subject comes from ``topic.toml`` (actors
with their names in every language, named entities, actor pairs, weighted terms,
event patterns, case rules); nothing about any country is written here.

Relevance asks whether the article keeps naming both actors of a pair *together*:
strength = sentences naming both (the title counts twice) + 0.25 x the rarer
actor's mentions + 1 per event type reported between them + 2 x the share of
sentences naming both (so a short article is judged by its density); relevance = pair weight
x (1 - exp(-strength / 2)) x (0.7 + 0.3 x term strength). One sentence naming
South Korea in a story about someone else stays below the threshold; a pair with
``requires`` (Russia–North Korea, as it touches Seoul) counts only when the
article names the required actor at least twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from config.topic import TopicConfig
from pipeline.cases import case_ids
from pipeline.entities import (
    Lexicon,
    Mention,
    SurfaceIndex,
    build_lexicon,
    collect,
    find_mentions,
    fold,
    lowered,
)
from pipeline.events import (
    RECENT,
    YEAR,
    CompiledEvents,
    Found,
    compile_events,
    extract,
    split_sentences,
)
from pipeline.models import Article, Enrichment

CO_SCALE = 2.0  # strength at which a pair's score reaches 1 - 1/e
TERM_SCALE = 3.0  # weighted term count at which term strength reaches 1 - 1/e
TITLE_WEIGHT = 2
REQUIRED_MENTIONS = 2
DENSITY_WEIGHT = 2.0  # a short article naming the pair together in most sentences is about it


@dataclass(frozen=True)
class CompiledTopic:
    topic: TopicConfig
    lexicon: Lexicon
    events: CompiledEvents
    terms: SurfaceIndex
    term_of: dict[str, str]  # folded surface -> the term


_compiled: dict[int, CompiledTopic] = {}


def compile_topic(topic: TopicConfig) -> CompiledTopic:
    """The topic's regular expressions, compiled once per topic object."""
    cached = _compiled.get(id(topic))
    if cached is not None and cached.topic is topic:
        return cached
    compiled = CompiledTopic(
        topic=topic,
        lexicon=build_lexicon(topic),
        events=compile_events(topic),
        terms=SurfaceIndex(list(topic.terms)),
        term_of={fold(t): t for t in topic.terms},
    )
    if len(_compiled) > 16:
        _compiled.clear()
    _compiled[id(topic)] = compiled
    return compiled


def sentences(text: str) -> list[str]:
    return [s.text.strip() for s in split_sentences(text)]


def _saturate(value: float, scale: float) -> float:
    return 1.0 - math.exp(-value / scale)


def _by_sentence(starts: list[int], mentions: list[Mention], length: int) -> list[list[Mention]]:
    out: list[list[Mention]] = [[] for _ in starts]
    bounds = [*starts[1:], length + 1]
    i = 0
    for m in mentions:
        while i < len(starts) and m.start >= bounds[i]:
            i += 1
        if i < len(starts) and m.start >= starts[i]:
            out[i].append(m)
    return out


def lead_rule(found: list[Found], title: str, topic: TopicConfig, compiled: CompiledTopic) -> list[Found]:
    """News comes first: an event type (of ``lead_types``) that neither the title nor the first
    ``lead_sentences`` sentences report, found only further down without a sign of recency, is what
    the article recalls (a detention story's "after Seoul joined Western sanctions"), not its news."""
    held = set(topic.lead_types)
    in_lead = {f.event.type for f in found if not f.event.background and f.sentence < topic.lead_sentences}
    low_title = lowered(title)
    in_title = {
        t
        for t, groups in compiled.events.by_script.items()
        if title and any(r.search(low_title) for r in groups.values())
    }
    out = []
    promoted: set[str] = set()
    for f in found:
        e = f.event
        if (
            e.background
            and e.type in in_title - in_lead - promoted
            and f.sentence < topic.lead_sentences
            and not YEAR.search(e.evidence)
        ):
            # the headline reports it and the lead tells it: news, whatever tense the lead uses
            promoted.add(e.type)
            f = replace(
                f,
                event=e.model_copy(
                    update={"background": False, "confidence": min(1.0, round(e.confidence * 2, 2))}
                ),
            )
        elif (
            e.type in held
            and not e.background
            and e.type not in in_lead | in_title
            and not RECENT.search(e.evidence)
        ):
            f = replace(
                f, event=e.model_copy(update={"background": True, "confidence": round(e.confidence / 2, 2)})
            )
        out.append(f)
    return out


def enrich(article: Article, topic: TopicConfig) -> Enrichment:
    compiled = compile_topic(topic)
    text, title = article.text, article.title or ""
    mentions = find_mentions(text, compiled.lexicon)
    title_mentions = find_mentions(title, compiled.lexicon) if title else []
    sents = split_sentences(text)
    per_sentence = _by_sentence([s.start for s in sents], mentions, len(text))
    found = lead_rule(
        extract(
            sents,
            per_sentence,
            topic,
            compiled.events,
            article.published_at,
            article.published_precision,
            article.language,
        ),
        title,
        topic,
        compiled,
    )
    reported = [f for f in found if not f.event.background]

    counts: dict[str, int] = dict.fromkeys(topic.actors, 0)
    for m in mentions:
        for actor in m.actors:
            counts[actor] += 1
    title_actors = {a for m in title_mentions for a in m.actors}
    for actor in title_actors:
        counts[actor] += TITLE_WEIGHT
    sentence_actors = [{a for m in ms for a in m.actors} for ms in per_sentence]

    best_score, best_reason = 0.0, "no pair of the subject's actors is named"
    for pair in topic.pairs:
        a, b = pair.actors
        if any(counts[r] < REQUIRED_MENTIONS for r in pair.requires):
            continue
        in_body = sum(1 for acts in sentence_actors if a in acts and b in acts)
        together = in_body + TITLE_WEIGHT * (a in title_actors and b in title_actors)
        pair_set = frozenset(pair.actors)
        event_types = sorted({f.event.type for f in reported if f.pair == pair_set})
        density = DENSITY_WEIGHT * in_body / max(1, len(sents))
        strength = together + 0.25 * min(counts[a], counts[b]) + len(event_types) + density
        score = pair.weight * _saturate(strength, CO_SCALE)
        if score > best_score:
            la, lb = (topic.actors[x].label or x for x in pair.actors)
            best_score = score
            best_reason = f"{la} and {lb} named together in {together} sentence(s)" + (
                f", reporting {', '.join(event_types)}" if event_types else ""
            )

    terms: dict[str, int] = {}
    for source, factor in ((text, 1), (title, TITLE_WEIGHT)):
        for _start, _end, surface in compiled.terms.find(source):
            term = compiled.term_of[surface]
            terms[term] = terms.get(term, 0) + factor
    weighted = sum(topic.terms[t] * n for t, n in terms.items())
    relevance = round(best_score * (0.7 + 0.3 * _saturate(weighted, TERM_SCALE)), 3)
    on_topic = relevance >= topic.on_topic_threshold
    verdict = "on topic" if on_topic else "off topic"
    sign = ">=" if on_topic else "<"
    reason = f"{verdict} ({relevance:.2f} {sign} {topic.on_topic_threshold:.2f}): {best_reason}"
    events = tuple(f.event for f in reported)
    return Enrichment(
        relevance=relevance,
        on_topic=on_topic,
        relevance_reason=reason,
        events=events,
        mentions=tuple(f.event for f in found if f.event.background),
        entities=collect(title_mentions + mentions),
        case_ids=case_ids(events),
        terms=terms,
    )
