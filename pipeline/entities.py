"""Text -> named entities: people, organizations, places and countries, each under one canonical name.

Pure. Everything known by name comes from ``topic.toml``: the actors' own names and
their nationals' ("South Korean", "한국인"), and ``[[entities]]`` with their aliases in
every script. One compiled alternation finds them all in one pass; where two
candidates overlap the longer wins ("Russian Foreign Ministry" over "Russian").

People not in the topic are found by a few patterns ("a national surnamed Jung",
"pastor Kim Min-su", Korean-style "Kim Hong-kyun"). A name that the topic does not
know but that romanizes like a known one (a wire's "Paek Won-sun" for Baek
Won-soon) links to the known entity through ``skeleton``; a bare surname links to
the known person with that surname.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from config.topic import TopicConfig
from pipeline.models import Entity, EntityType

_LATIN = re.compile(r"^[\x00-\u024f]+$")


def fold(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-")


_ROMAN_PAIRS = (
    ("ae", "e"), ("ai", "e"), ("eo", "o"), ("oo", "u"), ("ou", "u"), ("wo", "o"), ("ee", "i"),
    ("yu", "u"), ("ch", "j"), ("sh", "s"), ("ph", "p"),
)  # fmt: skip
_ROMAN_CONSONANTS = str.maketrans("ptkr", "bdgl")


_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b w g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
_HANGUL_INITIAL = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_HANGUL_VOWEL = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_HANGUL_FINAL = "- k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()


def romanize(text: str) -> str:
    """Hangul (Revised Romanization, syllable by syllable) and Cyrillic in Latin letters; the rest as is."""
    out = []
    for ch in text.casefold():
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            parts = (
                _HANGUL_INITIAL[code // 588],
                _HANGUL_VOWEL[(code % 588) // 28],
                _HANGUL_FINAL[code % 28],
            )
            out.append("".join(p for p in parts if p != "-") + " ")
        elif ch in _CYRILLIC:
            out.append(_CYRILLIC[ch].strip("-"))
        else:
            out.append(ch)
    return "".join(out)


# Korean surnames as they are usually written in Latin letters (Revised Romanization gives "Bak", "I")
KOREAN_SURNAMES = dict(
    zip(
        "김이박최정강조윤장임한오서신권황안송류홍백전고문손양배",
        "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Ryu Hong Baek "
        "Jeon Ko Moon Son Yang Bae".split(),
        strict=True,
    )
)


def latin_surname(surname: str) -> str:
    """A Hangul surname in its usual Latin spelling (박 -> Park), else as it is."""
    return KOREAN_SURNAMES.get(surname, surname)


def skeleton(name: str) -> str:
    """A romanization-proof key: Baek Won-soon, Paek Won-sun, Paik Wonsoon, 백원순, Пэк Вон Сун share one."""
    s = re.sub(r"[^a-z]", "", romanize(name))
    for a, b in _ROMAN_PAIRS:
        s = s.replace(a, b)
    s = s.translate(_ROMAN_CONSONANTS)
    return re.sub(r"(.)\1+", r"\1", s)


@dataclass(frozen=True)
class Known:
    """An entity the topic knows, or an actor (country) of the subject."""

    id: str
    name: str
    type: EntityType
    actor: str | None
    surname: str | None = None
    official: bool = False  # speaks or acts for a state: never a detainee
    listed: bool = False  # named in the topic, with whatever nationality it gives (none: not the subject's)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    entity: Known
    nationality: bool = False  # "South Korean": a national of the actor, not the actor itself
    surname_only: bool = False
    also: tuple[Known, ...] = ()  # the other actors a joint word names ("북러": Russia too)

    @property
    def actors(self) -> set[str]:
        return {e.actor for e in (self.entity, *self.also) if e.actor}


_WORD = re.compile(r"\w+")
PREFIX_KEY = 2


# scripts written without spaces between words (Han, kana, Thai): their names match anywhere in a run
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class SurfaceIndex:
    """Surfaces by their first word: Latin ones match whole words, others as prefixes (Korean
    particles and Russian endings follow them), and those of scripts without spaces (Chinese,
    Japanese, Thai) at any character. The text's words that begin some surface are found with set
    operations, and only where those stand is read: far cheaper than one alternation of every surface
    (measured by benchmarks/events.py), and than a lookup per word of the text."""

    def __init__(self, surfaces: list[str]) -> None:
        self.latin: dict[str, list[str]] = defaultdict(list)
        self.prefixes: dict[str, list[str]] = defaultdict(list)
        self.unspaced: dict[str, list[str]] = defaultdict(list)
        for surface in sorted({fold(x) for x in surfaces}, key=len, reverse=True):
            first = _WORD.match(surface)
            if first is None:
                continue
            if _LATIN.match(surface):
                self.latin[first.group(0)].append(surface)
            elif _UNSPACED.match(surface):
                self.unspaced[surface[0]].append(surface)
            else:
                self.prefixes[first.group(0)[:PREFIX_KEY]].append(surface)
        self._latin_keys = frozenset(self.latin)
        self._prefix_keys = frozenset(self.prefixes)
        self._prefix_first = frozenset(key[0] for key in self.prefixes)
        self._unspaced_first = (
            re.compile("[" + re.escape("".join(self.unspaced)) + "]") if self.unspaced else None
        )

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, folded surface) of every surface starting at a word start, the longest there."""
        low = text.replace("’", "'").casefold()
        if len(low) != len(text):  # a character whose case folding changes its length (İ, ß): fold per char
            low = "".join(_fold_char(c) for c in text.replace("’", "'"))
        found = []
        latin, prefixes, prefix_first = self.latin, self.prefixes, self._prefix_first
        # the words that begin a surface, found by set operations; then only where they stand is read
        words = set(_WORD.findall(low))
        keys = [_whole_word(k) for k in self._latin_keys.intersection(words)]
        heads = {w[:PREFIX_KEY] for w in words if w[0] in prefix_first} & self._prefix_keys
        keys += [_whole_word(k) if len(k) < PREFIX_KEY else _word_start(k) for k in heads]
        starts = {m.start() for key in keys for m in key.finditer(low)}
        for start in sorted(p for p in starts if p == 0 or not (low[p - 1].isalnum() or low[p - 1] == "_")):
            token = _WORD.match(low, start).group(0)  # type: ignore[union-attr]  # a word starts here
            for surface in latin.get(token, ()):
                end = start + len(surface)
                if low.startswith(surface, start) and not (
                    end < len(low) and (low[end].isalnum() or low[end] == "_")
                ):
                    found.append((start, end, surface))
                    break
            if token[0] in prefix_first:  # most words start with no prefix surface's letter
                for surface in prefixes.get(token[:PREFIX_KEY], ()):
                    if low.startswith(surface, start):
                        found.append((start, start + len(surface), surface))
                        break
        if self._unspaced_first is not None:
            for m in self._unspaced_first.finditer(low):
                start = m.start()
                for surface in self.unspaced[low[start]]:
                    if low.startswith(surface, start):
                        found.append((start, start + len(surface), surface))
                        break
            found.sort()
        return found


