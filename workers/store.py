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
- ``{p}:story:{id}`` (title), ``{p}:story:{id}:members``, ``{p}:story:{id}:events``  a story
- ``{p}:story:prof:{record}``  what the story decision compares for an on-topic record
  (``pipeline.stories.StoryProfile``); ``{p}:story:key:{name}`` dated records by time and
  ``{p}:story:keyu:{name}`` undated or month/year-dated ones, per name and per entity (``e:{id}``)
- ``{p}:story:parent``         a merged story -> the story it joined (a story's id is its smallest
  record id, so any order of arrival names it alike); ``{p}:story:merges`` the merges, newest first
- ``{p}:stream:records``       every stored record or revision, for downstream consumers
- ``{p}:alert:...``, ``{p}:alerts:...``, ``{p}:stream:alerts``: alerts (see ``workers.alerting``)
- ``{p}:stats``                counters
- ``{p}:item:{run}:{id}``      a queued work item (page or text) of a replay run, waiting for a worker
- ``{p}:run:{id}``             outcomes of one replay run
- ``{p}:failed``               items whose last outcome was an error or a rejection: ``item:{id}``,
                               ``entry:{id}`` or ``input:{id}`` -> JSON (outcome, code, detail, where, at)
- ``{p}:failed:at``            the same keys by time; ``{p}:failed:payload:{key}`` a failed replay item's
                               input, kept FAILED_KEEP_S for ``newswatch replay --retry-errors``
- ``{p}:entry:{id}``, ``{p}:seen:{feed}``, ``{p}:feed:{id}``, ``{p}:feeds:due``: polling state
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import redis
import structlog

from pipeline.dedup import BUCKET_SHARD_HEX, Similarity, compare, decide
from pipeline.models import Alert, Article, DedupVerdict, Fingerprints, Outcome, Record
from pipeline.stories import StoryProfile, headline_ok, related, story_window
from pipeline.terms import terms

log = structlog.get_logger(__name__)

HISTORY_KEEP = 10
FAILED_KEEP_S = 30 * 24 * 3600  # how long a failed item's input waits for `replay --retry-errors`
STORY_CANDIDATES = 40  # records read per name: the newest in the window
MERGES_KEEP = 1000
BUCKET_KEEP = 16  # ids kept per LSH bucket: the newest; bounds the cost of one decision
STREAM_MAXLEN = 100_000

# A record stands in a few dozen index sets (time, source, events, entities, one per search term):
# one command each would be packed, sent and answered one by one. These scripts take the sets as
# their keys and do it in Redis, in one command (EVAL: the body is sent, no script to load first).
_ZADD_EACH = "for _, key in ipairs(KEYS) do redis.call('ZADD', key, ARGV[1], ARGV[2]) end return #KEYS"
_ZREM_EACH = "for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[1]) end return #KEYS"
# the same for the LSH buckets, one field of each key (a record's bands: 20 or so)
_HGET_EACH = (
    "local out = {} for i, key in ipairs(KEYS) do out[i] = redis.call('HGET', key, ARGV[i]) end return out"
)
_HSET_EACH = (
    "for i, key in ipairs(KEYS) do redis.call('HSET', key, ARGV[2 * i - 1], ARGV[2 * i]) end return #KEYS"
)
# A story's title is the headline of lowest rank (``title_rank``) among its articles: set here only
# when the new one ranks lower than the stored one (or the same: that article revised, its headline
# perhaps corrected), atomically, so that concurrent workers and any order of arrival end on the same
# title. A title stored without a rank yields to any ranked one.
_TITLE_IF_LOWER = (
    "local cur = redis.call('HGET', KEYS[1], 'title_rank') "
    "if (not cur) or ARGV[1] <= cur then "
    "redis.call('HSET', KEYS[1], 'title', ARGV[2], 'title_rank', ARGV[1]) end "
    "return 1"
)


