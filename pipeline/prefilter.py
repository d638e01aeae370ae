"""Skip entries that are clearly off the subject before their page is fetched (pure).

For general news feeds (``prefilter = true`` in feeds.toml) most entries are
about something else; fetching and cleaning each page would waste the
publisher's bandwidth and ours. An entry is *clearly* off-topic when neither its
title nor its summary names any actor of the subject (a country, its capital,
its leaders, its nationals, in any language of topic.toml). Anything that names
one goes on to the full relevance scoring; an entry with no text to judge is
kept. Topic feeds (news searches) are not prefiltered at all.
"""

from __future__ import annotations

import html
import re

from config.topic import TopicConfig
from pipeline.models import FeedEntry

_TAGS = re.compile(r"<[^>]+>")
_compiled: dict[int, tuple[TopicConfig, re.Pattern[str]]] = {}


def _term(term: str) -> str:
    body = re.escape(term.strip()).replace(r"\ ", r"\s+")
    # whole words for Latin script; a prefix elsewhere (Korean particles, Russian case endings)
    return rf"(?<!\w){body}(?!\w)" if all(ord(ch) < 0x250 for ch in term) else rf"(?<!\w){body}"


def topic_pattern(topic: TopicConfig) -> re.Pattern[str]:
    """One regex naming every actor of the subject's pairs (terms and nationality words)."""
    cached = _compiled.get(id(topic))
    if cached is not None and cached[0] is topic:
        return cached[1]
    names = {a for pair in topic.pairs for a in pair.actors} or set(topic.actors)
    terms: set[str] = set()
    for name in names:
        actor = topic.actors.get(name)
        if actor is not None:
            terms.update(t for t in (*actor.terms, *actor.nationality) if t.strip())
    pattern = re.compile("|".join(_term(t) for t in sorted(terms, key=len, reverse=True)) or r"(?!)", re.I)
    _compiled[id(topic)] = (topic, pattern)
    return pattern


def entry_text(entry: FeedEntry) -> str:
    text = " ".join(part for part in (entry.title, entry.summary) if part)
    return html.unescape(_TAGS.sub(" ", text))


def is_clearly_off_topic(entry: FeedEntry, topic: TopicConfig) -> bool:
    """True when the entry's title and summary name no actor of the subject at all."""
    text = entry_text(entry)
    if not text.strip():
        return False
    return topic_pattern(topic).search(text) is None
