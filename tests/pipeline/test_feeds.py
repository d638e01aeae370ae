from pathlib import Path

import pytest

from pipeline.errors import ParseError
from pipeline.feeds import parse_feed

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test outlet</title><ttl>30</ttl>
<item><title>Court keeps South Korean in custody</title><link>https://outlet.example/a?utm_source=rss</link>
<guid isPermaLink="false">outlet-1</guid><pubDate>Mon, 11 Mar 2024 09:00:00 +0300</pubDate>
<author>desk@outlet.example (Foreign desk)</author><description>A Moscow court ruled.</description></item>
<item><title>No guid here</title><link>https://outlet.example/b</link></item>
<item><title>Only a title</title></item>
</channel></rss>"""


def test_entries_with_identity_dates_and_ttl() -> None:
    feed = parse_feed(RSS.encode(), feed_id="f1")
    assert feed.title == "Test outlet"
    assert feed.ttl_s == 1800
    assert [e.title for e in feed.entries] == ["Court keeps South Korean in custody", "No guid here"]
    first = feed.entries[0]
    assert first.published_at is not None and first.published_at.isoformat() == "2024-03-11T06:00:00+00:00"
    assert first.guid == "outlet-1"
    assert feed.problem is None


def test_identity_is_stable_and_survives_reordering() -> None:
    once = parse_feed(RSS.encode(), feed_id="f1").entries
    items = RSS.split("<item>")
    reordered = items[0] + "<item>" + items[2].replace("</channel>", "") + "<item>" + items[1]
    if "</channel>" not in reordered:
        reordered += "</channel></rss>"
    again = parse_feed(reordered.encode(), feed_id="f1").entries
    assert {e.entry_id for e in once} == {e.entry_id for e in again}


def test_entry_without_guid_is_known_by_its_canonical_link() -> None:
    a = parse_feed(RSS.encode(), feed_id="f1").entries[1]
    b = parse_feed(
        RSS.replace("https://outlet.example/b", "https://www.outlet.example/b?utm_medium=x").encode(),
        feed_id="f1",
    ).entries[1]
    assert a.entry_id == b.entry_id


def test_malformed_feed_is_used_and_the_problem_kept() -> None:
    broken = RSS.replace(
        "</channel></rss>", "<item><title>Unclosed & bad</title><link>https://outlet.example/c</link>"
    )
    feed = parse_feed(broken.encode(), feed_id="f1")
    assert feed.problem
    assert any(e.url == "https://outlet.example/a?utm_source=rss" for e in feed.entries)


def test_not_a_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"\x00\x01 this is no feed at all", feed_id="f1")


def test_demo_feeds_parse(tmp_path: Path) -> None:
    site = Path(__file__).resolve().parents[2] / "workers" / "demo" / "site"
    for rss in site.glob("*/rss.xml"):
        data = rss.read_text().replace("{base}", "http://127.0.0.1:9").encode()
        feed = parse_feed(data, feed_id=rss.parent.name)
        assert feed.entries, rss
        assert all(e.published_at for e in feed.entries)