def title_rank(record: Record) -> str:
    """How a record's headline ranks as its story's title, lowest first: a usable headline
    (``headline_ok``) before any other, then the earliest published (the first report of the
    happening; undated after dated), then the record id. Nothing in it depends on when the record
    was processed, so any order of arrival gives a story the same title."""
    usable = "0" if headline_ok(record.title) else "1"
    published = f"{record.published_at.timestamp():014.3f}" if record.published_at else "9" * 14
    return f"{usable}|{published}|{record.id}"


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
    def __init__(self, client: StrRedis, prefix: str = "nw", binary: redis.Redis | None = None) -> None:
        self.r: StrRedis = client
        self.k = Keys(prefix)
        # the same server, answering bytes: a work item's page may be a file's bytes
        self.binary = binary or redis.Redis(
            connection_pool=redis.ConnectionPool(
                **{**client.connection_pool.connection_kwargs, "decode_responses": False}
            )
        )

    # --- writing -------------------------------------------------------------------------------------

    def save(
        self,
        article: Article,
        fps: Fingerprints,
        build: Callable[[DedupVerdict, Record | None], Record],
        profile: StoryProfile | None = None,
        also: Callable[[redis.client.Pipeline], object] | None = None,
    ) -> Saved:
        """Decide dedup and story, and write the record, claims, indexes and stream entry at once.

        ``build(verdict, previous)`` makes the record (pure); ``profile`` what places it in a story;
        ``also(pipe)`` queues writes of the caller's that go in the same transaction, whatever the
        outcome (the source's template counts: one round trip fewer).
        """
        url, content = self.k.shard("url", fps.url_hash), self.k.shard("content", fps.content_hash)
        buckets = [self.k.shard("lsh", band) for band in fps.bands]
        watched = {url[0], content[0], self.k.article(fps.article_id), *(key for key, _ in buckets)}
        if profile is not None:
            watched |= {self.k("story", "parent"), *self._story_index(profile, "key").values()}
            watched |= set(self._story_index(profile, "keyu").values())
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(*watched)
                    # reads on a second connection, in one round trip: WATCH still sees any write after it
                    reads = self.r.pipeline(transaction=False)
                    reads.hget(*url)
                    reads.hget(*content)
                    keys, fields = zip(*buckets, strict=True)  # a record has its bands, always
                    reads.eval(_HGET_EACH, len(keys), *keys, *fields)
                    claimed, owner, bucket_ids = reads.execute()  # an empty bucket: None
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
                    dated = (
                        profile.dated(record.published_at, record.published_precision) if profile else None
                    )
                    story, merged = self._story(record, previous, dated)
                    record = record.model_copy(update={"story_id": story})
                    outcome = outcome_of(verdict, record.on_topic)
                    pipe.multi()
                    if also is not None:
                        also(pipe)
                    if outcome != "unchanged":  # an unchanged article changes nothing, counters included
                        self._write(pipe, record, fps, previous, dict(zip(buckets, bucket_ids, strict=True)))
                        self._merge_stories(pipe, merged, story, record.id)
                        self._write_story(pipe, record, dated)
                        pipe.hincrby(self.k("stats"), outcome, 1)
                    pipe.execute()
                    return Saved(record=record, outcome=outcome)
                except redis.WatchError:
                    continue

    # --- stories -------------------------------------------------------------------------------------

    def _story_index(self, profile: StoryProfile, kind: str) -> dict[str, str]:
        return {key: self.k("story", kind, key) for key in profile.index_keys()}

    def story_root(self, story_id: str | None) -> str | None:
        """The story a story id now stands for: itself, or the story it was merged into."""
        seen = 0
        while story_id is not None and seen < 64:
            parent = self.r.hget(self.k("story", "parent"), story_id)
            if not parent or parent == story_id:
                return story_id
            story_id, seen = parent, seen + 1
        return story_id

    def _story(
        self, record: Record, previous: Record | None, profile: StoryProfile | None
    ) -> tuple[str | None, list[str]]:
        """The story a record belongs to, and the stories it bridges (to merge into that one).

        A copy takes its original's story, a revision keeps its own. An on-topic article is linked
        to every earlier article ``related`` to it (found through the names and entities they share,
        within its date's window); its story is the one of smallest id among theirs and its own.
        """
        joined: set[str] = set()
        if record.dedup.status in ("duplicate", "near_duplicate"):
            original = self.get(record.dedup.duplicate_of or "")
            if original is None or original.story_id is None:
                return None, []
            joined.add(original.story_id)  # and, like any report, whatever else it is related to
        elif previous is not None and previous.story_id:
            return self.story_root(previous.story_id), []
        if not record.on_topic or profile is None:
            return (min(joined) if joined else None), []
        reads = self.r.pipeline(transaction=False)
        lo, hi = story_window(record.sort_time, record.published_precision) if profile.at else (0, 0)
        for key in profile.index_keys():
            if profile.at is not None:
                reads.zrangebyscore(self.k("story", "key", key), lo, hi, start=0, num=STORY_CANDIDATES)
            else:
                reads.zrevrange(self.k("story", "key", key), 0, STORY_CANDIDATES - 1)
            reads.zrevrange(self.k("story", "keyu", key), 0, STORY_CANDIDATES - 1)
        ids = sorted({i for found in reads.execute() for i in found} - {record.id})
        profiles = [
            StoryProfile.from_json(raw)
            for raw in (self.r.mget([self.k("story", "prof", i) for i in ids]) if ids else [])
            if raw
        ]
        roots = joined | {
            root for p in profiles if p.story and related(profile, p) if (root := self.story_root(p.story))
        }
        story = min([*roots, record.id])
        return story, sorted(r for r in roots if r != story)

    def _merge_stories(
        self, pipe: redis.client.Pipeline, merged: list[str], into: str | None, by: str
    ) -> None:
        """Join bridged stories into one: members, indexes, events, alerts; the merge is recorded."""
        if not merged or into is None:
            return
        k = self.k
        titles = [self.r.hmget(k("story", sid), ["title_rank", "title"]) for sid in (into, *merged)]
        for sid in merged:
            pipe.hset(k("story", "parent"), sid, into)
            pipe.zunionstore(
                k("story", into, "members"), [k("story", into, "members"), k("story", sid, "members")]
            )
            pipe.delete(k("story", sid, "members"))
            for idx, agg in ((k.idx("stories"), "MAX"), (k.idx("stories", "first"), "MIN")):
                score = self.r.zscore(idx, sid)
                if score is not None:
                    pipe.zadd(idx, {into: score}, gt=agg == "MAX", lt=agg == "MIN")
                    pipe.zrem(idx, sid)
            for etype in self.r.smembers(k("story", sid, "events")):
                score = self.r.zscore(k.idx("stories", "event", etype), sid)
                pipe.zadd(k.idx("stories", "event", etype), {into: score or 0}, gt=True)
                pipe.zrem(k.idx("stories", "event", etype), sid)
            pipe.sunionstore(
                k("story", into, "events"), [k("story", into, "events"), k("story", sid, "events")]
            )
            pipe.sunionstore(
                k("alerts", "story", into), [k("alerts", "story", into), k("alerts", "story", sid)]
            )
            pipe.lpush(
                k("story", "merges"),
                json.dumps({"from": sid, "into": into, "by": by, "at": datetime.now(UTC).isoformat()}),
            )
            pipe.delete(k("story", sid))
        pipe.ltrim(k("story", "merges"), 0, MERGES_KEEP - 1)
        ranked = sorted((rank, title) for rank, title in titles if rank and title is not None)
        if ranked:  # the merged story's title: the lowest-ranked of theirs
            pipe.hset(k("story", into), mapping={"title_rank": ranked[0][0], "title": ranked[0][1]})
        log.info("stories_merged", into=into, merged=merged, record_id=by)

    def _write_story(self, pipe: redis.client.Pipeline, record: Record, profile: StoryProfile | None) -> None:
        if record.story_id is None:
            return
        t = record.sort_time.timestamp()
        sid = record.story_id
        k = self.k
        pipe.zadd(k("story", sid, "members"), {record.id: t})
        pipe.zadd(k.idx("stories"), {sid: t}, gt=True)
        pipe.zadd(k.idx("stories", "first"), {sid: t}, lt=True)
        if profile is not None and record.on_topic:
            filed = replace(profile, story=sid)
            pipe.set(k("story", "prof", record.id), filed.to_json())
            # a day-precise date is looked up in its window; the others by every later article
            kind = "key" if profile.at is not None and profile.precision == "day" else "keyu"
            for zkey in self._story_index(profile, kind).values():
                pipe.zadd(zkey, {record.id: profile.at if profile.at is not None and kind == "key" else t})
        if record.dedup.status not in ("unique", "revision"):
            return
        pipe.eval(_TITLE_IF_LOWER, 1, k("story", sid), title_rank(record), record.title or "")
        for etype in {e.type for e in record.events}:
            pipe.sadd(k("story", sid, "events"), etype)
            pipe.zadd(k.idx("stories", "event", etype), {sid: t}, gt=True)

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
        fields: list[str] = []
        for (_, field), value in buckets.items():
            members = [i for i in (value or "").split() if i != record.id][-(BUCKET_KEEP - 1) :]
            fields += [field, " ".join([*members, record.id])]
        pipe.eval(_HSET_EACH, len(buckets), *(key for key, _ in buckets), *fields)
        leaves = [] if record.on_topic else [k.idx("ontopic")]
        if previous is not None:
            pipe.lpush(k.history(record.id), previous.model_dump_json())
            pipe.ltrim(k.history(record.id), 0, HISTORY_KEEP - 1)
            leaves += self._index_keys(previous)
        if leaves:
            pipe.eval(_ZREM_EACH, len(leaves), *leaves, record.id)
        joins = [k.idx("time"), k.idx("source", record.source), *self._index_keys(record)]
        if record.on_topic:
            joins.append(k.idx("ontopic"))
        pipe.eval(_ZADD_EACH, len(joins), *joins, record.sort_time.timestamp(), record.id)
        pipe.xadd(
            k("stream", "records"),
            {"id": record.id, "status": status, "revision": record.revision},
            maxlen=STREAM_MAXLEN,
            approximate=True,
        )

    def _index_keys(self, record: Record) -> list[str]:
        """The index sets a record stands in by what it says: its events, its entities and its
        search terms (pipeline/terms.py: text search answers from these)."""
        k = self.k
        return [
            *(k.idx("event", e.type) for e in record.events),
            *(k.idx("entity", e.id) for e in record.entities),
            *(k.idx("term", term) for term in terms(record)),
        ]

    # --- reading -------------------------------------------------------------------------------------

    def get(self, id: str) -> Record | None:
        raw = self.r.get(self.k.article(id))
        if not raw:
            return None
        return self.current_story(Record.model_validate_json(raw))

    def current_story(self, rec: Record) -> Record:
        """The record with the story it now belongs to (its story may have been merged since)."""
        root = self.story_root(rec.story_id)
        return rec if root == rec.story_id else rec.model_copy(update={"story_id": root})

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
            index = self.k("story", self.story_root(story) or story, "members")
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
                rec = self.current_story(Record.model_validate_json(raw))
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
        """What the corpus holds: records, on-topic records, copies, revisions, alerts, records per
        event; and the items that failed (``errors``) or were set aside (``rejected``), by code."""
        counters = {k: int(v) for k, v in self.r.hgetall(self.k("stats")).items()}
        events = {
            key.rsplit(":", 1)[1]: int(self.r.zcard(key))
            for key in self.r.scan_iter(match=self.k.idx("event", "*"), count=1000)
        }
        failed: Counter[str] = Counter()
        for raw in self.r.hvals(self.k("failed")):
            value = json.loads(raw)
            kind = "errors" if value["outcome"] == "error" else "rejected"
            failed[kind] += 1
            failed[f"{kind}_{value['code']}"] += 1
        return {
            "records": int(self.r.zcard(self.k.idx("time"))),
            "on_topic": int(self.r.zcard(self.k.idx("ontopic"))),
            "duplicates": counters.get("duplicate", 0) + counters.get("near_duplicate", 0),
            "revisions": counters.get("revision", 0),
            "alerts": int(self.r.zcard(self.k("alerts", "index"))),
            **{f"event_{name}": n for name, n in sorted(events.items())},
            "errors": failed.pop("errors", 0),
            "rejected": failed.pop("rejected", 0),
            **dict(sorted(failed.items())),
        }

    # --- failed items ----------------------------------------------------------------------------------

    def note_outcome(
        self,
        key: str,
        outcome: str,
        detail: str = "",
        *,
        where: str = "",
        payload: dict[str, Any] | None = None,
        pipe: Any = None,
    ) -> None:
        """Remember an item that failed or was rejected (``key``: ``item:{id}``, ``entry:{id}``,
        ``input:{id}``), with its input when it can be run again; forget it once it succeeds."""
        own = pipe is None
        pipe = pipe if pipe is not None else self.r.pipeline(transaction=True)
        if outcome in ("error", "rejected"):
            code = detail.split(":", 1)[0].strip() if ":" in detail else outcome
            at = datetime.now(UTC)
            value = {"outcome": outcome, "code": code or outcome, "detail": detail, "where": where}
            pipe.hset(self.k("failed"), key, json.dumps({**value, "at": at.isoformat()}))
            pipe.zadd(self.k("failed", "at"), {key: at.timestamp()})
            if payload is not None and outcome == "error":  # a rejection would be rejected again
                pipe.set(self.k("failed", "payload", key), json.dumps(payload), ex=FAILED_KEEP_S)
        else:
            pipe.hdel(self.k("failed"), key)
            pipe.zrem(self.k("failed", "at"), key)
            pipe.delete(self.k("failed", "payload", key))
        if own:
            pipe.execute()

    def failures(
        self, *, since: datetime | None = None, outcome: str | None = "error", limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Failed items, newest first: key, outcome, code, detail, where, at, retryable."""
        low = since.timestamp() if since else "-inf"
        keys = self.r.zrevrangebyscore(self.k("failed", "at"), "+inf", low)
        found = []
        for key, raw in zip(keys, self.r.hmget(self.k("failed"), keys) if keys else [], strict=True):
            if raw is None:
                continue
            value = json.loads(raw)
            if outcome is not None and value["outcome"] != outcome:
                continue
            found.append({"key": key, **value})
            if len(found) >= limit:
                break
        return found

    def failed_payload(self, key: str) -> dict[str, Any] | None:
        raw = self.r.get(self.k("failed", "payload", key))
        return json.loads(raw) if raw else None

    # --- work items ----------------------------------------------------------------------------------

    # A work item's payload is kept per run: two replays of one backlog at once each have their own.

    def put_item(self, run_id: str, item_id: str, raw: str, ttl_s: int, body: bytes | None = None) -> None:
        """Keep a work item until a worker takes it: its JSON and, apart, its page's bytes
        (``workers.replay.serialized``)."""
        key = self.k("item", run_id, item_id)
        with self.r.pipeline(transaction=True) as pipe:
            pipe.set(key, raw, ex=ttl_s)
            if body is not None:
                pipe.set(f"{key}:html", body, ex=ttl_s)
            pipe.execute()

    def get_item(self, run_id: str, item_id: str) -> tuple[bytes, bytes | None] | None:
        """A work item's JSON and its page's bytes, as ``put_item`` kept them (``workers.replay.restored``
        makes the item of them); None when it is gone."""
        key = self.k("item", run_id, item_id)
        with self.binary.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.get(f"{key}:html")
            raw, body = pipe.execute()
        return (raw, body) if raw else None

    def finish_item(
        self,
        item_id: str,
        run_id: str,
        outcome: str,
        detail: str = "",
        alerts: int = 0,
        *,
        payload: dict[str, Any] | None = None,
        failure_key: str | None = None,
        remember: bool = True,
        also: Callable[[redis.client.Pipeline], object] | None = None,
    ) -> None:
        """Record a work item's outcome on its run and drop its payload; a failed item is remembered
        (``newswatch errors``) with its payload, so that ``replay --retry-errors`` can run it again.
        ``also(pipe)`` queues the caller's writes in the same round trip (the message's metrics)."""
        with self.r.pipeline(transaction=True) as pipe:
            if also is not None:
                also(pipe)
            value = json.dumps({"outcome": outcome, "detail": detail, "alerts": alerts})
            pipe.hset(self.k("run", run_id), item_id, value)
            pipe.expire(self.k("run", run_id), 7 * 24 * 3600)
            pipe.delete(self.k("item", run_id, item_id), self.k("item", run_id, item_id, "html"))
            if remember:
                key = failure_key or f"item:{item_id}"
                self.note_outcome(key, outcome, detail, payload=payload, pipe=pipe)
            pipe.execute()

    def note_where(self, places: dict[str, str]) -> None:
        """Say where failed items were read (``item:{id}`` -> file and line), for ``newswatch errors``."""
        keys = list(places)
        if not keys:
            return
        with self.r.pipeline(transaction=False) as pipe:
            for key, raw in zip(keys, self.r.hmget(self.k("failed"), keys), strict=True):
                if raw is not None:
                    pipe.hset(self.k("failed"), key, json.dumps({**json.loads(raw), "where": places[key]}))
            pipe.execute()

    def run_outcomes(self, run_id: str) -> dict[str, dict[str, Any]]:
        return {k: json.loads(v) for k, v in self.r.hgetall(self.k("run", run_id)).items()}

    def run_done(self, run_id: str) -> int:
        return int(self.r.hlen(self.k("run", run_id)))
