"""Stories end to end: the four seed articles (rewritten in our own words) through the real store."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TESTDATA
from workers.app import App
from workers.replay import replay
from workers.runner import workers

OUTLETS = {"000": "wire.example", "001": "ledger.example", "002": "herald.example", "003": "gazette.example"}


def seed_backlog(tmp_path: Path) -> Path:
    lines = []
    for path in sorted((TESTDATA / "seeds").glob("*.txt")):
        head, _, body = path.read_text().partition("\n\n")
        meta = dict(line.split(": ", 1) for line in head.splitlines())
        n = path.name[:3]
        lines.append(
            {
                "url": f"https://{OUTLETS[n]}/news/{path.stem}",
                "text": body,
                "title": meta["title"],
                "published": meta["published"],
                "source": OUTLETS[n],
            }
        )
    backlog = tmp_path / "seeds.jsonl"
    backlog.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return backlog


def test_two_reports_of_one_arrest_share_a_story_and_two_rows_stay_apart(nw: App, tmp_path: Path) -> None:
    with workers(nw, threads=2, queues={"articles", "alerts"}):
        summary = replay(nw, [seed_backlog(tmp_path)]).summary()
    assert summary["stored"] == 4  # none of them is a copy of another
    by_source = {r.source: r for r in nw.store.search(limit=10)}
    wire, ledger = by_source["wire.example"], by_source["ledger.example"]
    treaty, summons = by_source["herald.example"], by_source["gazette.example"]
    assert wire.dedup.status == ledger.dedup.status == "unique"
    assert wire.story_id is not None and wire.story_id == ledger.story_id
    assert len({wire.story_id, treaty.story_id, summons.story_id}) == 3

    stories = {s["id"]: s for s in nw.store.stories()}
    assert sorted(stories[wire.story_id]["sources"]) == ["ledger.example", "wire.example"]
    assert {r.id for r in nw.store.search(story=wire.story_id)} == {wire.id, ledger.id}
