"""Deduplication end to end, on the real Redis: races, and a backlog of copies, reprints and edits."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pipeline.clean import article_from_text
from tests.conftest import synthetic_text
from workers.app import App
from workers.process import process_article
from workers.replay import replay
from workers.runner import workers

NEWS = (
    "A court in Moscow extended the custody of South Korean citizen {n} on spying charges, Russian media reported.\n"
    "Seoul's foreign ministry said it was giving consular help and pressed Russia for access to the detainee.\n"
    "South Korea and Russia have argued over the case for weeks; South Korean diplomats in Moscow raised it again.\n"
)


def test_two_workers_racing_on_two_copies_store_one_unique_and_one_near_duplicate(nw: App) -> None:
    for trial in range(100):
        body = NEWS.format(n=trial) + synthetic_text(trial)
        copies = [
            (f"https://wire.example/{trial}", body),
            (
                f"https://reprint.example/world/{trial}",
                "Reprinted from the wire\n"
                + body
                + "\nSubscribe to our daily newsletter for more world news every morning.",
            ),
        ]
        barrier = threading.Barrier(2)
        outcomes: list[tuple[str, str | None]] = []

        def work(
            url: str, text: str, b: threading.Barrier = barrier, out: list[tuple[str, str | None]] = outcomes
        ) -> None:
            b.wait()
            saved = process_article(nw, article_from_text(url=url, text=text), alerts=False)
            out.append((saved.record.dedup.status, saved.record.dedup.duplicate_of))

        threads = [threading.Thread(target=work, args=c) for c in copies]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        kinds = sorted(o for o, _ in outcomes)
        assert kinds == ["near_duplicate", "unique"], (trial, outcomes)
    stats = nw.store.stats()
    assert stats["records"] == 100 and stats["duplicates"] == 100


def test_a_backlog_of_tracking_amp_reprinted_and_edited_copies(nw: App, tmp_path: Path) -> None:
    lines = []
    for n in range(3):
        body = NEWS.format(n=n) + synthetic_text(100 + n, sentences=3)
        base = f"https://www.wire.example/news/2024/03/story-{n}"
        lines += [
            {"url": base, "text": body, "title": f"Custody extended for citizen {n}", "source": "Wire"},
            {"url": base + f"?utm_source=rss&utm_campaign=c{n}&fbclid=x{n}", "text": body, "source": "Wire"},
            {"url": f"https://amp.wire.example/news/2024/03/story-{n}/amp", "text": body, "source": "Wire"},
            {
                "url": f"https://m.wire.example/news/2024/03/story-{n}#comments",
                "text": body,
                "source": "Wire",
            },
            {
                "url": f"https://harbor.example/world/story-{n}",
                "source": "Harbor Times",
                "text": "HARBOR TIMES world desk\n"
                + body
                + "\nFollow the Harbor Times on every social network you use today.",
            },
        ]
        edited = body.replace("pressed Russia for access", "asked Russia again for access")
        lines.append({"url": base + "?utm_medium=email", "text": edited, "source": "Wire"})
    backlog = tmp_path / "copies.jsonl"
    backlog.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    with workers(nw, threads=1, queues={"articles", "alerts"}):  # one thread: the order of the file holds
        summary = replay(nw, [backlog]).summary()
    assert summary["stored"] == 3
    assert summary["unchanged"] == 9  # tracking, AMP and mobile URLs are the same article
    assert summary["near_duplicates"] == 3
    assert summary["revisions"] == 3

    originals = list(nw.store.search(limit=10))
    assert len(originals) == 3
    for record in originals:
        assert record.revision == 1 and "asked Russia again" in record.text
        assert [h.revision for h in nw.store.history(record.id)] == [0]
        copies = nw.store.copies(record.id)
        assert [(c.source, c.dedup.status) for c in copies] == [("Harbor Times", "near_duplicate")]
        assert copies[0].text == ""  # a pointer, not a second full copy
        assert copies[0].story_id == record.story_id
