"""Failures visible and repairable: `stats` counts them by code, `errors` lists them with their
reasons, `replay --retry-errors` runs them again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from tests.faults.checks import no_record_doubled
from tests.faults.conftest import cli
from tests.faults.test_markup import page_html
from workers.app import App
from workers.poller import enqueue_due, sync_feeds
from workers.replay import replay
from workers.runner import drain, workers

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Court extends custody of South Korean</title><link>{base}/flaky</link><guid>flaky</guid></item>
<item><title>Embassy asks for consular visit</title><link>{base}/fine</link><guid>fine</guid></item>
</channel></rss>"""


def test_failures_are_counted_listed_and_run_again(
    settings: Settings, env: dict[str, str], httpserver: HTTPServer, tmp_path: Path
) -> None:
    base = httpserver.url_for("").rstrip("/")
    down = {"flaky": True}

    def handler(request: Request) -> Response:
        if request.path.endswith("rss.xml"):
            return Response(FEED.replace("{base}", base), content_type="application/rss+xml")
        if request.path == "/flaky" and down["flaky"]:
            return Response("busy", status=503)
        story = (
            f"Embassy staff asked again for a visit to the detained South Korean in Moscow ({request.path}). "
            * 3
        )
        return Response(page_html("Page", "A. Writer", "Wire", story, story=story), content_type="text/html")

    httpserver.expect_request("").respond_with_handler(handler)
    backlog = tmp_path / "bad.jsonl"
    backlog.write_text('{"url": "https://x.example/1", "html": 5}\nnot json\n')
    with App.open(settings) as nw:
        nw.config = nw.config.model_copy(
            update={"feeds": FeedsFile(feeds=[FeedConfig(url=f"{base}/rss.xml", name="Wire")])}
        )
        with workers(nw, threads=2):
            sync_feeds(nw)
            enqueue_due(nw, force=True)
            drain(nw, timeout_s=120)
            replay(nw, [backlog], timeout_s=60)
        stats = nw.store.stats()
    assert stats["errors"] == 3 and stats["errors_http_503"] == 1 and stats["errors_bad_input"] == 2, stats

    env = {**env, "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true", "NEWSWATCH_LOG_LEVEL": "ERROR"}
    listed = cli(env, "errors", "--json")
    assert listed.returncode == 0, listed.stderr
    failures = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(f["code"] for f in failures) == ["bad_input", "bad_input", "http_503"]
    flaky = next(f for f in failures if f["code"] == "http_503")
    assert flaky["where"] == f"{base}/flaky" and "503" in flaky["detail"]
    assert any(f["where"].endswith("bad.jsonl:2") and "not JSON" in f["detail"] for f in failures)

    down["flaky"] = False  # the site is back
    again = cli(env, "replay", "--retry-errors", "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    summary = json.loads(again.stdout.splitlines()[-1])
    assert summary["read"] == 1 and summary["stored"] + summary["off_topic"] == 1  # the entry; lines can't
    with App.open(settings) as nw:
        left = nw.store.failures()
        assert sorted(f["code"] for f in left) == ["bad_input", "bad_input"]
        assert nw.store.failures(since=datetime(2999, 1, 1, tzinfo=UTC)) == []
        stats_after = nw.store.stats()
        assert stats_after["errors"] == 2 and "errors_http_503" not in stats_after
        assert {r.url for r in no_record_doubled(nw)} == {f"{base}/flaky", f"{base}/fine"}
