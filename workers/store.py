"""RedisStore: records, identity claims, indexes and streams, written atomically.

The dedup decision is made under WATCH on the article's identity claims and
written in the same MULTI as the record, its indexes and its stream entry
(arq claims job ids the same way). If another worker touched a
claim in between, EXEC fails and the decision is made again on what that
worker wrote, so two workers racing on one article leave one record.

Keyspace (prefix ``nw`` by default), as in ARCHITECTURE.md:

- ``{p}:article:{id}``         record JSON (a duplicate's record is a small pointer)
- ``{p}:url:{h[:4]}``          canonical URL claims: hash field h[4:] -> "id content_hash"
- ``{p}:content:{h[:4]}``      body claims: hash field h[4:] -> id of the record that has this body
- ``{p}:lsh:{band}:{b[:4]}``   MinHash LSH buckets: hash field b[4:] -> ids (newest BUCKET_KEEP)
- ``{p}:history:{id}``         earlier versions of a revised record (newest first, capped)
- ``{p}:copies:{id}``          ids of the duplicates of a record ("also published by")
- ``{p}:idx:time``             zset of primary records by publication time
- ``{p}:idx:source:{source}``  ``{p}:idx:ontopic``  ``{p}:idx:event:{type}``   zsets, same scores
- ``{p}:idx:entity:{id}``  ``{p}:idx:term:{word}``  zsets, same scores (terms: ``pipeline.terms``)
- ``{p}:idx:stories``, ``{p}:idx:stories:first``, ``{p}:idx:stories:event:{type}``  story ids by last
  report, first report, last report of each event type
- ``{p}:stream:records``       every stored record or revision, for downstream consumers
- ``{p}:alert:...``, ``{p}:alerts:...``, ``{p}:stream:alerts``: alerts (see ``workers.alerting``)
- ``{p}:stats``                counters
- ``{p}:item:{run}:{id}``      a queued work item (page or text) of a replay run, waiting for a worker
- ``{p}:run:{id}``             outcomes of one replay run
- ``{p}:entry:{id}``, ``{p}:seen:{feed}``, ``{p}:feed:{id}``, ``{p}:feeds:due``: polling state
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from pipeline.dedup import BUCKET_SHARD_HEX, Similarity, compare, decide
from pipeline.models import Alert, Article, DedupVerdict, Fingerprints, Outcome, Record
from pipeline.stories import StoryKeys, assign, story_window
from pipeline.terms import terms

HISTORY_KEEP = 10
STORY_CANDIDATES = 50  # stories read per key: the newest in the window
BUCKET_KEEP = 16  # ids kept per LSH bucket: the newest; bounds the cost of one decision
STREAM_MAXLEN = 100_000


class Keys:
    """Every Redis key newswatch uses, in one place."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def article(self, id: str) -> str:
        return self("article", id)

    def shard(self, kind: str, value: str) -> tuple[str, str]:
        """(key, field) of a claim or bucket: many small hashes stay compact in Redis at any size."""
        if kind == "lsh":  # "{band}:{bucket}"
            band, bucket = value.split(":", 1)
            return self(kind, band, bucket[:BUCKET_SHARD_HEX]), bucket[BUCKET_SHARD_HEX:]
        return self(kind, value[:BUCKET_SHARD_HEX]), value[BUCKET_SHARD_HEX:]

    def history(self, id: str) -> str:
        return self("history", id)

    def copies(self, id: str) -> str:
        return self("copies", id)

    def idx(self, *parts: str) -> str:
        return self("idx", *parts)

    def alert(self, key: str) -> str:
        return self("alert", key)


@dataclass(frozen=True)
class Saved:
    record: Record
    outcome: Outcome
    alerts: tuple[Alert, ...] = ()  # filled in by workers.alerting after the record is saved


def outcome_of(verdict: DedupVerdict, on_topic: bool) -> Outcome:
    if verdict.status == "unique":
        return "stored" if on_topic else "off_topic"
    if verdict.status == "revision":
        return "revision"
    if verdict.status == "unchanged":
        return "unchanged"
    return "duplicate" if verdict.status == "duplicate" else "near_duplicate"


# A client made with decode_responses=True. redis-py's annotations cannot say that its replies
# are then str, not bytes, so to the type checker it is Any.
StrRedis = Any


