"""Stories: every report of one happening, from any outlet and in any wording, under one story id.

Pure. Two on-topic articles report the same happening when their dates (as precise as each is
known) fall within a few days of each other and a reader would say so from what they share: a
headline and lead alike, or some specific names (people, places, bodies; not the names that only
say what the subject is) with a lead that overlaps, or, in any language, a specific entity of the
topic with the same kind of event and no disagreeing case step. ``related`` decides it for one
pair, the same whichever article came first; the store links each new article to every earlier
one it is related to and joins their stories (single link), so a backlog gives one partition in
any order, and an article that bridges two stories merges them.

Chosen on the ``dev`` half of the real-news set (benchmarks/realnews.py), measured on ``test``.
A story's title is its best headline: a real sentence of a headline, not a section name or a date.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from config.topic import TopicConfig

SAME_DAYS_S = 36 * 3600  # reports of one happening in other languages: the same day or the next
STORY_WINDOW_S = 4 * 24 * 3600  # reports of one event come within a few days of each other
MAX_KEYS = 20
GENERIC_WEIGHT = 0.1
LEAD_SAME = 0.35  # headline and lead this alike (word overlap): one happening
NAMES_WITH_LEAD = 3.0  # or this much weight of shared names ...
LEAD_WITH_NAMES = 0.15  # ... with a lead that overlaps this much
LEAD_SENTENCES_CHARS = 400  # the lead: the headline and the text's first two long lines, this long at most
LEAD_LINE_WORDS = 6
INDEX_NAMES = 10  # names an article is filed under for later articles to find it

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
    """Capitalized words (Latin and Cyrillic), folded.

    A capitalized word that opens a sentence counts only if it is also capitalized inside one,
    so "Asked" and "Because" are not names and "Baek" is. Hangul has no capitals: any word would
    pass ("한국인", "당국자", "구금됐"), so Korean names come from the entities the article names.
    """
    found: list[tuple[str, bool]] = []
    for pattern in (_LATIN_NAME, _CYRILLIC_NAME):
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 3) : match.start()]
            opening = bool(_SENTENCE_START.search(before))
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


def _span(at: datetime, precision: str) -> tuple[float, float]:
    """The stretch of time a date covers: a day's date its moment, a month's or a year's all of it."""
    start = at.timestamp()
    if precision == "month":
        end = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=at.tzinfo).timestamp()
    elif precision == "year":
        end = datetime(at.year + 1, 1, 1, tzinfo=at.tzinfo).timestamp()
    else:
        end = start
    return start, end


def story_window(at: datetime, precision: str = "day") -> tuple[float, float]:
    """The span (epoch seconds) in which an article looks for its story: STORY_WINDOW_S either side
    of its date, and of its whole month or year when its date is only that precise (a month-precise
    date matches any day of that month)."""
    start, end = _span(at, precision)
    return start - STORY_WINDOW_S, end + STORY_WINDOW_S


def _jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


_WORDS = re.compile(r"\w+")


def lead_words(title: str | None, text: str) -> frozenset[str]:
    """What a reader compares first: the headline and the lead, as word stems."""
    lines = [line for line in text.splitlines() if len(line.split()) >= LEAD_LINE_WORDS]
    lead = f"{title or ''} {' '.join(lines[:2])[:LEAD_SENTENCES_CHARS]}"
    words = (w.casefold() for w in _WORDS.findall(lead))
    return frozenset(w[:6] for w in words if len(w) >= 3 and w not in STOPWORDS and not w.isdigit())


