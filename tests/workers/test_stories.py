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


def report_backlog(path: Path, reports: dict[str, tuple[str, str, str]], order: str) -> Path:
    """Reports by letter (published, title, text) as a JSONL backlog, in the order given, each
    from an outlet of its own (``{letter}.example``)."""
    path.write_text(
        "".join(
            json.dumps(
                {
                    "url": f"https://{n}.example/news/{n}",
                    "title": reports[n][1],
                    "text": reports[n][2],
                    "published": reports[n][0],
                    "source": f"{n}.example",
                }
            )
            + "\n"
            for n in order
        )
    )
    return path


def bridge_backlog(tmp_path: Path, order: str) -> Path:
    published = {"x": "2024-05-14", "y": "2024-05-14", "b": "2024-05-14", "z": "2024-05-17"}
    reports = {n: (published[n], *BRIDGE[n]) for n in BRIDGE}
    return report_backlog(tmp_path / f"bridge-{order}.jsonl", reports, order)


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


DEMO_SITE = Path(__file__).resolve().parents[2] / "workers" / "demo" / "site"


def demo_backlog(tmp_path: Path, seed: int) -> Path:
    """The demo site's pages (five outlets, three languages, a wire reprint, pages off the subject)
    as one JSONL backlog, in an order shuffled by ``seed``."""
    import random

    lines = []
    for page in sorted(DEMO_SITE.rglob("*.html")):
        outlet, *rest = page.relative_to(DEMO_SITE).parts
        base = f"https://{outlet}.example"
        html = page.read_text().replace("{base}", base)
        lines.append({"url": f"{base}/{'/'.join(rest)}", "html": html, "source": outlet})
    random.Random(seed).shuffle(lines)
    path = tmp_path / f"demo-{seed}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_backlog_in_three_orders_gives_the_same_stories_alerts_and_case_steps(
    redis_url: str, tmp_path: Path
) -> None:
    """A backlog replayed in any order tells the user the same: the same stories with the same
    articles (copies included) under the same titles, the same alerts, the same case timelines."""
    from config.settings import load_settings
    from tests.conftest import wipe
    from workers.cases import list_cases

    seen = []
    for seed in (1, 2, 3):
        prefix = f"nwtest-order-{seed}-{tmp_path.name[-8:]}"
        settings = load_settings(redis_url=redis_url, key_prefix=prefix, data_dir=tmp_path / str(seed))
        try:
            with App.open(settings) as app:
                with workers(app, threads=1, queues={"articles", "alerts"}):
                    summary = replay(app, [demo_backlog(tmp_path, seed)], alerts=True).summary()
                assert summary["errors"] == 0 and summary["read"] == 13
                stories = {
                    (story["title"], frozenset(a["id"] for a in story["articles"]))
                    for story in app.store.stories(limit=100)
                }
                raised = [
                    json.loads(app.redis.get(app.store.k("alert", key)) or "{}")
                    for key in app.redis.zrange(app.store.k("alerts", "index"), 0, -1)
                ]
                alerts = sorted(
                    (a["rule"], a["event_type"], a.get("case_id") or "", a.get("status") or "")
                    for a in raised
                )
                cases = {
                    (case.id, tuple((step.status, step.date) for step in case.steps))
                    for case in list_cases(app)
                }
                seen.append((stories, alerts, cases))
        finally:
            wipe(redis_url, prefix)
    stories, alerts, cases = seen[0]
    assert len(stories) == 7 and ("detentions", "detention", "baek-won-soon", "detained") in alerts
    assert cases and all(steps for _, steps in cases)
    assert seen[1] == seen[0] and seen[2] == seen[0]


def test_a_storys_title_is_its_first_reports_headline_whatever_came_first(
    redis_url: str, tmp_path: Path
) -> None:
    """Not the headline of whichever article a worker happened to take first: the earliest report's
    (a usable headline before a section name or a date), so a replay in another order keeps it."""
    from config.settings import load_settings
    from tests.conftest import wipe

    reports = {
        "x": ("2024-05-14", BRIDGE["x"][0], BRIDGE["x"][1]),
        "b": ("2024-05-15", BRIDGE["b"][0], BRIDGE["b"][1]),
        "w": ("2024-05-13", "WORLD", BRIDGE["y"][1]),
    }
    titles = []
    for n, order in enumerate(("xbw", "bwx", "wbx")):
        prefix = f"nwtest-title-{n}-{tmp_path.name[-8:]}"
        settings = load_settings(redis_url=redis_url, key_prefix=prefix, data_dir=tmp_path / str(n))
        backlog = report_backlog(tmp_path / f"titles-{order}.jsonl", reports, order)
        try:
            with App.open(settings) as app, workers(app, threads=1, queues={"articles", "alerts"}):
                replay(app, [backlog])
                stories = app.store.stories(limit=10)
                assert len(stories) == 1 and len(stories[0]["articles"]) == 3, stories
                titles.append(stories[0]["title"])
        finally:
            wipe(redis_url, prefix)
    # the report dated Monday is the earliest, but "WORLD" is no headline: the first usable one names it
    assert titles == [BRIDGE["x"][0]] * 3