class RedisStore:
    def __init__(self, client: StrRedis, prefix: str = "nw") -> None:
        self.r: StrRedis = client
        self.k = Keys(prefix)

    # --- writing -------------------------------------------------------------------------------------

    def save(
        self,
        article: Article,
        fps: Fingerprints,
        build: Callable[[DedupVerdict, Record | None], Record],
        keys: StoryKeys | None = None,
    ) -> Saved:
        """Decide dedup and story, and write the record, claims, indexes and stream entry at once.

        ``build(verdict, previous)`` makes the record (pure); ``keys`` the names that place it in a story.
        """
        url, content = self.k.shard("url", fps.url_hash), self.k.shard("content", fps.content_hash)
        buckets = [self.k.shard("lsh", band) for band in fps.bands]
        story_index = {key: self.k("story", "key", key) for key in (keys.weights if keys else ())}
        watched = {url[0], content[0], self.k.article(fps.article_id), *(key for key, _ in buckets)}
        watched |= set(story_index.values())
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(*watched)
                    # reads on a second connection, in one round trip: WATCH still sees any write after it
                    reads = self.r.pipeline(transaction=False)
                    reads.hget(*url)
                    reads.hget(*content)
                    for key, field in buckets:
                        reads.hget(key, field)
                    claimed, owner, *bucket_ids = reads.execute()
                    same_url_hash = claimed.split(" ", 1)[1] if claimed else None
                    similar = None
                    if same_url_hash is None and owner is None:
                        similar = self._similar(article.text, fps.article_id, bucket_ids)
                    verdict = decide(
                        fps, same_url_content_hash=same_url_hash, same_content_owner=owner, similar=similar
                    )
                    previous = None
                    if verdict.status in ("revision", "unchanged"):
                        raw = self.r.get(self.k.article(fps.article_id))
                        previous = Record.model_validate_json(raw) if raw else None
                    record = build(verdict, previous)
                    record = record.model_copy(
                        update={"story_id": self._story(record, previous, keys, story_index)}
                    )
                    outcome = outcome_of(verdict, record.on_topic)
                    pipe.multi()
                    if outcome != "unchanged":  # an unchanged article changes nothing, counters included
                        self._write(pipe, record, fps, previous, dict(zip(buckets, bucket_ids, strict=True)))
                        self._write_story(pipe, record, story_index)
                        pipe.hincrby(self.k("stats"), outcome, 1)
                    pipe.execute()
                    return Saved(record=record, outcome=outcome)
                except redis.WatchError:
                    continue

    def _story(
        self, record: Record, previous: Record | None, keys: StoryKeys | None, index: dict[str, str]
    ) -> str | None:
        """The story a record belongs to: its original's for a copy, its own for a revision, else found."""
        if record.dedup.status in ("duplicate", "near_duplicate"):
            original = self.get(record.dedup.duplicate_of or "")
            return original.story_id if original else None
        if previous is not None and previous.story_id:
            return previous.story_id
        if not record.on_topic or not keys:
            return None
        lo, hi = story_window(record.sort_time, record.published_precision)
        reads = self.r.pipeline(transaction=False)
        for zkey in index.values():
            reads.zrangebyscore(zkey, lo, hi, start=0, num=STORY_CANDIDATES)
            reads.zcount(zkey, lo, hi)
        answers = reads.execute()
        hits = {key: answers[2 * i] for i, key in enumerate(index) if answers[2 * i]}
        df = {key: int(answers[2 * i + 1]) for i, key in enumerate(index)}
        story, _score = assign(keys, hits, df)
        return story or record.id

    def _write_story(self, pipe: redis.client.Pipeline, record: Record, index: dict[str, str]) -> None:
        if record.story_id is None:
            return
        t = record.sort_time.timestamp()
        sid = record.story_id
        pipe.zadd(self.k("story", sid, "members"), {record.id: t})
        pipe.zadd(self.k.idx("stories"), {sid: t}, gt=True)
        pipe.zadd(self.k.idx("stories", "first"), {sid: t}, lt=True)
        if record.dedup.status in ("unique", "revision"):
            pipe.hsetnx(self.k("story", sid), "title", record.title or "")
            for zkey in index.values():
                pipe.zadd(zkey, {sid: t}, gt=True)
            for etype in {e.type for e in record.events}:
                pipe.zadd(self.k.idx("stories", "event", etype), {sid: t}, gt=True)

    def _similar(self, text: str, own_id: str, bucket_ids: list[str | None]) -> list[Similarity]:
        """Exact similarity to every record sharing an LSH bucket with this body."""
        ids = sorted({i for value in bucket_ids if value for i in value.split()} - {own_id})
        if not ids:
            return []
        texts = {}
        for cid, raw in zip(ids, self.r.mget([self.k.article(i) for i in ids]), strict=True):
            if raw:
                texts[cid] = Record.model_validate_json(raw).text
        return compare(text, texts)

    def _write(
        self,
        pipe: redis.client.Pipeline,
        record: Record,
        fps: Fingerprints,
        previous: Record | None,
        buckets: dict[tuple[str, str], str | None],
    ) -> None:
        k = self.k
        status = record.dedup.status
        pipe.set(k.article(record.id), record.model_dump_json())
        pipe.hset(*k.shard("url", fps.url_hash), f"{record.id} {fps.revision_hash or fps.content_hash}")
        if status in ("duplicate", "near_duplicate"):
            pipe.sadd(k.copies(record.dedup.duplicate_of or ""), record.id)
            pipe.xadd(
                k("stream", "records"),
                {"id": record.id, "status": status, "duplicate_of": record.dedup.duplicate_of or ""},
                maxlen=STREAM_MAXLEN,
                approximate=True,
            )
            return
        pipe.hsetnx(*k.shard("content", fps.content_hash), record.id)
        for (key, field), value in buckets.items():
            members = [i for i in (value or "").split() if i != record.id][-(BUCKET_KEEP - 1) :]
            pipe.hset(key, field, " ".join([*members, record.id]))
        if previous is not None:
            pipe.lpush(k.history(record.id), previous.model_dump_json())
            pipe.ltrim(k.history(record.id), 0, HISTORY_KEEP - 1)
            for event in previous.events:
                pipe.zrem(k.idx("event", event.type), record.id)
            for entity in previous.entities:
                pipe.zrem(k.idx("entity", entity.id), record.id)
            for term in terms(previous):
                pipe.zrem(k.idx("term", term), record.id)
        score = record.sort_time.timestamp()
        pipe.zadd(k.idx("time"), {record.id: score})
        pipe.zadd(k.idx("source", record.source), {record.id: score})
        if record.on_topic:
            pipe.zadd(k.idx("ontopic"), {record.id: score})
        else:
            pipe.zrem(k.idx("ontopic"), record.id)
        for event in record.events:
            pipe.zadd(k.idx("event", event.type), {record.id: score})
        for entity in record.entities:
            pipe.zadd(k.idx("entity", entity.id), {record.id: score})
        for term in terms(record):  # text search answers from these (pipeline/terms.py)
            pipe.zadd(k.idx("term", term), {record.id: score})
        pipe.xadd(
            k("stream", "records"),
            {"id": record.id, "status": status, "revision": record.revision},
            maxlen=STREAM_MAXLEN,
            approximate=True,
        )

    # --- reading -------------------------------------------------------------------------------------

    def get(self, id: str) -> Record | None:
        raw = self.r.get(self.k.article(id))
        return Record.model_validate_json(raw) if raw else None

    def history(self, id: str) -> list[Record]:
        return [Record.model_validate_json(raw) for raw in self.r.lrange(self.k.history(id), 0, -1)]

    def copies(self, id: str) -> list[Record]:
        ids = sorted(self.r.smembers(self.k.copies(id)))
        return [rec for rec in (self.get(i) for i in ids) if rec is not None]

    def stories(self, *, since: datetime | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Stories, most recently reported first, with their articles (copies included) and sources."""
        low = since.timestamp() if since else "-inf"
        out = []
        for sid, last in self.r.zrevrangebyscore(
            self.k.idx("stories"), "+inf", low, start=0, num=limit, withscores=True
        ):
            members = self.r.zrange(self.k("story", sid, "members"), 0, -1)
            records = [r for r in (self.get(m) for m in members) if r is not None]
            first = self.r.zscore(self.k.idx("stories", "first"), sid)
            out.append(
                {
                    "id": sid,
                    "title": self.r.hget(self.k("story", sid), "title")
                    or (records[0].title if records else None),
                    "first_seen": datetime.fromtimestamp(first or last, UTC).isoformat(),
                    "last_seen": datetime.fromtimestamp(last, UTC).isoformat(),
                    "sources": sorted({r.source for r in records}),
                    "articles": [
                        {
                            "id": r.id,
                            "source": r.source,
                            "url": r.url,
                            "title": r.title,
                            "status": r.dedup.status,
                        }
                        for r in records
                    ],
                }
            )
        return out

    def search(
        self,
        *,
        story: str | None = None,
        entity: str | None = None,
        case_ids: list[str] | None = None,
        text: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        on_topic: bool = False,
        event: str | None = None,
        limit: int = 20,
    ) -> Iterator[Record]:
        """Newest first, from the narrowest index that applies; text is a case-insensitive substring."""
        if story:
            index = self.k("story", story, "members")
        elif entity:
            index = self.k.idx("entity", entity)
        elif event:
            index = self.k.idx("event", event)
        elif source:
            index = self.k.idx("source", source)
        elif on_topic:
            index = self.k.idx("ontopic")
        else:
            index = self.k.idx("time")
        low = since.timestamp() if since else "-inf"
        needle = text.casefold() if text else None
        found = 0
        offset, page = 0, 200
        while found < limit:
            ids = self.r.zrevrangebyscore(index, "+inf", low, start=offset, num=page)
            if not ids:
                return
            offset += len(ids)
            for raw in self.r.mget([self.k.article(i) for i in ids]):
                if raw is None:
                    continue
                rec = Record.model_validate_json(raw)
                if source and rec.source != source:
                    continue
                if on_topic and not rec.on_topic:
                    continue
                if event and not any(e.type == event for e in rec.events):
                    continue
                if entity and not any(e.id == entity for e in rec.entities):
                    continue
                if case_ids is not None and rec.id not in case_ids:
                    continue
                if needle and needle not in f"{rec.title or ''}\n{rec.text}".casefold():
                    continue
                yield rec
                found += 1
                if found >= limit:
                    return

    def stats(self) -> dict[str, int]:
        """What the corpus holds: records, on-topic records, copies, revisions, alerts, records per event."""
        counters = {k: int(v) for k, v in self.r.hgetall(self.k("stats")).items()}
        events = {
            key.rsplit(":", 1)[1]: int(self.r.zcard(key))
            for key in self.r.scan_iter(match=self.k.idx("event", "*"), count=1000)
        }
        return {
            "records": int(self.r.zcard(self.k.idx("time"))),
            "on_topic": int(self.r.zcard(self.k.idx("ontopic"))),
            "duplicates": counters.get("duplicate", 0) + counters.get("near_duplicate", 0),
            "revisions": counters.get("revision", 0),
            "alerts": int(self.r.zcard(self.k("alerts", "index"))),
            **{f"event_{name}": n for name, n in sorted(events.items())},
        }

    # --- work items ----------------------------------------------------------------------------------

    # A work item's payload is kept per run: two replays of one backlog at once each have their own.

    def put_item(self, run_id: str, item_id: str, payload: dict[str, object], ttl_s: int) -> None:
        self.r.set(self.k("item", run_id, item_id), json.dumps(payload), ex=ttl_s)

    def get_item(self, run_id: str, item_id: str) -> dict[str, object] | None:
        raw = self.r.get(self.k("item", run_id, item_id))
        return json.loads(raw) if raw else None

    def finish_item(self, item_id: str, run_id: str, outcome: str, detail: str = "", alerts: int = 0) -> None:
        """Record a work item's outcome on its run and drop its payload."""
        with self.r.pipeline(transaction=True) as pipe:
            value = json.dumps({"outcome": outcome, "detail": detail, "alerts": alerts})
            pipe.hset(self.k("run", run_id), item_id, value)
            pipe.expire(self.k("run", run_id), 7 * 24 * 3600)
            pipe.delete(self.k("item", run_id, item_id))
            pipe.execute()

    def run_outcomes(self, run_id: str) -> dict[str, dict[str, Any]]:
        return {k: json.loads(v) for k, v in self.r.hgetall(self.k("run", run_id)).items()}

    def run_done(self, run_id: str) -> int:
        return int(self.r.hlen(self.k("run", run_id)))
