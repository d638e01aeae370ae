"""What the API and the dashboard read: every answer comes from an index, never from a scan.

Records: the sorted sets that ``RedisStore`` writes with each record (by publication time) are
the filters. A query reads the smallest of the sets its filters name, newest first, in batches,
and keeps the ids that every other set holds (ZMSCORE, one round trip per batch); only the
records on the page are read. A page ends after ``SCAN_BUDGET`` ids of the smallest set were
examined even if it holds fewer than ``limit`` records, and its cursor goes on from there: the
cost of one request is bounded whatever the filters.

A cursor is ``{score}:{id}`` of the last record examined: the next page starts strictly after it
in (publication time, id) descending order, so records stored meanwhile never shift a page.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.entities import slug
from pipeline.models import Alert, Case, Record
from pipeline.terms import words
from workers import alerting
from workers.app import App
from workers.cases import case_key
from workers.feed_health import feed_health

BATCH = 200  # ids read per round trip from the one index a query reads
BATCH_FILTERED = 1000  # at most, when other indexes filter them (one ZMSCORE per index per batch)
SCAN_BUDGET = 4000
DAY_S = 86400


class BadCursor(ValueError):
    """A cursor that this API did not hand out."""


@dataclass(frozen=True)
class RecordQuery:
    text: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    on_topic: bool = False
    event: str | None = None
    entity: str | None = None
    case: str | None = None
    story: str | None = None
    cursor: str | None = None
    limit: int = 20


def encode_cursor(score: float, id: str) -> str:
    return f"{score!r}:{id}"


def decode_cursor(cursor: str) -> tuple[float, str]:
    score, sep, id = cursor.partition(":")
    try:
        value = float(score)
    except ValueError:
        raise BadCursor(f"not a cursor: {cursor!r}") from None
    if not sep or not id or not math.isfinite(value):
        raise BadCursor(f"not a cursor: {cursor!r}")
    return value, id


def _ts(value: datetime | None, default: str) -> float | str:
    if value is None:
        return default
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def record_indexes(app: App, q: RecordQuery) -> list[str]:
    """The sorted sets a query's filters name (the time index when none does)."""
    k = app.store.k
    sets = []
    if q.story:
        sets.append(k("story", q.story, "members"))
    if q.case:
        sets.append(k("case", "records", q.case))
    if q.entity:
        sets.append(k.idx("entity", slug(q.entity)))
    if q.event:
        sets.append(k.idx("event", q.event))
    if q.source:
        sets.append(k.idx("source", q.source))
    if q.on_topic:
        sets.append(k.idx("ontopic"))
    sets.extend(k.idx("term", w) for w in words(q.text or ""))
    return sets or [k.idx("time")]


def search(app: App, q: RecordQuery) -> tuple[list[Record], str | None]:
    """One page of records, newest first, and the cursor of the next page (None: no more)."""
    r = app.redis
    sets = record_indexes(app, q)
    with r.pipeline(transaction=False) as pipe:
        for key in sets:
            pipe.zcard(key)
        pipe.zcard(app.store.k.idx("time"))
        *sizes, everything = pipe.execute()
    if not all(sizes):
        return [], None
    driver = sets[sizes.index(min(sizes))]
    others = [s for s in sets if s != driver]
    # enough ids per batch for a page in one or two round trips, guessing the share of the driver's
    # ids that pass from the most selective other index (filters are often nested: an event implies
    # the subject), without reading (and parsing) far more than a page needs
    size = max(BATCH, q.limit)
    if others:
        share = min(n for s, n in zip(sets, sizes, strict=True) if s != driver) / max(everything, 1)
        size = min(BATCH_FILTERED, max(BATCH, int(q.limit / max(share, 1e-3) * 1.5)))
    after = decode_cursor(q.cursor) if q.cursor else None
    high: float | str = after[0] if after else _ts(q.until, "+inf")
    low = _ts(q.since, "-inf")
    found: list[tuple[float, str]] = []
    examined, offset, exhausted = 0, 0, False
    last: tuple[float, str] | None = None
    while len(found) < q.limit and examined < SCAN_BUDGET:
        ask = min(size, SCAN_BUDGET - examined)
        batch = r.zrevrangebyscore(driver, high, low, start=offset, num=ask, withscores=True)
        offset += len(batch)
        final = len(batch) < ask
        if after:  # the same publication time as the cursor: only the ids after it
            batch = [(m, s) for m, s in batch if s < after[0] or m < after[1]]
        ids = [m for m, _ in batch]
        keep = [True] * len(ids)
        if others and ids:
            with r.pipeline(transaction=False) as pipe:
                for key in others:
                    pipe.zmscore(key, ids)
                for scores in pipe.execute():
                    keep = [k and s is not None for k, s in zip(keep, scores, strict=True)]
        consumed = 0
        for (member, score), ok in zip(batch, keep, strict=True):
            examined += 1
            consumed += 1
            last = (score, member)
            if ok:
                found.append((score, member))
                if len(found) >= q.limit:
                    break
        if final and consumed == len(batch):
            exhausted = True
            break
    records = read_records(app, [m for _, m in found])
    return records, encode_cursor(*last) if last and not exhausted else None


