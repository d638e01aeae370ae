"""The per-source template store: which lines each outlet repeats, counted in Redis.

Keys (prefix ``nw``), per source (``{s}`` is the source's slug):

- ``{p}:tpl:{s}:n``      how many distinct articles of the source were counted
- ``{p}:tpl:{s}:seen``   zset article id -> its number: an article is counted once, however often
  it is processed (a redelivery, a replay, a revision); the newest ``SEEN_KEEP`` are remembered
- ``{p}:tpl:{s}:lines``  zset line fingerprint -> in how many distinct articles it appeared
- ``{p}:tpl:{s}:first``  hash line fingerprint -> the article number it was first counted at

One Lua script counts an article (all of it or nothing, and two workers counting at once
cannot both count it). The line set is bounded: past ``LINES_KEEP * 1.25`` lines the
rarest are dropped down to ``LINES_KEEP``; a template line is in nearly every article,
so it climbs out of the rare end long before it could be dropped. The logic of what is
template lives in pipeline.templates.
"""

from __future__ import annotations

import re
from typing import Any

import redis

from pipeline.models import Article
from pipeline.templates import MIN_ARTICLES, LineCount, SiteTemplates, fingerprints, learnable_lines
from pipeline.urls import article_id, digest
from workers.store import StrRedis

SEEN_KEEP = 5_000
LINES_KEEP = 20_000
LOAD_MAX = 2_000  # template lines loaded per article: the most frequent

_LEARN = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local n = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[1], n, ARGV[1])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
for i = 4, #ARGV do
  local c = tonumber(redis.call('ZINCRBY', KEYS[2], 1, ARGV[i]))
  if c == 1 then redis.call('HSET', KEYS[3], ARGV[i], n) end
end
local keep = tonumber(ARGV[3])
local card = redis.call('ZCARD', KEYS[2])
if card > keep + math.floor(keep / 4) then
  local drop = redis.call('ZRANGE', KEYS[2], 0, card - keep - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, card - keep - 1)
  for i = 1, #drop, 500 do
    redis.call('HDEL', KEYS[3], unpack(drop, i, math.min(i + 499, #drop)))
  end
end
return n
"""

_SLUG = re.compile(r"[^a-z0-9]+")


def source_slug(source: str) -> str:
    """A key-safe name for a source: readable, and unique through a short digest."""
    readable = _SLUG.sub("-", source.lower()).strip("-")[:40]
    return f"{readable}-{digest(source, 8)}"


class TemplateStore:
    """Counts of each source's lines over its distinct articles, in Redis."""

    def __init__(
        self, redis: StrRedis, prefix: str, *, seen_keep: int = SEEN_KEEP, lines_keep: int = LINES_KEEP
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.seen_keep = seen_keep
        self.lines_keep = lines_keep
        self._learn = redis.register_script(_LEARN)

    def key(self, source: str, part: str) -> str:
        return ":".join((self.prefix, "tpl", source_slug(source), part))

    def _keys(self, source: str) -> list[str]:
        return [self.key(source, part) for part in ("seen", "lines", "first", "n")]

    def learn(
        self, source: str, article_key: str, lines: list[str], pipe: redis.client.Pipeline | None = None
    ) -> bool:
        """Count an article's lines for its source; False when this article was counted before.
        With ``pipe``, the count is queued on it (the record's own transaction: no round trip of its
        own) and True returned."""
        keys = self._keys(source)
        args: list[Any] = [article_key, self.seen_keep, self.lines_keep, *fingerprints(lines)]
        if pipe is not None:
            pipe.eval(_LEARN, len(keys), *keys, *args)
            return True
        return bool(self._learn(keys=keys, args=args))

    def learn_article(self, article: Article, pipe: redis.client.Pipeline | None = None) -> bool:
        """Count a cleaned article (its identity is its canonical URL); ``pipe`` as in ``learn``."""
        key = article_id(article.canonical_url)
        return self.learn(article.source, key, learnable_lines(article), pipe)

    def load(self, source: str, *, min_articles: int = MIN_ARTICLES) -> SiteTemplates:
        """The source's lines seen in at least ``min_articles`` articles, with their spans."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrevrangebyscore(
            self.key(source, "lines"), "+inf", min_articles, start=0, num=LOAD_MAX, withscores=True
        )
        pipe.get(self.key(source, "n"))
        hits, n = pipe.execute()
        if not hits:
            return SiteTemplates(source=source)
        total = int(n or 0)
        firsts = self.redis.hmget(self.key(source, "first"), [fp for fp, _ in hits])
        lines = {
            fp: LineCount(articles=int(count), span=max(1, total - int(first or 1) + 1))
            for (fp, count), first in zip(hits, firsts, strict=True)
        }
        return SiteTemplates(source=source, lines=lines)

    def articles(self, source: str) -> int:
        return int(self.redis.get(self.key(source, "n")) or 0)

    def size(self, source: str) -> int:
        """How many lines are counted for the source (bounded by ``lines_keep * 1.25``)."""
        return int(self.redis.zcard(self.key(source, "lines")))
