"""Sentences -> events: who did what to whom, where and when, with the sentence that says so.

Pure. An event is found in one sentence: a trigger pattern of its type
(``[events.TYPE]`` in topic.toml) that no hedge undoes ("could impose sanctions",
"denied detaining"), in a sentence that, with at most the sentence before it in the
same paragraph (for "He was arrested ..."), names both actors of a subject pair
(``parties = "pair"``) or one (``"actor"``). Its actor, target, place and date come
from that window only, never from elsewhere in the article: the weakness of
dictionary coders that GDELT's users report is exactly events stitched from
unrelated sentences.

A sentence that recalls the past (a cue from ``background`` in topic.toml, such as
"such as" or "last year", or a year before the publication year with no sign of
recency) gives a *mention* (``background=True``), not a reported event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config.topic import TopicConfig
from pipeline.entities import Mention, latin_surname, lowered, skeleton, slug
from pipeline.models import Event

_SENTENCE_END = re.compile(r"(?<=[.!?。])[\"'”’»)]*\s+(?=[\"'“‘«(]?[A-ZА-ЯЁ\d\uac00-\ud7a3])")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    paragraph: int


def split_sentences(text: str) -> list[Sentence]:
    out: list[Sentence] = []
    offset = 0
    for n, para in enumerate(text.split("\n")):
        pos = 0
        for piece in _SENTENCE_END.split(para):
            at = para.find(piece, pos)
            pos = at + len(piece)
            if len(piece.strip()) > 3:
                out.append(Sentence(piece, offset + at, n))
        offset += len(para) + 1
    return out


# --- dates ------------------------------------------------------------------------------------------------

_MONTHS = {
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    **{m: i + 1 for i, m in enumerate("янв фев мар апр мая июн июл авг сен окт ноя дек".split())},
}
_EN_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_RU_MONTH = (
    r"(январ\w*|феврал\w*|март\w*|апрел\w*|ма[яй]\w*|июн\w*|июл\w*|август\w*|сентябр\w*"
    r"|октябр\w*|ноябр\w*|декабр\w*)"
)
_DATES = [
    (re.compile(rf"\b{_EN_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?"), "md"),
    (re.compile(rf"\b(\d{{1,2}}) {_EN_MONTH}(?: (\d{{4}}))?"), "dm"),
    (re.compile(rf"\b(\d{{1,2}}) {_RU_MONTH}(?: (\d{{4}}))?", re.IGNORECASE), "dm"),
    (re.compile(r"(\d{1,2})월 ?(\d{1,2})일"), "kmd"),
    (re.compile(r"(?<!\d)(\d{1,2})월(?! ?\d)"), "km"),
    (re.compile(r"(?<![\d월])(\d{1,2})일"), "kd"),
    (re.compile(rf"\b(?:in|since|early|late|mid-?) {_EN_MONTH}(?: (\d{{4}}))?"), "m"),
    (re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"), "wd"),
]
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_UNTIL = re.compile(r"(until|till|through|to|до|까지)\s*$", re.IGNORECASE)
_UNTIL_AFTER = re.compile(r"\s*(까지|이내)")
YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
RECENT = re.compile(
    r"\b(today|yesterday|this (week|month|year)|(on )?the same day|later that day"
    r"|on (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b"
    r"|(сегодня|вчера|на этой неделе)|(오늘|어제|이번 주)",
    re.IGNORECASE,
)


def _month(token: str) -> int:
    return _MONTHS.get(token.casefold()[:3], 0)


def event_date(sentence: str, published: date | None, day_known: bool = True) -> str | None:
    """The date a sentence gives for what it reports (not a deadline: "until June 15" is skipped).

    "On Tuesday" and "the 13th" are read against the publication date only when its day is known
    (a month-precise date stands for the whole month, not its first day)."""
    for regex, kind in _DATES:
        if kind in ("wd", "kd") and not day_known:
            continue
        for m in regex.finditer(sentence):
            if _UNTIL.search(sentence[: m.start()][-8:]) or _UNTIL_AFTER.match(sentence[m.end() :]):
                continue
            resolved = _resolve(m, kind, published)
            if resolved:
                return resolved
    return None


def _resolve(m: re.Match[str], kind: str, published: date | None) -> str | None:
    year_default = published.year if published else None
    if kind == "wd":
        if published is None:
            return None
        back = (published.weekday() - _WEEKDAYS.index(m.group(1).lower())) % 7
        return (published - timedelta(days=back)).isoformat()
    if kind == "km":  # "지난 3월": a month of the year the article looks back on
        month = int(m.group(1))
        y = _year_for(month, 1, published) if 1 <= month <= 12 else None
        return f"{y:04d}-{month:02d}" if y else None
    if kind == "m":
        month, year = _month(m.group(1)), m.group(2)
        y = int(year) if year else _year_for(month, 1, published)
        return f"{y:04d}-{month:02d}" if y and month else None
    if kind == "md":
        month, day, year = _month(m.group(1)), int(m.group(2)), m.group(3)
    elif kind == "dm":
        day, month, year = int(m.group(1)), _month(m.group(2)), m.group(3)
    elif kind == "kmd":
        month, day, year = int(m.group(1)), int(m.group(2)), None
    else:  # "13일": a day of the publication's month
        if published is None:
            return None
        month, day, year = published.month, int(m.group(1)), None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    y = int(year) if year else _year_for(month, day, published)
    if y is None and year_default is None:
        return None
    try:
        return date(y or 0, month, day).isoformat()
    except ValueError:
        return None


def _year_for(month: int, day: int, published: date | None) -> int | None:
    """A date without a year is the latest one not well after publication (a report looks back)."""
    if published is None:
        return None
    try:
        candidate = date(published.year, month, min(day, 28))
    except ValueError:
        return published.year
    return published.year - 1 if candidate > published + timedelta(days=180) else published.year


# --- the extractor ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledEvents:
    """The topic's event patterns, compiled in lower case: every one searches the ``lowered``
    sentence (the same matches as IGNORECASE, several times faster), at the sentence's positions."""

    requires: dict[str, list[re.Pattern[str]]]
    background: list[re.Pattern[str]]
    hedges: list[re.Pattern[str]]
    statuses: list[tuple[str, list[re.Pattern[str]]]]
    charges: list[tuple[str, list[re.Pattern[str]]]]
    pairs: list[frozenset[str]]
    # per event type and script: one alternation of the type's patterns written in that script
    by_script: dict[str, dict[str, re.Pattern[str]]]
    by_script_more: dict[str, dict[str, re.Pattern[str]]]
    hedges_after: list[re.Pattern[str]]
    recalled: list[re.Pattern[str]]
    recalled_after: list[re.Pattern[str]]
    between: dict[str, frozenset[str]]
    clause_breaks: re.Pattern[str] | None
    officials: re.Pattern[str] | None
    type_hedges: dict[str, list[re.Pattern[str]]]
    type_after: dict[str, list[re.Pattern[str]]]


