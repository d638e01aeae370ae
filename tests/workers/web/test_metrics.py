"""/metrics: Prometheus text that counts what every process did, read back with prometheus_client's parser."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from prometheus_client.parser import text_string_to_metric_families
from pytest_httpserver import HTTPServer

from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from tests.conftest import TESTDATA
from tests.workers.test_poll import serve_site
from tests.workers.web.conftest import EXTRA
from workers.app import App
from workers.poller import poll, sync_feeds
from workers.web.server import serving

NEWSWATCH = str(Path(sys.executable).parent / "newswatch")


def scrape(base: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """{sample name: {labels: value}} of one scrape, as Prometheus would parse it."""
    with urlopen(base + "/metrics") as resp:
        assert resp.headers["content-type"].startswith("text/plain; version=")
        text = resp.read().decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return samples


def articles(samples: dict[str, dict[tuple[tuple[str, str], ...], float]]) -> float:
    return sum(samples.get("newswatch_articles_total", {}).values())


def test_counters_rise_while_a_replay_runs_in_another_process(
    settings: Settings, env: dict[str, str], httpserver: HTTPServer
) -> None:
    with App.open(settings) as nw, serving(nw) as base:
        before = scrape(base)
        assert articles(before) == 0
        assert before["newswatch_redis_memory_bytes"][()] > 0
        assert {dict(k)["queue"] for k in before["newswatch_queue_depth"]} == {"alerts", "articles", "feeds"}
        replay = subprocess.Popen(
            [NEWSWATCH, "replay", str(TESTDATA / "backlog.jsonl"), str(EXTRA), "--threads", "2", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen = []
        try:
            while replay.poll() is None:
                seen.append(articles(scrape(base)))
                time.sleep(0.2)
            _, stderr = replay.communicate(timeout=60)
        finally:
            if replay.poll() is None:
                replay.kill()
        assert replay.returncode == 0, stderr[-2000:]
        after = scrape(base)
        seen.append(articles(after))
        assert seen == sorted(seen), "a counter went down"
        assert len(set(seen)) >= 3, f"counts seen while the replay ran: {seen}"  # rose step by step
        assert articles(after) == 15  # every line of the two files, whatever its outcome
        outcomes = {dict(k)["outcome"]: v for k, v in after["newswatch_articles_total"].items()}
        assert outcomes.get("stored", 0) >= 5 and outcomes.get("duplicate", 0) >= 1
        saves = after["newswatch_dedup_decision_seconds_count"][()]
        assert saves == sum(v for o, v in outcomes.items() if o not in ("rejected", "error"))
        cleans = after["newswatch_clean_seconds_count"][()]
        assert cleans >= 1  # the backlog's pages given as HTML went through the cleaner
        buckets = after["newswatch_clean_seconds_bucket"]
        assert buckets[(("le", "+Inf"),)] == cleans
        assert after["newswatch_clean_seconds_sum"][()] > 0

        # polls, by status, from the poller (here in this process)
        seen_headers: list[dict[str, str]] = []
        site = serve_site(httpserver, seen_headers)
        feeds = FeedsFile(
            feeds=[
                FeedConfig(url=f"{site}/seoulledger/rss.xml", name="Seoul Ledger"),
                FeedConfig(url=f"{site}/missing/rss.xml", name="Gone"),
            ]
        )
        nw.config = nw.config.model_copy(update={"feeds": feeds})
        sync_feeds(nw)
        statuses = [poll(nw, f.id) for f in feeds.feeds]
        polls = {dict(k)["status"]: v for k, v in scrape(base)["newswatch_polls_total"].items()}
        assert polls == {statuses[0]: 1, "error": 1} and statuses[1] == "error"
        assert scrape(base)["newswatch_queue_depth"][(("queue", "articles"),)] >= 4  # its entries, queued