def read_records(app: App, ids: list[str]) -> list[Record]:
    if not ids:
        return []
    raws = app.redis.mget([app.store.k.article(i) for i in ids])
    records = [Record.model_validate_json(raw) for raw in raws if raw]
    # each with the story it now belongs to (``RedisStore.current_story``), for the whole page in
    # one round trip: only a story merged into another needs more
    sids = sorted({r.story_id for r in records if r.story_id})
    if not sids:
        return records
    parents = app.redis.hmget(app.store.k("story", "parent"), sids)
    moved = {sid for sid, parent in zip(sids, parents, strict=True) if parent and parent != sid}
    if not moved:
        return records
    roots = {sid: app.store.story_root(sid) for sid in moved}
    return [
        r.model_copy(update={"story_id": roots[r.story_id]}) if r.story_id in roots else r for r in records
    ]


def also_published_by(app: App, record: Record) -> list[Record]:
    if record.dedup.status in ("duplicate", "near_duplicate"):
        return []
    ids = sorted(app.redis.smembers(app.store.k.copies(record.id)))
    return read_records(app, ids)


def revisions(app: App, record_id: str) -> int:
    return int(app.redis.llen(app.store.k.history(record_id)))


# --- stories -------------------------------------------------------------------------------------------


def _stories(app: App, ids_scores: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """Stories with their articles (copies included), read in three round trips."""
    k, r = app.store.k, app.redis
    if not ids_scores:
        return []
    with r.pipeline(transaction=False) as pipe:
        for sid, _ in ids_scores:
            pipe.zrange(k("story", sid, "members"), 0, -1)
            pipe.hget(k("story", sid), "title")
            pipe.zscore(k.idx("stories", "first"), sid)
        answers = pipe.execute()
    members = [answers[3 * i] for i in range(len(ids_scores))]
    records = {rec.id: rec for rec in read_records(app, sorted({m for ms in members for m in ms}))}
    out = []
    for i, (sid, last) in enumerate(ids_scores):
        recs = [records[m] for m in members[i] if m in records]
        first = answers[3 * i + 2]
        out.append(
            {
                "id": sid,
                "title": answers[3 * i + 1] or (recs[0].title if recs else None),
                "first_seen": datetime.fromtimestamp(first or last, UTC),
                "last_seen": datetime.fromtimestamp(last, UTC),
                "sources": sorted({rec.source for rec in recs}),
                "events": sorted({e.type for rec in recs for e in rec.events}),
                "articles": recs,
            }
        )
    return out


def stories(
    app: App,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    event: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], str | None]:
    """Stories by their latest report, newest first (of one event type, if given), and the next cursor."""
    k = app.store.k
    index = k.idx("stories", "event", event) if event else k.idx("stories")
    after = decode_cursor(cursor) if cursor else None
    high: float | str = after[0] if after else _ts(until, "+inf")
    page: list[tuple[str, float]] = []
    offset = 0
    while len(page) <= limit:  # one more than a page: whether there is a next one
        batch = app.redis.zrevrangebyscore(
            index, high, _ts(since, "-inf"), start=offset, num=limit + 1, withscores=True
        )
        if not batch:
            break
        offset += len(batch)
        if after:
            batch = [(m, s) for m, s in batch if s < after[0] or m < after[1]]
        page.extend(batch)
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(page[-1][1], page[-1][0]) if more and page else None
    return _stories(app, page), next_cursor


