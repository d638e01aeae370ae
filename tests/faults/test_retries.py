"""Retries are quiet (one warning line each, no traceback) and `run --once` gives up on a host
that does not answer after its short retry budget instead of sitting through every retry."""

from __future__ import annotations

import logging
import time

import pytest
import structlog
from pytest_httpserver import HTTPServer

from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from tests.faults.checks import no_alert_under_two_ids, no_record_doubled
from workers.app import App
from workers.cli import feeds as cli_feeds
from workers.runner import workers

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Gone</title>
<item><title>One</title><link>http://nowhere.invalid/1</link><guid>1</guid></item>
<item><title>Two</title><link>http://nowhere.invalid/2</link><guid>2</guid></item>
</channel></rss>"""


def test_run_once_gives_up_on_a_dead_host_within_its_budget_quietly(
    settings: Settings,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    httpserver.expect_request("/rss.xml").respond_with_data(FEED, content_type="application/rss+xml")
    monkeypatch.setattr(cli_feeds, "ONCE_RETRY_BUDGET_S", 4.0, raising=False)
    with App.open(settings.model_copy(update={"max_retries": 10})) as nw:
        feed = FeedConfig(url=httpserver.url_for("/rss.xml"), name="Gone")
        nw.config = nw.config.model_copy(update={"feeds": FeedsFile(feeds=[feed])})
        with (
            caplog.at_level(logging.INFO),
            workers(nw, threads=2),
            structlog.testing.capture_logs() as logs,
        ):
            started = time.monotonic()
            summary = cli_feeds.run_once(nw, timeout_s=120)
            elapsed = time.monotonic() - started
        no_record_doubled(nw)
        no_alert_under_two_ids(nw)
    (row,) = summary["per_feed"]
    assert row["outcomes"] == {"error": 2}  # both entries recorded, none left pending
    # ten retries with backoff would take minutes; the budget ends it (4 s here, 30 s in production)
    assert elapsed < 20, elapsed
    retries = [e for e in logs if e["event"] == "retry_scheduled"]
    assert retries and all(e["log_level"] == "warning" and "exc_info" not in e for e in retries)
    given_up = [e for e in logs if e["event"] == "retries_exhausted"]
    assert len(given_up) == 2
    assert not [r for r in caplog.records if r.exc_info], [
        r.getMessage() for r in caplog.records if r.exc_info
    ]
    assert not [r for r in caplog.records if "unhandled exception" in r.getMessage()]
