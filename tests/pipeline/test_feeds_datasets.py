"""Every feed in ../shared/datasets/feeds through the poller's parsing path: entries or a readable error.

The files are read in place (never copied in); without ../shared the test says so and skips.
Each feedparser test file names the Content-Type its test served it with in a ``Header:`` comment;
it is passed on, as the poller passes the server's.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from pipeline.errors import ParseError
from pipeline.feeds import parse_feed
from tests.conftest import SHARED

FEEDS = SHARED / "datasets" / "feeds"
HEADER = re.compile(rb"Header:\s*Content-type:\s*([^\r\n]+)", re.IGNORECASE)


def dataset_files() -> list[Path]:
    return sorted(
        p
        for p in FEEDS.rglob("*")
        if p.is_file() and p.name not in ("LICENSE", "README.md") and p.suffix != ".md"
    )


@pytest.mark.skipif(not FEEDS.is_dir(), reason=f"{FEEDS} is absent: the feed datasets were not checked")
def test_every_dataset_feed_gives_entries_or_a_readable_error(capsys: pytest.CaptureFixture[str]) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    started = time.monotonic()
    for path in dataset_files():
        data = path.read_bytes()
        folder = "/".join(path.relative_to(FEEDS).parts[:2])
        header = HEADER.search(data[:600])
        one = time.monotonic()
        try:
            feed = parse_feed(
                data,
                feed_id="dataset",
                base_url="https://feeds.example/",
                content_type=header.group(1).decode("latin-1").strip() if header else None,
            )
        except ParseError as exc:
            assert str(exc).startswith("not a feed: ") and len(str(exc)) > len("not a feed: "), path
            counts[(folder, "error")] += 1
        else:
            counts[(folder, "entries" if feed.entries else "empty feed")] += 1
            assert all(e.url.startswith(("http://", "https://")) for e in feed.entries), path
        assert time.monotonic() - one < 5, f"{path} took too long"
    assert time.monotonic() - started < 60
    assert sum(counts.values()) > 2000
    assert counts[("real/rss-parser", "entries")] >= 25 and counts[("real/miniflux", "entries")] >= 9
    with capsys.disabled():
        for (folder, kind), n in sorted(counts.items()):
            print(f"\n  {folder:24} {kind:11} {n}", end="")
        print()