@dataclass(frozen=True)
class StoryProfile:
    """What the story decision compares, for one article (kept in the store for later articles)."""

    keys: dict[str, float]
    lead: frozenset[str]
    entities: frozenset[str]
    events: frozenset[str]
    statuses: frozenset[str]
    at: float | None = None  # publication time, epoch seconds; None: the article gives no date
    precision: str = "day"
    story: str | None = None  # the story it was filed under
    parties: frozenset[str] = frozenset()  # every person and body named, the generic ones too

    def dated(self, at: datetime | None, precision: str) -> StoryProfile:
        return replace(self, at=at.timestamp() if at else None, precision=precision)

    def to_json(self) -> str:
        return json.dumps(
            {
                "k": self.keys,
                "l": sorted(self.lead),
                "e": sorted(self.entities),
                "v": sorted(self.events),
                "s": sorted(self.statuses),
                "t": self.at,
                "p": self.precision,
                "id": self.story,
                "n": sorted(self.parties),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> StoryProfile:
        d = json.loads(raw)
        return cls(
            keys=d["k"],
            lead=frozenset(d["l"]),
            entities=frozenset(d["e"]),
            events=frozenset(d["v"]),
            statuses=frozenset(d["s"]),
            at=d["t"],
            precision=d["p"],
            story=d.get("id"),
            parties=frozenset(d.get("n", ())),
        )

    def index_keys(self) -> list[str]:
        """Where later articles look for it: its most telling specific names (not the ones that only
        say what the subject is) and its specific entities."""
        names = sorted((k for k, w in self.keys.items() if w >= 1.0), key=lambda k: (-self.keys[k], k))
        keys = [*names[:INDEX_NAMES], *(f"e:{e}" for e in sorted(self.entities | self.parties))]
        return list(dict.fromkeys(keys))


def story_profile(
    text: str,
    title: str | None,
    topic: TopicConfig,
    *,
    entities: Iterable[tuple[str, str, str]] = (),
    events: Iterable[tuple[str, str | None]] = (),
    outlet: str = "",
) -> StoryProfile:
    """An article's profile: ``entities`` as (id, type, name), ``events`` as (type, case status)."""
    generic = generic_names(topic)
    ents = list(entities)
    specific = frozenset(
        eid
        for eid, etype, name in ents
        if etype != "country" and not {fold(w) for w in re.findall(r"[\w'’]+", name)} & generic
    )
    evs = list(events)
    return StoryProfile(
        keys=story_keys(text, title, topic, outlet=outlet).weights,
        lead=lead_words(title, text),
        entities=specific,
        events=frozenset(t for t, _ in evs),
        statuses=frozenset(s for _, s in evs if s),
        parties=frozenset(eid for eid, etype, _ in ents if etype in ("person", "organization")),
    )


def close_in_time(a: StoryProfile, b: StoryProfile) -> bool:
    """Whether the stretches two dates cover (see ``story_window``) come within STORY_WINDOW_S."""
    if a.at is None or b.at is None:
        return True
    a_lo, a_hi = _span(datetime.fromtimestamp(a.at, UTC), a.precision)
    b_lo, b_hi = _span(datetime.fromtimestamp(b.at, UTC), b.precision)
    return max(a_lo, b_lo) - min(a_hi, b_hi) <= STORY_WINDOW_S


def related(a: StoryProfile, b: StoryProfile) -> bool:
    """Whether two articles report one happening; symmetric, so the order they come in does not matter."""
    dated = a.at is not None and b.at is not None
    if not close_in_time(a, b):
        return False
    lead = _jaccard(a.lead, b.lead)
    if lead >= LEAD_SAME:
        return True
    names = sum(min(w, b.keys[k]) for k, w in a.keys.items() if k in b.keys)
    if names >= NAMES_WITH_LEAD and lead >= LEAD_WITH_NAMES:
        return True
    # across languages: a specific entity, the same kind of event, no step that disagrees (dated only);
    # or, reported the same day or the next, the same person or body doing the same kinds of thing
    agree = (
        dated
        and bool(a.events)
        and _jaccard(a.events, b.events) >= 0.5
        and (not (a.statuses or b.statuses) or _jaccard(a.statuses, b.statuses) >= 0.5)
    )
    if agree and a.entities & b.entities:
        return True
    same_days = a.precision == b.precision == "day" and abs((a.at or 0) - (b.at or 0)) <= SAME_DAYS_S
    return agree and same_days and bool(a.parties & b.parties) and a.events == b.events


_DATE_ONLY = re.compile(r"^[\W\d_]*(?:\d{1,2}\s+\w+\s+\d{4}|\w+\s+\d{1,2},?\s+\d{4})[\W\d_:]*$")


def headline_ok(title: str | None) -> bool:
    """A headline a reader can use: a few words, not a section name ("WORLD"), not a date."""
    if not title:
        return False
    words = title.split()
    letters = [c for c in title if c.isalpha()]
    if len(words) < 4 and not any("\uac00" <= c <= "\ud7a3" or "\u4e00" <= c <= "\u9fff" for c in title):
        return False
    if letters and all(c.isupper() for c in letters) and len(words) < 6:
        return False
    return not _DATE_ONLY.match(title)