def new_stories_by_event(
    app: App, types: list[str], *, since: datetime, limit: int = 3
) -> dict[str, list[dict[str, Any]]]:
    """The newest stories of each event type reported since then, in three round trips in all."""
    k = app.store.k
    with app.redis.pipeline(transaction=False) as pipe:
        for etype in types:
            pipe.zrevrangebyscore(
                k.idx("stories", "event", etype),
                "+inf",
                _ts(since, "-inf"),
                start=0,
                num=limit,
                withscores=True,
            )
        pages = pipe.execute()
    every = {sid: score for page in pages for sid, score in page}
    read = {s["id"]: s for s in _stories(app, sorted(every.items()))}
    return {etype: [read[sid] for sid, _ in page] for etype, page in zip(types, pages, strict=True) if page}


def story(app: App, story_id: str) -> dict[str, Any] | None:
    story_id = app.store.story_root(story_id) or story_id  # a story merged into another is that one
    last = app.redis.zscore(app.store.k.idx("stories"), story_id)
    if last is None:
        return None
    return _stories(app, [(story_id, last)])[0]


def fold_copies(articles: list[Record]) -> list[tuple[Record, list[Record]]]:
    """Each original report with the copies of it, oldest report first."""
    originals = [a for a in articles if a.dedup.status not in ("duplicate", "near_duplicate")]
    ids = {a.id for a in originals}
    copies: dict[str, list[Record]] = {}
    for a in articles:
        if a.dedup.status in ("duplicate", "near_duplicate"):
            parent = a.dedup.duplicate_of if a.dedup.duplicate_of in ids else None
            if parent is None:
                originals.append(a)  # its original is in no story here: show it on its own
                continue
            copies.setdefault(parent, []).append(a)
    originals.sort(key=lambda a: (a.sort_time, a.source))
    return [(a, sorted(copies.get(a.id, []), key=lambda c: c.sort_time)) for a in originals]


# --- cases ----------------------------------------------------------------------------------------------


def cases(app: App, *, since: datetime | None = None, limit: int = 50) -> list[Case]:
    """Cases, most recently moved first."""
    index = app.store.k("case", "idx", "updated")
    ids = app.redis.zrevrangebyscore(index, "+inf", _ts(since, "-inf"), start=0, num=limit)
    raws = app.redis.mget([case_key(app, i) for i in ids]) if ids else []
    return [Case.model_validate_json(raw) for raw in raws if raw]


def case(app: App, case_id: str) -> tuple[Case, dict[str, Record]] | None:
    """A case and the records its steps cite."""
    raw = app.redis.get(case_key(app, case_id))
    if raw is None:
        return None
    found = Case.model_validate_json(raw)
    ids = sorted({i for step in found.steps for i in step.record_ids} | set(found.record_ids))
    return found, {rec.id: rec for rec in read_records(app, ids)}


# --- alerts and feeds -----------------------------------------------------------------------------------


def alerts(
    app: App, *, dead: bool = False, limit: int = 50
) -> list[tuple[Alert, dict[str, Any], list[Record]]]:
    """Alerts (newest first; or those with a dead-lettered delivery), their delivery and sources."""
    k, r = app.store.k, app.redis
    if dead:
        keys = list(dict.fromkeys(key for key, _ in alerting.dead_letters(app)))[-limit:][::-1]
    else:
        keys = r.zrevrange(k("alerts", "index"), 0, limit - 1)
    if not keys:
        return []
    with r.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.get(k("alert", key))
            pipe.hgetall(k("alert", key, "delivery"))
            pipe.smembers(k("alert", key, "sources"))
        answers = pipe.execute()
    records = {
        rec.id: rec
        for rec in read_records(app, sorted({i for n in range(len(keys)) for i in answers[3 * n + 2]}))
    }
    out = []
    for n in range(len(keys)):
        raw, delivery, ids = answers[3 * n : 3 * n + 3]
        if not raw:
            continue
        sources = sorted((records[i] for i in ids if i in records), key=lambda rec: rec.sort_time)
        out.append((Alert.model_validate_json(raw), {d: json.loads(v) for d, v in delivery.items()}, sources))
    return out


