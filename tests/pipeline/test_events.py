"""Events from the seed articles (rewritten in our own words in tests/testdata/seeds)."""

import re
from datetime import datetime
from pathlib import Path

import pytest

from config.loader import load_config
from pipeline.enrich import enrich
from pipeline.models import Article, Enrichment

ROOT = Path(__file__).resolve().parents[2]
TOPIC = load_config(ROOT / "config").topic
SEEDS = ROOT / "tests" / "testdata" / "seeds"


def seed(prefix: str) -> Article:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    head, body = path.read_text().split("\n\n", 1)
    meta = dict(line.split(": ", 1) for line in head.splitlines())
    url = f"https://seed.example/{path.stem}"
    return Article(
        url=url,
        canonical_url=url,
        source="seed",
        title=meta["title"],
        text=body,
        published_at=datetime.fromisoformat(meta["published"]),
    )


@pytest.fixture(scope="module")
def enriched() -> dict[str, Enrichment]:
    return {p: enrich(seed(p), TOPIC) for p in ("000", "001", "002", "003")}


def types(result: Enrichment) -> set[str]:
    return {e.type for e in result.events}


def test_000_reports_the_detention_custody_extension_and_consular_access(enriched) -> None:
    result = enriched["000"]
    assert result.on_topic and {"detention", "consular_access"} <= types(result)
    assert result.case_ids == ("baek-won-soon",)
    steps = {(e.status, e.date, e.place) for e in result.events if e.type == "detention"}
    assert ("custody_extended", "2024-03-11", "Moscow") in steps
    assert any(place == "Vladivostok" for _, _, place in steps)
    assert any(place == "Lefortovo detention center" for _, _, place in steps)
    extension = next(e for e in result.events if e.status == "custody_extended")
    assert "June 15" in extension.evidence and extension.target == "Baek Won-soon"


def test_001_joins_the_same_case_and_keeps_gershkovich_as_background(enriched) -> None:
    result = enriched["001"]
    assert result.on_topic and {"detention", "consular_access"} <= types(result)
    assert result.case_ids == ("baek-won-soon",)
    assert all(e.target != "Evan Gershkovich" for e in result.events)
    old = [e for e in result.mentions if e.type == "detention"]
    assert old and old[0].target == "Evan Gershkovich" and old[0].date == "2023-03-30"
    # the 2022 sanctions are history, not news
    assert "sanctions" not in types(result) and any(e.type == "sanctions" for e in result.mentions)
    # "a South Korean national surnamed Baek" is Baek Won-soon
    baek = next(e for e in result.entities if e.id == "baek-won-soon")
    assert baek.mentions >= 4 and baek.type == "person" and baek.actor == "south_korea"


def test_002_reports_sanctions_protest_and_treaty_cooperation(enriched) -> None:
    result = enriched["002"]
    assert result.on_topic
    assert {"sanctions", "diplomatic_protest", "military_cooperation"} <= types(result)
    treaty = [e for e in result.events if e.type == "military_cooperation" and "treaty" in e.evidence]
    assert treaty
    warning = next(e for e in result.events if e.type == "diplomatic_protest")
    assert "warn" in warning.evidence and {warning.actor, warning.target} >= {"South Korea"}
    assert result.case_ids == ()


def test_003_reports_the_summoned_ambassador(enriched) -> None:
    result = enriched["003"]
    assert result.on_topic and "diplomatic_protest" in types(result)
    protest = next(e for e in result.events if e.type == "diplomatic_protest")
    assert "summoned" in protest.evidence and protest.actor == "South Korea" and protest.target == "Russia"
    assert "detention" not in types(result)


def test_every_part_of_an_event_comes_from_its_own_sentence(enriched) -> None:
    for result in enriched.values():
        for event in (*result.events, *result.mentions):
            if event.place and event.type == "detention":
                assert event.place.split()[0] in event.evidence or event.place in event.evidence


def article(text: str, title: str = "", published: str = "2024-06-20") -> Article:
    return Article(
        url="https://t.example/a",
        canonical_url="https://t.example/a",
        source="t",
        title=title or None,
        text=text,
        published_at=datetime.fromisoformat(published + "T12:00:00+00:00"),
    )


def test_hypothetical_and_denied_events_are_not_reported() -> None:
    text = (
        "Seoul said it could impose sanctions on Russian banks if the arms shipments continue. "
        "Moscow denied that it had detained any South Korean citizen in Vladivostok."
    )
    result = enrich(article(text), TOPIC)
    assert not ({"sanctions", "detention"} & types(result))


def test_korean_and_russian_reports_link_to_the_same_person_and_case() -> None:
    ko = "러시아 법원이 간첩 혐의로 구금된 한국인 선교사 백원순 씨의 구금 기간을 연장했다. 외교부는 영사 조력을 하고 있다."
    ru = "Лефортовский суд продлил срок ареста гражданину Южной Кореи Пэк Вон Суну, обвиняемому в шпионаже."
    for text in (ko, ru):
        result = enrich(article(text), TOPIC)
        assert "detention" in types(result)
        assert result.case_ids == ("baek-won-soon",)
        assert any(e.id == "baek-won-soon" for e in result.entities)
        step = next(e for e in result.events if e.type == "detention")
        assert step.status == "custody_extended" and step.charge == "espionage"


def test_a_summons_in_korea_japan_news_is_not_a_subject_event() -> None:
    text = "South Korea summoned a senior Japanese diplomat on Tuesday to protest a museum exhibit in Tokyo."
    result = enrich(article(text), TOPIC)
    assert result.events == () and not result.on_topic


def test_triggers_searched_in_lower_case_match_what_ignorecase_matches() -> None:
    """Trigger alternations run on the lowered sentence; escapes keep their meaning, positions hold."""
    from pipeline.entities import lowered
    from pipeline.events import _by_script

    patterns = [r"(detained|\bARRESTED\b|held in Moscow)", r"(задержан\w*|МИД\W+России)", r"\Bhel\B"]
    sentences = [
        "Russia's FSB DETAINED a South Korean, later Arrested in Vladivostok and Held In Moscow.",
        "Он был ЗАДЕРЖАН, заявили в МИД  России.",
        "İstanbul reports: a man was detained.",  # İ lowers to two characters; positions must not move
        "The shelter held no one.",
    ]
    for sentence in sentences:
        low = lowered(sentence)
        assert len(low) == len(sentence)
        for pattern in patterns:
            (regex,) = _by_script([pattern]).values()
            expected = [m.span() for m in re.finditer(pattern, sentence, re.IGNORECASE)]
            assert [m.span() for m in regex.finditer(low)] == expected, (pattern, sentence)
