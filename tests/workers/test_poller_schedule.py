"""One feed polled again and again against a local server: validators, identity, prefilter, backoff."""

from __future__ import annotations

import gzip
import itertools
import random
import time
from datetime import UTC, datetime

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.schema import FeedConfig, FeedsFile
from pipeline.errors import FetchTimeout
from pipeline.models import FeedEntry
from workers.app import App
from workers.feed_health import feed_health
from workers.poller import (
    cache_max_age_s,
    enable,
    enqueue_due,
    next_interval_s,
    poll,
    publishing_gap_s,
    sync_feeds,
)


def rss(items: list[tuple[str, str, str]], ttl: int | None = None) -> str:
    """items: (guid, link, title)."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{g}</guid><link>{link}</link><title>{t}</title>"
        f"<pubDate>Mon, 0{n + 1} Jul 2024 09:00:00 +0000</pubDate></item>"
        for n, (g, link, t) in enumerate(items)
    )
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{ttl_el}{body}</channel></rss>"


ITEMS = [
    ("g1", "https://outlet.example/1", "Moscow court extends custody of South Korean pastor"),
    ("g2", "https://outlet.example/2", "Seoul summons Russian ambassador"),
]


def use_feeds(nw: App, *feeds: FeedConfig) -> None:
    nw.config = nw.config.model_copy(update={"feeds": FeedsFile(feeds=list(feeds))})
    sync_feeds(nw)


def state(nw: App, feed: FeedConfig) -> dict[str, str]:
    return dict(nw.redis.hgetall(nw.store.k("feed", feed.id)))


def test_second_poll_sends_validators_and_a_304_costs_nothing(nw: App, httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(
            rss(ITEMS),
            content_type="application/rss+xml",
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jul 2024 09:00:00 GMT"},
        )

    httpserver.expect_request("/feed").respond_with_handler(handler)
    feed = FeedConfig(url=httpserver.url_for("/feed"), name="F")
    use_feeds(nw, feed)
    assert poll(nw, feed.id) == "ok"
    assert poll(nw, feed.id) == "not_modified"
    assert seen[1]["If-None-Match"] == '"v1"'
    assert seen[1]["If-Modified-Since"] == "Mon, 01 Jul 2024 09:00:00 GMT"
    s = state(nw, feed)
    assert s["entries_seen"] == "2" and s["last_status"] == "not_modified" and s["polls"] == "2"


def test_same_body_without_validators_is_not_parsed_again(nw: App, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(rss(ITEMS), content_type="application/rss+xml")
    feed = FeedConfig(url=httpserver.url_for("/feed"), name="F")
    use_feeds(nw, feed)
    assert poll(nw, feed.id) == "ok"
    assert poll(nw, feed.id) == "unchanged"


def test_an_entry_is_new_once_whatever_the_feed_does(nw: App, httpserver: HTTPServer) -> None:
    versions = [
        rss(ITEMS),
        rss(list(reversed(ITEMS))),  # reordered
        rss([("rewritten-1", ITEMS[0][1] + "?utm_source=rss", ITEMS[0][2]), ITEMS[1]]),  # GUID rewritten
        rss([*ITEMS, ("g3", "https://outlet.example/3", "Russia and South Korea hold talks")]),
    ]
    httpserver.expect_request("/feed").respond_with_handler(
        lambda _r: Response(versions.pop(0), content_type="application/rss+xml")
    )
    feed = FeedConfig(url=httpserver.url_for("/feed"), name="F")
    use_feeds(nw, feed)
    news = []
    for _ in range(4):
        poll(nw, feed.id)
        news.append(int(state(nw, feed)["last_new"]))
    assert news == [2, 0, 0, 1]
    assert state(nw, feed)["entries_seen"] == "3"
    queued = nw.redis.lrange(nw.store.k("feedpoll", feed.id), 0, -1)
    assert [FeedEntry.model_validate_json(nw.redis.get(nw.store.k("entry", i))).title for i in queued] == [
        "Russia and South Korea hold talks"
    ]


def test_prefilter_skips_clearly_off_topic_entries(nw: App, httpserver: HTTPServer) -> None:
    items = [*ITEMS, ("g9", "https://outlet.example/9", "Local football club wins the cup")]
    httpserver.expect_request("/general").respond_with_data(rss(items), content_type="application/rss+xml")
    httpserver.expect_request("/topic").respond_with_data(rss(items), content_type="application/rss+xml")
    general = FeedConfig(url=httpserver.url_for("/general"), name="General", prefilter=True)
    topic = FeedConfig(url=httpserver.url_for("/topic"), name="Search", prefilter=False)
    use_feeds(nw, general, topic)
    poll(nw, general.id)
    poll(nw, topic.id)
    assert (state(nw, general)["last_new"], state(nw, general)["entries_skipped"]) == ("2", "1")
    assert (state(nw, topic)["last_new"], state(nw, topic)["entries_skipped"]) == ("3", "0")


def test_429_with_retry_after_is_not_polled_before_it(nw: App, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("busy", status=429, headers={"Retry-After": "3600"})
    feed = FeedConfig(url=httpserver.url_for("/feed"), name="F")
    use_feeds(nw, feed)
    started = time.time()
    assert enqueue_due(nw) == [feed.id]
    nw.redis.delete(nw.store.k("lease", feed.id))  # no worker here: we poll by hand
    assert poll(nw, feed.id) == "error"
    s = state(nw, feed)
    assert "http_429" in s["last_error"] and float(s["hold_until"]) >= started + 3600
    assert enqueue_due(nw, force=True) == []  # not even `run --once` polls it early
    assert enqueue_due(nw, now=started + 1800) == []
    assert enqueue_due(nw, now=started + 3700) == [feed.id]
    assert len(httpserver.log) == 1


def test_failures_back_off_then_disable_the_feed_visibly(nw: App, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("down", status=503)
    feed = FeedConfig(url=httpserver.url_for("/feed"), name="Flaky", min_interval_s=60)
    use_feeds(nw, feed)
    delays = []
    for _ in range(4):
        before = time.time()
        poll(nw, feed.id, rng=random.Random(1))
        delays.append(nw.redis.zscore(nw.store.k("feeds", "due"), feed.id) - before)
    assert all(b > a * 1.4 for a, b in itertools.pairwise(delays))  # exponential
    s = state(nw, feed)
    assert s["consecutive_errors"] == "4" and "HTTP 503" in s["last_error"]
    # the feed has failed for four days now: the next failure disables it, and it says so
    nw.redis.hset(
        nw.store.k("feed", feed.id), mapping={"first_error_at": time.time() - 4 * 86400, "failure_score": 10}
    )
    assert poll(nw, feed.id) == "disabled"
    row = next(r for r in feed_health(nw) if r["id"] == feed.id)
    assert row["disabled"] and row["last_status"] == "disabled" and "HTTP 503" in row["last_error"]
    sync_feeds(nw)
    assert nw.redis.zscore(nw.store.k("feeds", "due"), feed.id) is None
    assert enable(nw, feed.id) and enqueue_due(nw) == [feed.id]


def test_hostile_feed_is_recorded_with_its_reason(nw: App, httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * (40 * 1024 * 1024))
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    httpserver.expect_request("/html").respond_with_data("<html><body>Not a feed</body></html>")
    nw.http.max_bytes = 1024 * 1024
    bombed = FeedConfig(url=httpserver.url_for("/bomb"), name="Bomb")
    html = FeedConfig(url=httpserver.url_for("/html"), name="Html")
    use_feeds(nw, bombed, html)
    poll(nw, bombed.id)
    poll(nw, html.id)
    assert state(nw, bombed)["last_error"].startswith("too_large: body over 1048576 bytes after decoding")
    assert state(nw, html)["last_error"].startswith("parse: not a feed")


def test_malformed_feed_is_used_and_its_problem_shown(nw: App, httpserver: HTTPServer) -> None:
    broken = rss(ITEMS).replace("</channel></rss>", "<item><title>Unclosed & bad")
    httpserver.expect_request("/feed").respond_with_data(broken, content_type="application/rss+xml")
    feed = FeedConfig(url=httpserver.url_for("/feed"), name="F")
    use_feeds(nw, feed)
    assert poll(nw, feed.id) == "ok"
    row = next(r for r in feed_health(nw) if r["id"] == feed.id)
    assert row["last_new"] == 2 and row["last_problem"] and row["last_error"] is None


def test_interval_adapts_within_bounds_and_honours_the_server() -> None:
    feed = FeedConfig(url="https://x.example/f", name="F", min_interval_s=60, max_interval_s=3600)
    assert next_interval_s(feed, 600, new_entries=3, gap_s=None, server_min_s=None) == 300
    assert next_interval_s(feed, 600, new_entries=3, gap_s=200, server_min_s=None) == 100
    assert next_interval_s(feed, 600, new_entries=0, gap_s=None, server_min_s=None) == 900
    assert next_interval_s(feed, 3000, new_entries=0, gap_s=None, server_min_s=None) == 3600
    assert next_interval_s(feed, 70, new_entries=5, gap_s=10, server_min_s=None) == 60
    assert next_interval_s(feed, 600, new_entries=3, gap_s=None, server_min_s=1800) == 1800  # max-age, <ttl>
    assert next_interval_s(feed, 600, new_entries=3, gap_s=None, server_min_s=86400) == 3600
    assert cache_max_age_s("public, max-age=900") == 900
    assert cache_max_age_s("max-age=900, s-maxage=60") == 60
    assert cache_max_age_s("no-store, max-age=900") is None
    entries = tuple(
        FeedEntry(
            feed_id="f",
            entry_id=str(h),
            url="https://x.example/",
            published_at=datetime(2024, 7, 1, h, tzinfo=UTC),
        )
        for h in (1, 3, 5, 7)
    )
    assert publishing_gap_s(entries) == 7200


def test_a_poll_with_a_dead_deadline_is_a_timeout(nw: App, httpserver: HTTPServer) -> None:
    def slow(_r: Request) -> Response:
        time.sleep(1.5)
        return Response(rss(ITEMS))

    httpserver.expect_request("/slow").respond_with_handler(slow)
    nw.http.timeout_s = 0.5
    feed = FeedConfig(url=httpserver.url_for("/slow"), name="Slow")
    use_feeds(nw, feed)
    assert poll(nw, feed.id) == "error"
    assert state(nw, feed)["last_error"].startswith(f"{FetchTimeout.code}: deadline of 0.5 s passed")