def feeds(app: App) -> list[dict[str, Any]]:
    """Each configured feed's health (``workers.feed_health``) with the one status the dashboard
    shows: ``disabled``, or how its last poll went."""
    return [
        {**row, "status": "disabled" if row["disabled"] else row["last_status"]} for row in feed_health(app)
    ]


# --- stats and timeline ---------------------------------------------------------------------------------


def event_types(app: App) -> list[str]:
    return sorted(app.config.topic.events)


def stats(app: App) -> dict[str, Any]:
    """What the store holds, counted from the indexes (constant time at any size)."""
    k, r = app.store.k, app.redis
    types = event_types(app)
    with r.pipeline(transaction=False) as pipe:
        pipe.zcard(k.idx("time"))
        pipe.zcard(k.idx("ontopic"))
        pipe.hgetall(k("stats"))
        pipe.zcard(k("alerts", "index"))
        pipe.zcard(k("alerts", "dead"))
        pipe.zcard(k.idx("stories"))
        pipe.zcard(k("case", "idx", "updated"))
        for etype in types:
            pipe.zcard(k.idx("event", etype))
        records, on_topic, counters, n_alerts, dead, n_stories, n_cases, *per_event = pipe.execute()
    return {
        "records": records,
        "on_topic": on_topic,
        "duplicates": int(counters.get("duplicate", 0)) + int(counters.get("near_duplicate", 0)),
        "revisions": int(counters.get("revision", 0)),
        "stories": n_stories,
        "cases": n_cases,
        "alerts": n_alerts,
        "dead_letters": dead,
        "feeds": len(app.config.feeds.feeds),
        "events": dict(zip(types, per_event, strict=True)),
    }


def latest_time(app: App) -> datetime | None:
    """When the newest record appeared (the dashboard's "now": a replayed backlog has its own)."""
    top = app.redis.zrevrange(app.store.k.idx("time"), 0, 0, withscores=True)
    return datetime.fromtimestamp(top[0][1], UTC) if top else None


# KEYS: sorted sets; ARGV: ascending bounds b1..bn. Returns, key after key, the count of members
# with b(i) <= score < b(i+1): every day of every index in one command (ZCOUNT is O(log n) each).
COUNTS = """
local out = {}
for k = 1, #KEYS do
  for i = 1, #ARGV - 1 do
    out[#out + 1] = redis.call('ZCOUNT', KEYS[k], ARGV[i], '(' .. ARGV[i + 1])
  end
end
return out
"""


def timeline(app: App, *, days: int = 30, until: date | None = None) -> list[dict[str, Any]]:
    """Articles per day, in all and by event type, for ``days`` days up to ``until`` (default:
    the day of the newest record), counted in Redis by one script call."""
    if until is None:
        newest = latest_time(app)
        until = (newest or datetime.now(UTC)).date()
    k = app.store.k
    types = event_types(app)
    start = datetime(until.year, until.month, until.day, tzinfo=UTC) - timedelta(days=days - 1)
    bounds = [(start + timedelta(days=n)).timestamp() for n in range(days + 1)]
    keys = [k.idx("time"), *(k.idx("event", t) for t in types)]
    # a Script object only hashes its source; Redis loads it once (EVALSHA, then EVAL if unknown)
    counts = app.redis.register_script(COUNTS)(keys=keys, args=bounds)
    column = {key: counts[i * days : (i + 1) * days] for i, key in enumerate(keys)}
    return [
        {
            "date": (start + timedelta(days=n)).date(),
            "articles": column[keys[0]][n],
            "events": {t: column[k.idx("event", t)][n] for t in types},
        }
        for n in range(days)
    ]
