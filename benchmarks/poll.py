"""Polling throughput: 1,000 local feeds, most unchanged, polled in one round by the real poller.

    python benchmarks/poll.py [--feeds 1000] [--changed 0.05] [--threads 8]

A threaded HTTP server on 127.0.0.1 serves the feeds with ETags; a warm-up round
stores every feed's validators, then a share of the feeds publish one new
entry (their ETag changes) and the measured round runs: ``enqueue_due(force)``
and dramatiq workers until the feeds queue is empty (new entries are queued
for the article workers but not processed: this measures polling). Prints
feeds/s and the share of 304s. Target: >= 200 feeds/s on a 2-core machine.

Uses NEWSWATCH_REDIS_URL (default redis://127.0.0.1:6379/0) under a throwaway key prefix.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from config.loader import load_config
from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from workers.app import App
from workers.poller import enqueue_due, sync_feeds
from workers.runner import workers

VERSION: dict[str, int] = {}
STATUS: dict[int, int] = {}
LOCK = threading.Lock()


class Feeds(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        version = VERSION.get(self.path, 0)
        etag = f'"{version}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            status = 304
        else:
            items = "".join(
                f"<item><title>Report {self.path} {n}</title><link>https://wire.example{self.path}/{n}</link>"
                f"<guid>{self.path}/{n}</guid></item>"
                for n in range(version, version + 10)
            )
            body = f"<rss version='2.0'><channel><title>{self.path}</title>{items}</channel></rss>".encode()
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            status = 200
        with LOCK:
            STATUS[status] = STATUS.get(status, 0) + 1


def one_round(nw: App) -> tuple[int, float]:
    started = time.perf_counter()
    sent = enqueue_due(nw, force=True)
    while nw.broker.do_qsize("feeds"):
        time.sleep(0.005)
    return len(sent), time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=0.05, help="share of feeds with a new entry")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    server.daemon_threads = True
    server.request_queue_size = 256
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings = Settings(
        redis_url=os.environ.get("NEWSWATCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        key_prefix=f"nwbench-{uuid.uuid4().hex[:8]}",
        allow_private_addresses=True,
        log_level="WARNING",
    )
    feeds = [
        FeedConfig(url=f"{base}/f/{n}", name=f"feed {n}", min_interval_s=30, max_interval_s=60)
        for n in range(args.feeds)
    ]
    config = load_config(settings.config_dir).model_copy(update={"feeds": FeedsFile(feeds=feeds)})
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    with App.open(settings, config=config) as nw:
        try:
            with workers(nw, threads=args.threads, queues={"feeds"}):
                sync_feeds(nw)
                one_round(nw)  # warm-up: every feed answers 200 and gives its validators
                changed = random.Random(7).sample(range(args.feeds), int(args.feeds * args.changed))
                for n in changed:
                    VERSION[f"/f/{n}"] = 1
                STATUS.clear()
                polled, elapsed = one_round(nw)
        finally:
            keys = list(nw.redis.scan_iter(match=f"{settings.key_prefix}:*", count=1000))
            for i in range(0, len(keys), 500):
                nw.redis.delete(*keys[i : i + 500])
    server.shutdown()
    total = sum(STATUS.values())
    result = {
        "feeds": args.feeds,
        "polled": polled,
        "seconds": round(elapsed, 3),
        "feeds_per_s": round(polled / elapsed, 1),
        "share_304": round(STATUS.get(304, 0) / total, 3) if total else 0.0,
        "threads": args.threads,
        "target_feeds_per_s": 200,
    }
    print(
        f"{polled} feeds polled in {elapsed:.2f} s: {result['feeds_per_s']} feeds/s "
        f"(target >= 200), {result['share_304']:.1%} answered 304 Not Modified"
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
