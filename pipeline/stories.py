"""Stories: every report of one event, from any outlet and in any wording, under one story id.

Pure. An article is described by its *story keys*: the names it gives (people,
places, organizations), folded so that "Baek", "Baek's" and "BAEK" agree and
Russian case endings do not split a name. Names that merely say what the subject
is (the topic's actors: Russia, Seoul, Putin ...) and role words (Ministry,
Ambassador ...) weigh little; specific names weigh a lot, and less the more
stories share them. The store finds the stories that share keys with the article
within a few days (through one sorted set per key, never a scan) and
``assign`` joins the best one when the shared weight is high enough.

Calibrated on the seed fixtures (tests/pipeline/test_stories.py): two reports of
one arrest share the detainee's name and the places (score 3-6), two different
diplomatic rows involving the same officials share one or two names (score < 2).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from config.topic import TopicConfig

STORY_WINDOW_S = 4 * 24 * 3600  # reports of one event come within a few days of each other
MIN_SCORE = 3.0
MIN_SHARED = 3
MAX_KEYS = 20
GENERIC_WEIGHT = 0.1

# Capitalized words that are roles, institutions, calendar or sentence furniture, not names.
STOPWORDS = frozenset(
    """
    a an the and or but if in on at of for to from by with as is are was were be been it its he she they
    his her their this that these those there here when where while after before since during about
    according also however meanwhile monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december mr mrs ms dr
    ministry minister foreign affairs deputy ambassador embassy spokeswoman spokesman spokesperson
    president prime government court council security state national news agency office department
    committee service federal republic people parliament assembly party army navy military defense
    defence chief head senior official officials director general first second third new last
    photo file staff writer reporter editor correspondent reuters afp ap yonhap related stories
    """.split()
)
_LATIN_NAME = re.compile(r"\b[A-Z][A-Za-z]+(?:[-'’][A-Za-z]+)*(?:\s+[A-Z][A-Za-z]+(?:[-'’][A-Za-z]+)*)*")
_CYRILLIC_NAME = re.compile(r"\b[А-ЯЁ][а-яё]+(?:-[А-ЯЁа-яё]+)*")
_HANGUL = re.compile(r"[\uac00-\ud7a3]{2,}")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """One form per name: case folded, possessive dropped, Cyrillic and Hangul cut to a stem."""
    word = word.casefold().replace("’", "'")
    word = word.removesuffix("'s")
    if re.match(r"[а-яё]", word):
        return word[:5]  # Захарова, Захаровой, Захаровую -> захар
    if re.match(r"[\uac00-\ud7a3]", word):
        return word[:3]  # particles follow the name: 백원순은, 백원순씨 -> 백원순
    return word


@dataclass(frozen=True)
class StoryKeys:
    """Folded names of an article, with their weights."""

    weights: dict[str, float]

    def __bool__(self) -> bool:
        return bool(self.weights)


def generic_names(topic: TopicConfig) -> frozenset[str]:
    """Names that say what the subject is, not which story: the topic's ``generic`` list, actor labels."""
    words: set[str] = set()
    for term in [*topic.generic, *(actor.label for actor in topic.actors.values())]:
        words.update(fold(w) for w in re.findall(r"[\w'’]+", term))
    return frozenset(words)


_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”«»()\n]\s*)$")


def _names(text: str) -> list[str]:
    """Capitalized words and Hangul words, folded.

    A capitalized word that opens a sentence counts only if it is also capitalized inside one,
    so "Asked" and "Because" are not names and "Baek" is.
    """
    found: list[tuple[str, bool]] = []
    for pattern in (_LATIN_NAME, _CYRILLIC_NAME, _HANGUL):
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 3) : match.start()]
            opening = pattern is not _HANGUL and bool(_SENTENCE_START.search(before))
            # "Baek Won-soon" gives "baek" and "won-soon": a Korean given name is one word with a hyphen
            parts = match.group(0).split()
            found.extend((fold(part), opening and i == 0) for i, part in enumerate(parts))
    inside = {key for key, opening in found if not opening}
    return [key for key, opening in found if not opening or key in inside]


def story_keys(text: str, title: str | None, topic: TopicConfig, *, outlet: str = "") -> StoryKeys:
    """The names an article gives, weighted: specific names 1 (more when repeated), generic ones 0.1.

    The outlet's own name is left out: it is on every article of that outlet, whatever the story.
    """
    generic = generic_names(topic)
    own = {fold(w) for w in re.findall(r"[\w'’]+", outlet)}
    counts: Counter[str] = Counter()
    for source, factor in ((title or "", 2), (text, 1)):
        for key in _names(source):
            if len(key) >= 3 and key not in STOPWORDS and key not in own:
                counts[key] += factor
    weights = {
        key: (GENERIC_WEIGHT if key in generic else 1.0) * (1 + 0.25 * math.log(n))
        for key, n in counts.items()
    }
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_KEYS]
    return StoryKeys(weights=dict(top))


def story_window(at: datetime, precision: str = "day") -> tuple[float, float]:
    """The span (epoch seconds) in which an article looks for its story: STORY_WINDOW_S either side
    of its date, and of its whole month or year when its date is only that precise (a month-precise
    date matches any day of that month)."""
    start = at.timestamp()
    if precision == "month":
        end = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=at.tzinfo).timestamp()
    elif precision == "year":
        end = datetime(at.year + 1, 1, 1, tzinfo=at.tzinfo).timestamp()
    else:
        end = start
    return start - STORY_WINDOW_S, end + STORY_WINDOW_S


def idf(stories_with_key: int) -> float:
    """A name shared by many stories in the window says little about which one this is."""
    return 1.0 / (1.0 + math.log1p(max(0, stories_with_key - 1)))


def assign(keys: StoryKeys, hits: dict[str, list[str]], df: dict[str, int]) -> tuple[str | None, float]:
    """The story to join, and its score: ``hits`` maps each key to the stories in the window having it."""
    scores: dict[str, float] = {}
    shared: Counter[str] = Counter()
    for key, stories in hits.items():
        weight = keys.weights.get(key, 0.0) * idf(df.get(key, len(stories)))
        for story in stories:
            scores[story] = scores.get(story, 0.0) + weight
            if weight >= 0.5:
                shared[story] += 1
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    for story, score in best:
        if score >= MIN_SCORE and shared[story] >= MIN_SHARED:
            return story, round(score, 3)
    return None, round(best[0][1], 3) if best else 0.0