# Where a word, or a word's first letters, stand in a text: the literal first, so the regex engine
# skips to it; that a word starts there (no letter before) is checked on each match.
@lru_cache(maxsize=8192)
def _whole_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(word)}(?!\w)")


@lru_cache(maxsize=8192)
def _word_start(head: str) -> re.Pattern[str]:
    return re.compile(re.escape(head))


def lowered(text: str) -> str:
    """The text in lower case, character for character (positions in it are positions in the text):
    what patterns written in lower case search, instead of IGNORECASE, which is several times slower."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower()[0] for c in text)  # İ -> i, as re does


@lru_cache(maxsize=1024)
def _fold_char(c: str) -> str:
    """One character case-folded to one character: Turkish İ to i, a letter whose folding is longer
    (ß) kept, so that positions in the folded text are positions in the text."""
    folded = c.casefold()
    if len(folded) == 1:
        return folded
    base = unicodedata.normalize("NFD", c)[0].casefold()
    return base if len(base) == 1 else c


@dataclass(frozen=True)
class Lexicon:
    index: SurfaceIndex
    table: dict[str, tuple[Known, bool]]  # folded surface -> (entity, is a nationality word)
    joint: dict[str, tuple[Known, ...]]
    by_skeleton: dict[str, Known]
    by_surname: dict[str, Known]
    roles: re.Pattern[str] | None  # searched in ``lowered`` text


def build_lexicon(topic: TopicConfig) -> Lexicon:
    table: dict[str, tuple[Known, bool]] = {}
    countries = {
        key: Known(id=key, name=actor.label or key, type="country", actor=key)
        for key, actor in topic.actors.items()
    }
    for key, actor in topic.actors.items():
        for term in actor.terms:
            table.setdefault(fold(term), (countries[key], False))
        for term in actor.nationality:
            table[fold(term)] = (countries[key], True)
    by_skeleton: dict[str, Known] = {}
    by_surname: dict[str, Known] = {}
    for ent in topic.entities:
        known = Known(
            id=slug(ent.name),
            name=ent.name,
            type=ent.type,
            actor=ent.actor,
            surname=ent.surname,
            official=ent.official,
            listed=True,
        )
        for alias in (ent.name, *ent.aliases):
            table[fold(alias)] = (known, False)  # a named entity outranks an actor term of the same text
            if ent.type == "person" and (" " in alias.strip() or not _LATIN.match(alias)):
                by_skeleton[skeleton(alias)] = known
        if ent.surname:
            by_surname[skeleton(ent.surname)] = known
            table.setdefault(fold(ent.surname), (known, False))
    joint: dict[str, tuple[Known, ...]] = {}
    for surface, actors in topic.joint.items():
        joint[fold(surface)] = tuple(countries[a] for a in actors)
        table[fold(surface)] = (countries[actors[0]], False)
    roles = (
        re.compile(r"\b(?:" + "|".join(re.escape(r.lower()) for r in topic.cases.roles) + r")\b")
        if topic.cases.roles
        else None
    )
    return Lexicon(
        index=SurfaceIndex(list(table)),
        table=table,
        joint=joint,
        by_skeleton=by_skeleton,
        by_surname=by_surname,
        roles=roles,
    )


_NAME = r"[A-Z][a-z]+(?:(?: [A-Z]|-[A-Za-z])[a-z]+){1,2}"  # "Kim Min-su", "Lee Sun-gu"; never "Baek was"
_UNKNOWN_PERSON = [
    # "a South Korean national surnamed Jung", "по фамилии Ким"
    (re.compile(r"\b(?:surnamed|family name)\s+([A-Z][a-z]+)"), True, ("surnamed", "family name")),
    (re.compile(r"по фамилии\s+([А-ЯЁ][а-яё]+)"), True, ("по фамилии",)),
    # Korean-style given names: "Kim Hong-kyun", "Park Min-hee"
    (re.compile(r"\b([A-Z][a-z]{1,4} [A-Z][a-z]+-[a-z]+)\b"), False, ("-",)),
    # Korean press style: a surname and 씨 or 모씨 ("백모씨", "백 씨"), a full name and 씨 ("백원순 씨")
    (re.compile(r"(?<![가-힣])([가-힣])\s?(?:모\s?)?씨"), True, ("씨",)),
    (re.compile(r"(?<![가-힣])([가-힣]{3})\s씨"), False, ("씨",)),
]  # (pattern, surname only, the words without one of which it cannot match: a text lacking them is skipped)
_AFTER_ROLE = re.compile(rf"\s+({_NAME})")
_TITLE_PERSON = re.compile(rf"\b(?:Mr|Mrs|Ms|Dr)\.?\s+({_NAME}|[A-Z][a-z]+)")
_TITLE_NEEDLES = ("Mr", "Ms", "Dr")  # a text without one of these has no match ("Mrs" holds "Mr")


# title-case words of a headline that a name pattern would otherwise take for a name
_NOT_NAME_WORDS = frozenset(
    "who whom whose which what when where why how that this these those the a an and or but of in on at to "
    "for from with by as is was were are be been has have had helped says said turns out after before over "
    "under into about against amid".split()
)


def _unknown(text: str, lex: Lexicon) -> list[tuple[int, int, str, bool]]:
    found = []
    for regex, surname_only, needles in _UNKNOWN_PERSON:
        if not any(n in text for n in needles):
            continue
        for m in regex.finditer(text):
            if any(w.casefold() in _NOT_NAME_WORDS for w in re.split(r"[ -]", m.group(1))):
                continue
            found.append((m.start(1), m.end(1), m.group(1), surname_only))
    if any(t in text for t in _TITLE_NEEDLES):
        for m in _TITLE_PERSON.finditer(text):
            found.append((m.start(1), m.end(1), m.group(1), " " not in m.group(1)))
    if lex.roles is not None:
        for m in lex.roles.finditer(lowered(text)):  # roles are written in lower case
            after = _AFTER_ROLE.match(text, m.end())  # at the position: no copy of the rest of the text
            if after and not any(w.casefold() in _NOT_NAME_WORDS for w in re.split(r"[ -]", after.group(1))):
                start = after.start(1)
                found.append((start, start + len(after.group(1)), after.group(1), False))
    return found


NEAR_FROM = 5  # the first letters (a surname and the start of a given name) must agree exactly


def near(a: str, b: str) -> bool:
    """Two skeletons one edit apart late in the name ("Won-soon" and "Won Sung"), both long enough for
    that to be a spelling, not another person (Kim Hong-kyun is not Kim Jong-un)."""
    if a == b:
        return True
    if min(len(a), len(b)) < NEAR_FROM + 2 or abs(len(a) - len(b)) > 1 or a[:NEAR_FROM] != b[:NEAR_FROM]:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(NEAR_FROM, len(long_)))


def _person(name: str, surname_only: bool, lex: Lexicon) -> Known:
    key = skeleton(name)
    if surname_only and key in lex.by_surname:
        return lex.by_surname[key]
    if not surname_only:
        if key in lex.by_skeleton:
            return lex.by_skeleton[key]
        close = {k.id: k for s, k in lex.by_skeleton.items() if near(s, key)}
        if len(close) == 1:  # "Baek Won Sung": one letter from a known name, and no other
            return next(iter(close.values()))
    return Known(id=slug(name), name=name, type="person", actor=None, surname=name if surname_only else None)


def find_mentions(text: str, lex: Lexicon) -> list[Mention]:
    """Every entity mention in ``text``, in order, without overlaps (the longest candidate wins)."""
    candidates: list[Mention] = []
    for start, end, surface in lex.index.find(text):
        hit = lex.table[surface]
        also = lex.joint.get(surface, ())[1:]
        candidates.append(Mention(start, end, text[start:end], hit[0], nationality=hit[1], also=also))
    for start, end, name, surname_only in _unknown(text, lex):
        ent = _person(name, surname_only, lex)
        candidates.append(Mention(start, end, name, ent, surname_only=surname_only))
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Mention] = []
    for cand in candidates:
        if kept and cand.start < kept[-1].end:
            if cand.end - cand.start > kept[-1].end - kept[-1].start:
                kept[-1] = cand
            continue
        kept.append(cand)
    return kept


def collect(mentions: list[Mention]) -> tuple[Entity, ...]:
    """Mentions -> entities, most mentioned first."""
    variants: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, Known] = {}
    for m in mentions:
        for ent in (m.entity, *m.also):
            first.setdefault(ent.id, ent)
            counts[ent.id] += 1
            if m.text not in variants[ent.id]:
                variants[ent.id].append(m.text)
    return tuple(
        Entity(
            id=e.id,
            type=e.type,
            name=e.name,
            variants=tuple(variants[e.id]),
            mentions=counts[e.id],
            actor=e.actor,
        )
        for e in sorted(first.values(), key=lambda e: (-counts[e.id], e.name))
    )
