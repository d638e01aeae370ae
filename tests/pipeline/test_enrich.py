from pathlib import Path

from config.loader import load_config
from pipeline.clean import article_from_text
from pipeline.enrich import enrich

TOPIC = load_config(Path(__file__).resolve().parents[2] / "config").topic

DETENTION = """A Moscow court has extended the custody of Baek Won-soon, a South Korean missionary held on
espionage charges, until June 15, Russian media reported.
Baek was arrested in Vladivostok in January and moved to the Lefortovo detention center in Moscow.
South Korea's Foreign Ministry said it was providing consular assistance and had asked Russia for access.
Seoul and Moscow have clashed over Russia's growing military ties with North Korea."""

PASSING = """A Moscow court on Tuesday extended the detention of an American reporter accused of espionage.
The reporter, arrested in Yekaterinburg last year, denies the charges; his employer calls them absurd.
Russian prosecutors say the case file is classified. The hearing was closed to the press.
Diplomats from several countries, including South Korea, attended a briefing on press freedom."""


def test_an_article_about_the_subject_is_on_topic_with_a_reason_and_events() -> None:
    result = enrich(article_from_text(url="https://a.example/1", text=DETENTION), TOPIC)
    assert result.on_topic
    assert result.relevance >= 0.7
    assert "Russia" in result.relevance_reason and "South Korea" in result.relevance_reason
    types = {e.type for e in result.events}
    assert {"detention", "consular_access"} <= types
    detention = next(e for e in result.events if e.type == "detention")
    assert "Baek" in detention.evidence or "custody" in detention.evidence


def test_a_passing_mention_of_south_korea_is_not_enough() -> None:
    result = enrich(article_from_text(url="https://a.example/2", text=PASSING), TOPIC)
    assert not result.on_topic
    assert result.relevance < TOPIC.on_topic_threshold


def test_korean_text_is_scored_through_hangul_aliases() -> None:
    text = (
        "러시아 법원이 간첩 혐의로 구금된 한국인 선교사 백원순 씨의 구속 기간을 연장했다. "
        "외교부는 러시아 측에 영사 접견을 요청했으며 한국 정부는 러시아와 계속 협의하고 있다고 밝혔다. "
        "러시아는 한국인 체포 사실을 늦게 알렸다."
    )
    result = enrich(article_from_text(url="https://a.example/3", text=text), TOPIC)
    assert result.on_topic
    assert any(e.type == "detention" for e in result.events)
