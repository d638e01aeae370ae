"""Story grouping on the names articles share (pure part: keys and the join decision)."""

from __future__ import annotations

from pathlib import Path

from config.loader import load_config
from pipeline.clean import clean
from pipeline.models import Page
from pipeline.stories import StoryKeys, assign, story_keys

ROOT = Path(__file__).resolve().parents[2]
TOPIC = load_config(ROOT / "config").topic
SITE = ROOT / "workers" / "demo" / "site"


def keys(path: str, outlet: str) -> StoryKeys:
    html = (SITE / path).read_text().replace("{base}", "https://example.org")
    article = clean(Page(url=f"https://example.org/{path}", html=html))
    return story_keys(article.text, article.title, TOPIC, outlet=outlet)


def join(new: StoryKeys, old: StoryKeys) -> str | None:
    hits = {key: ["old"] for key in new.weights if key in old.weights}
    return assign(new, hits, {})[0]


WIRE = keys("eastwire/2024/03/baek-consular-access.html", "Eastern Wire")
ANALYSIS = keys("seoulledger/2024/03/baek-detention-pressure-ukraine-arms.html", "Seoul Ledger")
SUMMONS = keys("seoulledger/2024/02/russian-ambassador-summoned-yoon-remarks.html", "Seoul Ledger")
SANCTIONS = keys("seoulledger/2024/06/unilateral-sanctions-russia-north-korea-treaty.html", "Seoul Ledger")


def test_two_outlets_reporting_one_arrest_share_a_story() -> None:
    assert {"baek", "lefortovo", "vladivostok"} <= set(WIRE.weights) & set(ANALYSIS.weights)
    assert join(ANALYSIS, WIRE) == "old"


def test_names_that_only_say_what_the_subject_is_weigh_little() -> None:
    assert WIRE.weights.get("moscow", 0) < 0.5 and WIRE.weights.get("seoul", 0) < 0.5
    assert WIRE.weights["baek"] >= 1.0
    assert "eastern" not in WIRE.weights and "wire" not in WIRE.weights  # the outlet's own name


def test_different_events_with_the_same_officials_stay_apart() -> None:
    assert join(SANCTIONS, WIRE) is None
    assert join(SUMMONS, WIRE) is None


def test_a_name_many_stories_share_counts_for_less() -> None:
    shared = {key: ["old"] for key in ANALYSIS.weights if key in WIRE.weights}
    _, alone = assign(ANALYSIS, shared, {})
    _, crowded = assign(ANALYSIS, shared, dict.fromkeys(shared, 30))
    assert crowded < alone


def test_sentence_openers_are_not_names() -> None:
    got = story_keys(
        "Asked about it, officials declined. Because of rain the port closed. Baek stayed in Lefortovo, "
        "lawyers for Baek said.",
        None,
        TOPIC,
    )
    assert "asked" not in got.weights and "because" not in got.weights
    assert {"baek", "lefortovo"} <= set(got.weights)


def seed(n: str) -> StoryKeys:
    path = next((ROOT / "tests" / "testdata" / "seeds").glob(f"{n}_*.txt"))
    head, _, body = path.read_text().partition("\n\n")
    title = dict(line.split(": ", 1) for line in head.splitlines())["title"]
    return story_keys(body, title, TOPIC)


def test_seeds_group_by_event_even_without_dates() -> None:
    """Time proximity aside, the names alone put 000 and 001 together and keep 002 and 003 apart."""
    s000, s001, s002, s003 = (seed(n) for n in ("000", "001", "002", "003"))
    assert join(s001, s000) == "old"
    assert join(s003, s002) is None
    assert join(s002, s000) is None and join(s003, s001) is None
