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


# A bridge: X and Y report one day's happening from two sides and share too little to be joined
# on their own; B tells both and joins them, in whatever order the three come. Z is another story.
BRIDGE = {
    "x": (
        "Seoul imposes export ban on Russian drone parts maker",
        "South Korea banned exports to the Russian drone parts maker Volkov Avia on Tuesday, the trade "
        "ministry in Seoul said. The ministry said the company had shipped parts to North Korea's missile "
        "makers.",
    ),
    "y": (
        "Moscow calls Seoul's move hostile and vows a response",
        "Russia's foreign ministry said on Tuesday that Seoul's measure against Volkov Avia was a hostile "
        "act and promised a response. Moscow summoned no diplomats.",
    ),
    "b": (
        "Seoul imposes export ban on Russian drone parts maker; Moscow calls it hostile and vows a response",
        "South Korea banned exports to the Russian drone parts maker Volkov Avia on Tuesday, and Russia's "
        "foreign ministry called Seoul's measure a hostile act and promised a response.",
    ),
    "z": (
        "Seoul summons Russian envoy over election remarks",
        "South Korea's foreign ministry summoned the Russian ambassador on Friday over remarks by a Russian "
        "diplomat about Seoul's elections, the ministry said.",
    ),
}


def bridge_backlog(tmp_path: Path, order: str) -> Path:
    published = {"x": "2024-05-14", "y": "2024-05-14", "b": "2024-05-14", "z": "2024-05-17"}
    path = tmp_path / f"bridge-{order}.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "url": f"https://{n}.example/news/{n}",
                    "title": BRIDGE[n][0],
                    "text": BRIDGE[n][1],
                    "published": published[n],
                    "source": f"{n}.example",
                }
            )
            + "\n"
            for n in order
        )
    )
    return path


def test_a_bridging_report_merges_two_stories_in_any_order_with_one_alert(
    redis_url: str, tmp_path: Path
) -> None:
    from config.settings import load_settings
    from tests.conftest import wipe

    partitions, alerts = [], []
    for n, order in enumerate(("xyzb", "bzyx", "yxbz")):
        prefix = f"nwtest-bridge-{n}-{tmp_path.name[-8:]}"
        settings = load_settings(redis_url=redis_url, key_prefix=prefix, data_dir=tmp_path / str(n))
        try:
            with App.open(settings) as app, workers(app, threads=1, queues={"articles", "alerts"}):
                replay(app, [bridge_backlog(tmp_path, order)], alerts=True)
                records = {r.source[0]: r for r in app.store.search(limit=10)}
                partitions.append(
                    frozenset(
                        frozenset(k for k, r in records.items() if r.story_id == sid)
                        for sid in {r.story_id for r in records.values()}
                    )
                )
                raised = [
                    json.loads(app.redis.get(app.store.k("alert", key)) or "{}")
                    for key in app.redis.zrange(app.store.k("alerts", "index"), 0, -1)
                ]
                alerts.append(sorted((a["rule"], a["event_type"]) for a in raised))
                if order == "xyzb":  # the bridge came last: the merge is on record
                    merges = [json.loads(m) for m in app.redis.lrange(app.store.k("story", "merges"), 0, -1)]
                    assert [m["by"] for m in merges] == [records["b"].id]
        finally:
            wipe(redis_url, prefix)
    assert partitions[0] == frozenset({frozenset("xyb"), frozenset("z")})
    assert partitions[0] == partitions[1] == partitions[2]
    assert alerts[0] == alerts[1] == alerts[2] == [("sanctions", "sanctions")]
