"""Two poller processes on one Redis, 200 local feeds, several rounds: each feed once a round, never twice at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

from config.settings import DEFAULT_CONFIG_DIR

FEEDS = 200
ROUNDS = 3

POLLER = """
import sys, time
from config.settings import Settings
from workers.app import App
from workers.poller import enqueue_due, sync_feeds
from workers.runner import workers

rounds, base = int(sys.argv[1]), float(sys.argv[2])
with App.open(Settings()) as nw, workers(nw, threads=4):
    sync_feeds(nw)
    for r in range(rounds):
        while int(nw.redis.get(nw.store.k("test", "round")) or -1) < r:
            time.sleep(0.01)
        # round r happens at base + 500 + 1000 r: after a poll a feed is due again 540-990 s later, so
        # a poller arriving late in a round (the other one has polled already) finds nothing due
        sent = enqueue_due(nw, now=base + 500 + 1000 * r)
        nw.redis.incrby(nw.store.k("test", "claimed"), len(sent))
    while nw.redis.get(nw.store.k("test", "stop")) is None:
        time.sleep(0.05)
"""


class Feeds(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    inflight: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    overlaps: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.lock:
            self.inflight[self.path] += 1
            self.hits[self.path] += 1
            if self.inflight[self.path] > 1:
                self.overlaps.append(self.path)
        time.sleep(0.005)  # widen the window in which a second poll would overlap
        etag = f'"{self.path}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        with self.lock:
            self.inflight[self.path] -= 1


@pytest.fixture
def feed_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_two_pollers_poll_each_feed_once_a_round(
    feed_server: str, redis_url: str, prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("topic.toml", "alerts.toml"):
        shutil.copy(DEFAULT_CONFIG_DIR / name, config / name)
    (config / "feeds.toml").write_text(
        "".join(
            f'[[feeds]]\nname = "F{n}"\nurl = "{feed_server}/f/{n}"\nmin_interval_s = 600\nmax_interval_s = 900\n\n'
            for n in range(FEEDS)
        )
    )
    env = {
        **os.environ,
        "NEWSWATCH_REDIS_URL": redis_url,
        "NEWSWATCH_KEY_PREFIX": prefix,
        "NEWSWATCH_CONFIG_DIR": str(config),
        "NEWSWATCH_DATA_DIR": str(tmp_path / "data"),
        "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
        "NEWSWATCH_LOG_LEVEL": "WARNING",
    }
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    base = time.time()
    procs = [
        subprocess.Popen([sys.executable, "-c", POLLER, str(ROUNDS), str(base)], env=env, cwd=Path.cwd())
        for _ in range(2)
    ]
    try:
        from config.feeds import feed_id_for

        ids = [feed_id_for(f"{feed_server}/f/{n}") for n in range(FEEDS)]
        for rnd in range(ROUNDS):
            r.set(f"{prefix}:test:round", rnd)
            deadline = time.monotonic() + 60
            while True:
                with r.pipeline(transaction=False) as pipe:
                    for feed_id in ids:
                        pipe.hget(f"{prefix}:feed:{feed_id}", "polls")
                    polls = [int(p or 0) for p in pipe.execute()]
                if all(p == rnd + 1 for p in polls):
                    break
                assert max(polls) <= rnd + 1, "a feed was polled twice in one round"
                assert time.monotonic() < deadline, f"round {rnd} did not finish: {sum(polls)} polls"
                assert all(p.poll() is None for p in procs), "a poller died"
                time.sleep(0.05)
        time.sleep(0.3)  # let any (wrong) extra poll arrive before counting
        assert Feeds.overlaps == []
        assert Counter(Feeds.hits.values()) == {ROUNDS: FEEDS}
        assert int(r.get(f"{prefix}:test:claimed") or 0) == FEEDS * ROUNDS  # the two split the work
        statuses = Counter(r.hget(f"{prefix}:feed:{i}", "last_status") for i in ids)
        assert statuses == {"not_modified": FEEDS}
    finally:
        r.set(f"{prefix}:test:stop", 1)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        r.close()