SCRIPTS = {
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "hangul": re.compile(r"[\uac00-\ud7a3]"),
    "cjk": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "arabic": re.compile(r"[\u0600-\u06ff]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}


def scripts_of(text: str) -> set[str]:
    """The scripts a text is written in (a pattern in another script cannot match it)."""
    return {name for name, regex in SCRIPTS.items() if regex.search(text)}


def _alternatives(pattern: str) -> list[str]:
    """A pattern that is one group of alternatives, "(a|b|c)", as its alternatives; else itself."""
    if not (pattern.startswith("(") and pattern.endswith(")")) or pattern.startswith("(?"):
        return [pattern]
    depth, parts, start, escaped = 0, [], 1, False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0 and i != len(pattern) - 1:
                return [pattern]  # the first group closes before the end: not one group
        elif ch == "|" and depth == 1:
            parts.append(pattern[start:i])
            start = i + 1
    return [*parts, pattern[start:-1]] if parts else [pattern]


def _lower_pattern(pattern: str) -> str:
    """A pattern for lowered text: its letters in lower case, escapes (\\W, \\B ...) untouched."""
    return re.sub(r"(\\.)|([^\\]+)", lambda m: m.group(1) or m.group(2).lower(), pattern)


def _by_script(patterns: list[str]) -> dict[str, re.Pattern[str]]:
    """A type's patterns grouped by the script of their letters ("any" when they mix scripts), each
    group one alternation: a sentence is searched only by the patterns of its own scripts, once.

    Compiled in lower case, to search ``lowered`` text: the same matches as IGNORECASE at less than
    half its cost in Latin script and a sixth in Cyrillic (measured on the real-news set)."""
    groups: dict[str, list[str]] = {}
    for pattern in (alt for p in patterns for alt in _alternatives(p)):
        # letters outside escapes and classes' shorthand: \w, \b, \s are not Latin words
        letters = re.sub(r"\\[A-Za-z]", "", pattern)
        found = scripts_of(letters)
        key = found.pop() if len(found) == 1 else "any"
        groups.setdefault(key, []).append(pattern)
    return {k: re.compile("|".join(f"(?:{_lower_pattern(p)})" for p in v)) for k, v in groups.items()}


def compile_events(topic: TopicConfig) -> CompiledEvents:
    def c(patterns: list[str]) -> list[re.Pattern[str]]:  # searched in the ``lowered`` sentence
        return [re.compile(_lower_pattern(p)) for p in patterns]

    def hedge_sets(side: str) -> dict[str, list[re.Pattern[str]]]:
        """Per event type, the patterns of one side of the hedge sets it names."""
        return {
            t: c([p for name in r.hedge_sets for p in getattr(topic.hedge_sets[name], side)])
            for t, r in topic.events.items()
            if r.hedge_sets
        }

    return CompiledEvents(
        by_script={t: _by_script(r.patterns) for t, r in topic.events.items()},
        by_script_more={t: _by_script(r.more) for t, r in topic.events.items() if r.more},
        requires={t: c(r.requires) for t, r in topic.events.items()},
        background=c(topic.background),
        hedges=c(topic.hedges),
        statuses=[(s, c(p)) for s, p in topic.cases.statuses.items()],
        charges=[(s, c(p)) for s, p in topic.cases.charges.items()],
        pairs=[frozenset(p.actors) for p in topic.pairs],
        hedges_after=c(topic.hedges_after),
        recalled=c(topic.recalled),
        recalled_after=c(topic.recalled_after),
        between={t: frozenset(r.between) for t, r in topic.events.items() if r.between},
        clause_breaks=re.compile("|".join(f"(?:{_lower_pattern(p)})" for p in topic.cases.clause_breaks))
        if topic.cases.clause_breaks
        else None,
        officials=re.compile(
            r"\b(?:"
            + "|".join(re.escape(w.lower()) for w in topic.cases.officials)
            + r")\b\W*(?:\w+\W+){0,2}$"
        )
        if topic.cases.officials
        else None,
        type_hedges=hedge_sets("before"),
        type_after=hedge_sets("after"),
    )


def clause_of(text: str, at: int, ce: CompiledEvents) -> tuple[int, int]:
    """The span of the clause around ``at``: between the clause breaks (said, according to, ';' ...)."""
    if ce.clause_breaks is None:
        return 0, len(text)
    start, end = 0, len(text)
    for m in ce.clause_breaks.finditer(text):
        if m.end() <= at:
            start = m.end()
        elif m.start() > at:
            end = m.start()
            break
    return start, end


def same_clause(text: str, a: int, b: int, ce: CompiledEvents) -> bool:
    lo, hi = (a, b) if a <= b else (b, a)
    return ce.clause_breaks is None or ce.clause_breaks.search(text, lo, hi) is None


def reference_year(text: str) -> int | None:
    """The latest year an undated article names: its own time, for telling the past from the news."""
    years = [int(y) for y in YEAR.findall(text)]
    return max(years) if years else None


@dataclass(frozen=True)
class Found:
    event: Event
    pair: frozenset[str] | None  # the subject pair the event connects
    sentence: int = 0  # where it was found


_DATELINE = re.compile(r"^\s*[A-ZА-ЯЁ][A-ZА-ЯЁ .-]{2,30},\s[^—–]{0,30}[—–-]\s")
_HAS_PRONOUN = re.compile(r"\b(he|him|his|she|her)\b|(?<!\w)(его|ему|него|она|её|ее)(?!\w)", re.IGNORECASE)
# a nationality word before one of these names a group acting, not a detainee ("Russian officers")
_GROUPS = re.compile(
    r"^[\s-]*(security |border |state |coast )?"
    r"(defectors?|workers?|officials?|authorities|troops|soldiers|diplomats?|"
    r"media|side|government|police|officers?|guards?|investigators?|courts?|prosecutors?|embassy|consulate)\b",
    re.IGNORECASE,
)
# "Baek's wife", "his lawyer": the person named is not the one the verb is about
_RELATIVE = re.compile(
    r"\s*['’]s\s+(wife|husband|son|daughter|brother|sister|mother|father|family|lawyer|attorney|colleague|"
    r"relatives?|children|parents)\b",
    re.IGNORECASE,
)
_PLACE_PREP = re.compile(r"\b(in|at|near|в|во)\s+(the\s+)?(\w+\s+of\s+)?$", re.IGNORECASE)
_PRONOUN = re.compile(
    r"^\s*(?:He|She|The (?:pastor|missionary|man|woman|detainee|suspect|citizen|national))\b|^\s*(?:Он|Она)\b"
)
_PASSIVE = re.compile(r"\b(?:was|were|been|being|is|are)\s+(?:\w+\s+)?$", re.IGNORECASE)
_REDUCED_PASSIVE = re.compile(r"\s+(?:[a-z]+\s+){0,2}")  # "a South Korean [man] arrested"
_GENERIC_PLACE = re.compile(r"\b(?:in|at|near)\s+(?:the\s+)?([A-Z][a-z]{3,}(?:[ -][A-Z][a-z]+)?)")
_NOT_PLACES = frozenset(_WEEKDAYS) | {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "russian", "korean", "the",
}  # fmt: skip


def _actors(mentions: list[Mention]) -> set[str]:
    return {a for m in mentions for a in m.actors}


def _first(patterns: list[tuple[str, list[re.Pattern[str]]]], text: str) -> str | None:
    for name, regexes in patterns:
        if any(r.search(text) for r in regexes):
            return name
    return None


def _label(m: Mention, labels: dict[str, str]) -> str:
    """How an actor or target is named: a person or body by name, a place or country by its country."""
    if m.nationality:
        return labels.get(m.entity.actor or "", m.entity.name)
    if m.entity.type in ("place", "country") and m.entity.actor:
        return labels.get(m.entity.actor, m.entity.name)
    return m.entity.name


def is_background(
    sentence: str, ce: CompiledEvents, published: date | None, when: str | None, ref_year: int | None = None
) -> bool:
    """A sentence recalling the past: a background cue, or a date well before the article's own time."""
    if any(r.search(sentence) for r in ce.background):
        return True
    if RECENT.search(sentence):
        return False
    if published is None:
        years = [int(y) for y in YEAR.findall(sentence)]
        return ref_year is not None and bool(years) and max(years) < ref_year
    if when and len(when) >= 7:
        y, mth = int(when[:4]), int(when[5:7])
        return (published.year - y) * 12 + (published.month - mth) > 6
    years = [int(y) for y in YEAR.findall(sentence)]
    return bool(years) and max(years) < published.year


def extract(
    sentences: list[Sentence],
    mentions_of: list[list[Mention]],
    topic: TopicConfig,
    ce: CompiledEvents,
    published: datetime | None,
    precision: str = "day",
    language: str | None = None,
) -> list[Found]:
    """Events in the sentences; ``mentions_of[i]`` are the entity mentions of sentence i."""
    pub = published.date() if published else None
    other_language = language not in topic.main_languages
    ref_year = None if pub else reference_year(" ".join(s.text for s in sentences))
    labels = {k: a.label or k for k, a in topic.actors.items()}
    by_label = {label: k for k, label in labels.items()}
    case_types = set(topic.cases.events)
    found: list[Found] = []
    seen: set[tuple[str, str | None, str | None, str | None, str | None, bool]] = set()
    last_detainee: tuple[int, Mention, bool] | None = None  # sentence, person, told as background
    # per event type, what every sentence is searched with: its hedges, and its triggers by script
    plan = [
        (
            etype,
            rule,
            [*(ce.hedges if rule.hedges else []), *ce.type_hedges.get(etype, ())],
            ce.type_after.get(etype, []),
        )
        for etype, rule in topic.events.items()
    ]
    triggers: dict[tuple[str, frozenset[str]], list[re.Pattern[str]]] = {}
    for i, sent in enumerate(sentences):
        text = sent.text
        dateline = _DATELINE.match(text) if i == 0 else None
        skip = dateline.end() if dateline else 0
        here = [m for m in mentions_of[i] if m.start - sent.start >= skip]
        if dateline:
            text = " " * skip + text[skip:]
        before = mentions_of[i - 1] if i > 0 and sentences[i - 1].paragraph == sent.paragraph else []
        window = _actors(here) | _actors(before)
        if not window and last_detainee is None:
            continue  # no party of the subject in sight: no event of it here
        written = frozenset(scripts_of(text))
        low = lowered(text)
        for etype, rule, hedges, after in plan:
            if (regexes := triggers.get((etype, written))) is None:
                regexes = triggers[etype, written] = _triggers_for(ce, etype, written, other_language)
            hit = _trigger(low, regexes, hedges, ce, after) if regexes else None
            if hit is None:
                continue
            trigger, looks_back = hit
            if ce.requires[etype] and not any(r.search(low) for r in ce.requires[etype]):
                continue
            when = event_date(text, pub, precision == "day")
            background = looks_back or is_background(low, ce, pub, when, ref_year)
            rel = [(m.start - sent.start, m) for m in here]
            place = _place(text, trigger, rel)
            scope = set(window)
            who: Mention | None = None
            if etype in case_types:
                earlier = last_detainee[1] if last_detainee and i - last_detainee[0] <= 3 else None
                event, who = _case_event(
                    etype, text, low, trigger, rel, before, labels, ce, place, when, background, earlier
                )
                if who is not None:
                    scope |= who.actors  # the detainee carried over from the sentences before
                if (
                    who is not None
                    and last_detainee is not None
                    and (
                        who is earlier
                        or (who.entity.id == last_detainee[1].entity.id and i - last_detainee[0] == 1)
                    )
                    and last_detainee[2]
                    and not background
                    and when is None
                    and not RECENT.search(text)
                ):
                    # "He was taken into custody ..." right after a paragraph recalling his case goes on
                    # recalling it
                    background = True
                    event = event.model_copy(update={"background": True})
            pair = next((p for p in ce.pairs if p <= scope), None)
            if pair is None and etype == "consular_access" and scope:
                # consular help for a detainee of the case the article reports: the case gives the pair
                pair = next((f.pair for f in found if f.event.type == "detention" and f.pair), None)
            if not scope or (rule.parties == "pair" and pair is None and not background):
                continue  # a mention of the past needs only one of the subject's actors
            if etype in case_types:
                if who is not None and who.entity.type == "person":
                    last_detainee = (i, who, background)
                if (
                    etype != "consular_access"
                    and event.nationality is None
                    and (not background or event.person_key is None)
                ):
                    # no detainee of the subject's nationalities: someone else's case
                    continue
                sides = ce.between.get(etype)
                holder = by_label.get(event.actor or "")
                nat = by_label.get(event.nationality or "")
                if sides and ((holder and holder not in sides) or (nat and nat not in sides)):
                    continue  # held by, or a national of, a third country: North Korea frees a Russian boat
            else:
                actor_m, targets = _actor_target(text, trigger, rel)
                if not _between(actor_m, targets, ce.between.get(etype)):
                    continue  # someone else's sanctions or protest ("Japan froze the assets of ...")
                target_m = targets[0] if targets else None
                event = Event(
                    type=etype,
                    evidence=text.strip()[:500],
                    confidence=rule.confidence,
                    actor=_label(actor_m, labels) if actor_m else None,
                    target=_label(target_m, labels) if target_m else None,
                    place=place,
                    date=when,
                    background=background,
                )
            if event.place is None and etype in case_types:
                generic = _GENERIC_PLACE.search(text)
                if generic and generic.group(1).casefold() not in _NOT_PLACES:
                    event = event.model_copy(update={"place": generic.group(1)})
            key = (etype, event.target, event.status, event.date, event.place, background)
            if key in seen:
                continue
            seen.add(key)
            if background:
                event = event.model_copy(update={"confidence": round(rule.confidence * 0.5, 2)})
            else:
                event = event.model_copy(update={"confidence": rule.confidence})
            found.append(Found(event=event, pair=pair, sentence=i))
    return found


def _place(text: str, at: int, rel: list[tuple[int, Mention]]) -> str | None:
    """A named place introduced by "in", "at", "near" ...; the one nearest the trigger."""
    places = [
        (abs(pos - at), m)
        for pos, m in rel
        if m.entity.type == "place" and not m.nationality and _PLACE_PREP.search(text[max(0, pos - 30) : pos])
    ]
    return min(places, key=lambda x: x[0])[1].entity.name if places else None


def _hedged(
    text: str,
    start: int,
    end: int,
    hedges: list[re.Pattern[str]],
    ce: CompiledEvents,
    after: list[re.Pattern[str]] | None = None,
) -> bool:
    head = text[max(0, start - 80) : start]
    if any(h.search(head) for h in hedges):
        return True
    tail = text[end : end + 40]
    if hedges and any(h.search(tail) for h in ce.hedges_after):
        return True
    rest = text[end : end + 160]
    return any(h.search(rest) for h in after or [])


def recalled(text: str, start: int, ce: CompiledEvents) -> bool:
    """A trigger in a clause that looks back ("who was arrested", "after he was deported")."""
    lo, _ = clause_of(text, start, ce)
    head = text[max(lo, start - 80) : start]
    return any(r.search(head) for r in ce.recalled) or any(
        r.search(text, start, start + 40) for r in ce.recalled_after
    )


def _triggers_for(
    ce: CompiledEvents, etype: str, written: frozenset[str], other_language: bool
) -> list[re.Pattern[str]]:
    """The trigger alternations of a type for a sentence in these scripts."""
    groups = ce.by_script[etype]
    regexes = [groups[k] for k in (*sorted(written), "any") if k in groups]
    if other_language:
        more = ce.by_script_more.get(etype, {})
        regexes += [more[k] for k in (*sorted(written), "any") if k in more]
    return regexes


def _trigger(
    low: str,
    triggers: list[re.Pattern[str]],
    hedges: list[re.Pattern[str]],
    ce: CompiledEvents,
    after: list[re.Pattern[str]] | None = None,
) -> tuple[int, bool] | None:
    """Where the first trigger that no hedge undoes starts in ``low`` (the sentence ``lowered``),
    preferring one that is not recalled."""
    best: tuple[bool, int] | None = None
    for regex in triggers:
        for m in regex.finditer(low):
            if _hedged(low, m.start(), m.end(), hedges, ce, after):
                continue
            cand = (recalled(low, m.start(), ce), m.start())
            if best is None or cand < best:
                best = cand
            if not cand[0]:
                break
    return (best[1], best[0]) if best else None


def _actor_target(text: str, at: int, rel: list[tuple[int, Mention]]) -> tuple[Mention | None, list[Mention]]:
    """Who acts (named before the trigger) and on whom (the other parties, nearest first after it);
    swapped when passive."""
    parties = [(pos, m) for pos, m in rel if m.entity.actor or m.entity.type == "country"]
    before = [m for pos, m in parties if pos < at]
    after = [m for pos, m in parties if pos >= at]
    passive = bool(_PASSIVE.search(text[:at]))
    if passive:
        subject = before[0] if before else None
        by = re.search(r"\bby\b", text[at:])
        agent = next((m for pos, m in parties if by and pos >= at + by.start()), None)
        return agent, [subject] if subject else []
    actor = before[0] if before else (after[0] if after else None)
    rest = [m for m in (before[1:] + after) if actor is None or m.entity.actor != actor.entity.actor]
    return actor, rest


def _between(actor: Mention | None, targets: list[Mention], sides: frozenset[str] | None) -> bool:
    """Whether who acts, where named, is one of the sides and acts on another of them (Seoul sanctions
    Moscow), not someone else (Tokyo freezes assets, Moscow's sanctions on Pyongyang)."""
    if not sides:
        return True
    a = actor.entity.actor if actor else None
    if actor is not None and a not in sides:
        return False
    return not targets or any(t.entity.actor in sides and t.entity.actor != a for t in targets)


def _case_event(
    etype: str,
    text: str,
    low: str,
    at: int,
    rel: list[tuple[int, Mention]],
    before: list[Mention],
    labels: dict[str, str],
    ce: CompiledEvents,
    place: str | None,
    when: str | None,
    background: bool,
    earlier: Mention | None,
) -> tuple[Event, Mention | None]:
    """A detention, release or consular event: the detainee, their nationality, who holds them."""
    # the person named nearest the trigger, in its clause ("Baek, who was arrested", not "Zakharova
    # said"), who is no official speaking for a state
    people = sorted(
        (abs(pos - at), pos, m)
        for pos, m in rel
        if m.entity.type == "person"
        and not m.entity.official
        and not _RELATIVE.match(text, pos + len(m.text))
        and not (ce.officials and ce.officials.search(low[max(0, pos - 60) : pos]))
        and same_clause(low, pos, at, ce)
    )
    detainee = people[0][2] if people else None
    # only officials, or a detainee's relative ("Baek's wife ... released her"), named here: "her" is not
    # the detainee of the sentences before
    officials_only = detainee is None and any(m.entity.type == "person" for _, m in rel)
    if detainee is None and _PRONOUN.match(text):
        detainee = next((m for m in before if m.entity.type == "person"), None)
    if (
        detainee is None
        and earlier is not None
        and (_PRONOUN.match(text) or _HAS_PRONOUN.search(text))
        and not (officials_only and not _PRONOUN.match(text))
    ):
        detainee = earlier  # "the court extended his detention": the detainee of the sentences before
    # the nationality word nearest the trigger on the detainee's side of it: after an active verb
    # ("officers detained a South Korean"), before a passive one ("a South Korean was detained")
    # "a South Korean (citizen) arrested in Russia": the trigger right after the nationality is passive
    passive = bool(_PASSIVE.search(text[:at])) or any(
        m.nationality
        and pos < at
        and _REDUCED_PASSIVE.fullmatch(text[pos + len(m.text) : at])
        and not _GROUPS.match(text[pos + len(m.text) : at])
        for pos, m in rel
    )
    nats = sorted(
        ((pos >= at) == passive, abs(pos - at), pos, m)
        for pos, m in rel
        if m.nationality and not _GROUPS.match(text[pos + len(m.text) :])
    )
    nat_m = nats[0][3] if nats else None
    if nat_m is None and detainee is None and _PRONOUN.match(text):
        nat_m = next((m for m in before if m.nationality), None)
    if detainee is not None and detainee.entity.listed:
        nationality = detainee.entity.actor  # a listed person of no subject nationality stays outside
    else:
        nationality = (detainee.entity.actor if detainee else None) or (nat_m.entity.actor if nat_m else None)
    holders = [
        m
        for _, m in rel
        if m.entity.actor
        and m.entity.actor != nationality
        and m.entity.type != "person"
        and not m.nationality
    ]
    actor = _label(holders[0], labels) if holders else None
    if detainee is not None:
        target: str | None = detainee.entity.name
        if detainee.surname_only and detainee.entity.actor is None:
            nat = labels.get(nationality or "", "")
            name = detainee.entity.name
            latin = latin_surname(name)
            target = f"{nat} national surnamed {latin}{f' ({name})' if latin != name else ''}".strip()
    elif nat_m is not None:
        target = f"a {_label(nat_m, labels)} national"
    else:
        target = None
    status = None
    who_at = next((pos for pos, m in rel if m is detainee), None)
    if etype == "detention":
        status = _status(low, ce, who_at, exclude=("released", "exchanged")) or "detained"
    elif etype == "release":
        status = _status(low, ce, who_at, only=("released", "exchanged")) or "released"
    charge = _first(ce.charges, low)
    event = Event(
        type=etype,
        evidence=text.strip()[:500],
        confidence=0.0,
        actor=actor,
        target=target,
        place=place,
        date=when,
        status=status,
        charge=charge,
        nationality=labels.get(nationality) if nationality else None,
        person_key=person_key(detainee, nationality),
        background=background,
    )
    return event, detainee


def _status(
    text: str,
    ce: CompiledEvents,
    who_at: int | None,
    *,
    only: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> str | None:
    """The most specific status the (``lowered``) sentence reports: its verb not hedged ("punishable
    by up to 20 years"), not looking back ("after he was deported"), in the detainee's clause when
    they are named."""
    for name, regexes in ce.statuses:
        if (only and name not in only) or name in exclude:
            continue
        for regex in regexes:
            for m in regex.finditer(text):
                if m.end() - m.start() <= 1:
                    continue  # a catch-all: the default, not a report of its own
                if _hedged(text, m.start(), m.end(), ce.hedges, ce) or recalled(text, m.start(), ce):
                    continue
                if who_at is not None and not same_clause(text, who_at, m.start(), ce):
                    continue
                return name
    return None


def person_key(detainee: Mention | None, nationality: str | None) -> str | None:
    """The detainee's identity for the case ledger: a known id, a name, or a surname with a nationality."""
    if detainee is None:
        return f"anon:{nationality}" if nationality else None
    ent = detainee.entity
    if ent.actor is not None or (ent.surname and not detainee.surname_only):
        return f"id:{ent.id}"
    if detainee.surname_only or ent.surname:
        return f"surname:{skeleton(ent.name)}:{nationality or ''}"
    return f"name:{slug(ent.name)}:{nationality or ''}"
