"""Polling feeds from a local HTTP server through the real actors and Redis."""

from __future__ import annotations

import time
from pathlib import Path

import structlog
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from workers.app import App
from workers.poller import enqueue_due, sync_feeds
from workers.runner import drain, workers

SITE = Path(__file__).resolve().parents[2] / "workers" / "demo" / "site"


def serve_site(server: HTTPServer, seen_headers: list[dict[str, str]]) -> str:
    base = server.url_for("").rstrip("/")

    def handler(request: Request) -> Response:
        path = SITE / request.path.lstrip("/")
        if not path.is_file():
            return Response("not found", status=404)
        if request.path.endswith("rss.xml"):
            seen_headers.append(dict(request.headers))
            if request.headers.get("If-None-Match") == '"v1"':
                return Response(status=304)
        body = path.read_text().replace("{base}", base)
        ctype = "application/rss+xml" if path.suffix == ".xml" else "text/html; charset=utf-8"
        return Response(body, content_type=ctype, headers={"ETag": '"v1"'})

    server.expect_request("").respond_with_handler(handler)
    return base


def test_poll_stores_articles_then_a_second_poll_gets_304(settings: Settings, httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    base = serve_site(httpserver, seen)
    with App.open(settings) as nw:
        feeds = FeedsFile(
            feeds=[
                FeedConfig(url=f"{base}/seoulledger/rss.xml", name="Seoul Ledger"),
                FeedConfig(url=f"{base}/missing/rss.xml", name="Gone"),
            ]
        )
        nw.config = nw.config.model_copy(update={"feeds": feeds})
        with (
            workers(nw, threads=2),
            structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs,
        ):
            sync_feeds(nw)
            assert sorted(enqueue_due(nw, force=True)) == sorted(f.id for f in feeds.feeds)
            drain(nw, timeout_s=120)
            records = list(nw.store.search(limit=50))
            assert len(records) == 4 and sum(r.on_topic for r in records) == 3
            assert {r.source for r in records} == {"Seoul Ledger"}

            # forced again: the unchanged feed is asked with its validators; the failing one is held
            # back by its backoff (run --once honours backoff), so it is not hammered
            assert enqueue_due(nw, force=True) == [feeds.feeds[0].id]
            drain(nw, timeout_s=120)
        state = nw.redis.hgetall(nw.store.k("feed", feeds.feeds[0].id))
        assert state["last_status"] == "not_modified" and state["entries_seen"] == "4"
        gone = nw.redis.hgetall(nw.store.k("feed", feeds.feeds[1].id))
        assert gone["last_status"] == "error" and "HTTP 404" in gone["last_error"]
        assert gone["consecutive_errors"] == "1" and float(gone["hold_until"]) > time.time() + 60
    assert seen[-1].get("If-None-Match") == '"v1"'
    stored = [e for e in logs if e["event"] == "article_stored"]
    assert len(stored) == 3
    assert all(
        e["actor"] == "process_entry"
        and e["message_id"]
        and e["entry_id"]
        and e["article_id"]
        and e["feed_id"]
        for e in stored
    )
