"""Story grouping (pure part: names, profiles and the pairwise decision)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from config.loader import load_config
from pipeline.clean import clean
from pipeline.enrich import enrich
from pipeline.models import Article, Page
from pipeline.stories import StoryProfile, headline_ok, related, story_keys, story_profile

ROOT = Path(__file__).resolve().parents[2]
TOPIC = load_config(ROOT / "config").topic
SITE = ROOT / "workers" / "demo" / "site"


def profile_of(article: Article, outlet: str = "") -> StoryProfile:
    found = enrich(article, TOPIC)
    return story_profile(
        article.text,
        article.title,
        TOPIC,
        entities=[(e.id, e.type, e.name) for e in found.entities],
        events=[(e.type, e.status) for e in found.events],
        outlet=outlet,
    ).dated(article.published_at, article.published_precision)


def page(path: str, outlet: str) -> StoryProfile:
    html = (SITE / path).read_text().replace("{base}", "https://example.org")
    return profile_of(clean(Page(url=f"https://example.org/{path}", html=html)), outlet)


WIRE = page("eastwire/2024/03/baek-consular-access.html", "Eastern Wire")
ANALYSIS = page("seoulledger/2024/03/baek-detention-pressure-ukraine-arms.html", "Seoul Ledger")
SUMMONS = page("seoulledger/2024/02/russian-ambassador-summoned-yoon-remarks.html", "Seoul Ledger")
SANCTIONS = page("seoulledger/2024/06/unilateral-sanctions-russia-north-korea-treaty.html", "Seoul Ledger")


def test_two_outlets_reporting_one_arrest_share_a_story() -> None:
    assert {"baek", "lefortovo", "vladivostok"} <= set(WIRE.keys) & set(ANALYSIS.keys)
    assert related(ANALYSIS, WIRE) and related(WIRE, ANALYSIS)


def test_names_that_only_say_what_the_subject_is_weigh_little() -> None:
    assert WIRE.keys.get("moscow", 0) < 0.5 and WIRE.keys.get("seoul", 0) < 0.5
    assert WIRE.keys["baek"] >= 1.0
    assert "eastern" not in WIRE.keys and "wire" not in WIRE.keys  # the outlet's own name
    assert "baek-won-soon" in WIRE.entities and "south_korea" not in WIRE.entities


def test_different_events_with_the_same_officials_stay_apart() -> None:
    assert not related(SANCTIONS, WIRE)
    assert not related(SUMMONS, WIRE)


def test_the_same_happening_months_apart_is_another_story() -> None:
    later = StoryProfile(**{**ANALYSIS.__dict__, "at": ANALYSIS.at + 90 * 86400})  # type: ignore[operator]
    assert not related(later, WIRE)
    month = StoryProfile(**{**ANALYSIS.__dict__, "at": datetime(2024, 3, 1, tzinfo=UTC).timestamp()})
    assert related(StoryProfile(**{**month.__dict__, "precision": "month"}), WIRE)  # March: any day of it


def article(text: str, title: str, when: datetime | None) -> Article:
    url = f"https://own.example/{abs(hash(title))}"
    return Article(url=url, canonical_url=url, source="own", title=title, text=text, published_at=when)


def test_one_happening_reported_in_two_languages_is_one_story() -> None:
    when = datetime(2024, 3, 12, tzinfo=UTC)
    english = article(
        "Russia's security service detained South Korean missionary Baek Won-soon in Vladivostok on "
        "spying charges and a Moscow court extended his custody, state media said.",
        "Russia holds South Korean missionary on spying charges",
        when,
    )
    korean = article(
        "러시아 당국이 한국인 선교사 백원순 씨를 간첩 혐의로 블라디보스토크에서 체포했다. 모스크바 법원은 백 씨의 구금 기간을 연장했다.",
        "러시아, 한국인 선교사 간첩 혐의로 체포",
        when,
    )
    assert related(profile_of(english), profile_of(korean))


def test_a_summons_reported_the_same_day_in_two_languages_is_one_story() -> None:
    # the ambassador's name says little on its own (he is summoned often), but the same day and the
    # same kind of happening make the two reports one story; a week later it is another summons
    day = datetime(2024, 10, 21, 9, tzinfo=UTC)
    english = article(
        "Seoul's foreign ministry summoned Russian ambassador Georgy Zinoviev on Monday and protested "
        "the dispatch of North Korean troops to Russia.",
        "Seoul summons Russian envoy",
        day,
    )
    korean = article(
        "외교부는 게오르기 지노비예프 주한 러시아 대사를 초치해 북한군 파병에 항의했다.",
        "외교부, 러 대사 초치",
        day.replace(hour=15),
    )
    assert related(profile_of(english), profile_of(korean))
    week_on = article(korean.text, korean.title or "", datetime(2024, 10, 29, tzinfo=UTC))
    assert not related(profile_of(english), profile_of(week_on))


def test_common_korean_words_do_not_tie_two_detentions_together() -> None:
    # two undated Korean reports of two detentions share only everyday words, which are no names
    first = article(
        "러시아 당국에 구금된 한국인 선교사 백 씨는 블라디보스토크에서 체포된 것으로 알려졌다. 당국자는 "
        "한국인 구금 사실을 확인했다.",
        "한국인 선교사 러시아서 구금",
        None,
    )
    second = article(
        "하바롭스크에서 활동하던 한국인 여성 선교사 박 씨가 지난달 말 체포된 것으로 알려졌다고 현지 매체가 "
        "전했다. 외교 당국자는 구금된 한국인에게 영사 조력을 제공하고 있다고 말했다.",
        "하바롭스크서 한국인 여성 선교사 체포",
        None,
    )
    assert not related(profile_of(first), profile_of(second))


def test_headlines_a_reader_can_use() -> None:
    assert headline_ok("South Korea summons Russian ambassador over treaty")
    assert headline_ok("러시아, 한국인 선교사 간첩 혐의로 체포")
    assert not headline_ok("WORLD")
    assert not headline_ok("Most")
    assert not headline_ok("6 April 2024 08:00")
    assert not headline_ok(None)


def test_sentence_openers_are_not_names() -> None:
    got = story_keys(
        "Asked about it, officials declined. Because of rain the port closed. Baek stayed in Lefortovo, "
        "lawyers for Baek said.",
        None,
        TOPIC,
    )
    assert "asked" not in got.weights and "because" not in got.weights
    assert {"baek", "lefortovo"} <= set(got.weights)


def seed(n: str) -> Article:
    path = next((ROOT / "tests" / "testdata" / "seeds").glob(f"{n}_*.txt"))
    head, _, body = path.read_text().partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines())
    url = f"https://seed.example/{path.stem}"
    return Article(url=url, canonical_url=url, source="seed", title=meta["title"], text=body)


def test_seeds_group_by_event_even_without_dates() -> None:
    """Without their dates, what they share puts 000 and 001 together and keeps 002 and 003 apart."""
    s000, s001, s002, s003 = (profile_of(seed(n)) for n in ("000", "001", "002", "003"))
    assert related(s001, s000)
    assert not related(s003, s002)
    assert not related(s002, s000) and not related(s003, s001)
